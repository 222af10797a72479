"""Cleaned conditions → one filter over members (Django ORM; `IN (SELECT …)` and correlated lookups that
SQLite and PostgreSQL both plan well). Windows and "N days ago" are local calendar days: the last N days are
today and the N−1 days before it; dates are whole local days."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BigIntegerField, BooleanField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual

from shequn.communities.models import Membership
from shequn.core import clock
from shequn.loyalty.models import LoyaltyAccount, Tier
from shequn.members.models import Consent, Member, Tag
from shequn.stores.models import Store

from ..models import ClvRun, MemberValue, RfmRun, RfmScore, Transaction
from . import conditions as C

NOTHING = Q(pk__in=[])


@dataclass
class Context:
    """What compiling needs besides the conditions: today, ids behind codes, the latest model runs."""

    today: dt.date
    tiers: dict[str, int]
    stores: dict[str, int]
    tags: dict[str, int]
    rfm_run_id: int | None
    clv_run_id: int | None

    @classmethod
    def load(cls, today: dt.date | None = None) -> "Context":
        return cls(today=today or clock.local_date(), tiers=dict(Tier.objects.values_list("code", "pk")),
                   stores=dict(Store.objects.values_list("code", "pk")),
                   tags=dict(Tag.objects.values_list("name", "pk")),
                   rfm_run_id=latest_rfm_run_id(), clv_run_id=latest_clv_run_id())


def latest_rfm_run_id() -> int | None:
    """The newest overall RFM run (no store), by as_of then creation."""
    return RfmRun.objects.filter(store__isnull=True).order_by("-as_of", "-created_at", "-id") \
        .values_list("pk", flat=True).first()


def latest_clv_run_id() -> int | None:
    """The newest overall lifetime-value run (no store)."""
    return ClvRun.objects.filter(store__isnull=True).order_by("-created_at", "-id") \
        .values_list("pk", flat=True).first()


def _midnight(day: dt.date) -> dt.datetime:
    return clock.start_of_local_day(day)


def _window_range(window: dict, today: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if "days" in window:
        start, end = today - dt.timedelta(days=window["days"] - 1), today
    else:
        start, end = dt.date.fromisoformat(window["from"]), dt.date.fromisoformat(window["to"])
    return _midnight(start), _midnight(end + dt.timedelta(days=1))


def _purchases() -> QuerySet:
    return Transaction.objects.filter(amount_fen__gt=0)


def _mine(qs: QuerySet) -> QuerySet:
    """Correlate a member_id table with the member being tested."""
    return qs.filter(member_id=OuterRef("pk"))


def _has(qs: QuerySet) -> Q:
    return Q(Exists(_mine(qs)))


def _per_member(qs: QuerySet, aggregate) -> Subquery:
    """A correlated aggregate over the member's own rows (index seek on member_id)."""
    return Subquery(_mine(qs).order_by().values("member_id").annotate(v=aggregate).values("v"))


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _compare(value, op: str, bound: int) -> Q:
    """value ≥ bound or value ≤ bound, a missing value (no rows) counting as 0."""
    value = Coalesce(value, Value(0), output_field=BigIntegerField())
    return Q(GreaterThanOrEqual(value, bound) if op == "gte" else LessThanOrEqual(value, bound))


def _spend(cond: dict, ctx: Context) -> Q:
    start, end = _window_range(cond["window"], ctx.today)
    rows = Transaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    return _compare(_per_member(rows, Sum("amount_fen")), cond["op"], _fen(cond["value"]))


def _orders(cond: dict, ctx: Context) -> Q:
    start, end = _window_range(cond["window"], ctx.today)
    bought = _purchases().filter(occurred_at__gte=start, occurred_at__lt=end)
    if cond["unit"] == "days":
        day = TruncDate("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE))
        count = _per_member(bought, Count(day, distinct=True))
    else:
        count = _per_member(bought, Count("pk"))
    return _compare(count, cond["op"], cond["value"])


def _cut(cond: dict, ctx: Context) -> tuple[str, dt.datetime]:
    """(side, instant): side "before" means strictly earlier than the instant, "after" at or after it."""
    op, value = cond["op"], cond["value"]
    if op == "before":
        return "before", _midnight(dt.date.fromisoformat(value))
    if op == "after":
        return "after", _midnight(dt.date.fromisoformat(value) + dt.timedelta(days=1))
    if op == "more_than_days_ago":
        return "before", _midnight(ctx.today - dt.timedelta(days=value))
    return "after", _midnight(ctx.today - dt.timedelta(days=value - 1)) if value > 0 else \
        _midnight(ctx.today + dt.timedelta(days=1))


def _in(op: str, q: Q) -> Q:
    return q if op in ("in", "has", "granted") else ~q


def _consent(purpose: str) -> Q:
    """The member's latest decision for the purpose is a grant (no decision is no consent)."""
    latest = _mine(Consent.objects.filter(purpose=purpose)).order_by("-id").values("granted")[:1]
    return Q(Exact(Coalesce(Subquery(latest), Value(False), output_field=BooleanField()), Value(True)))


def rows(cond: dict, ctx: Context) -> QuerySet | None:
    """The rows (with member_id) whose existence a positive condition means, when it has such a form; used
    both correlated (EXISTS) and, for the most selective one, as the list the query starts from."""
    name, op, value = cond["field"], cond["op"], cond["value"]
    if name == "tag" and op == "has":
        return Member.tags.through.objects.filter(tag_id__in=[ctx.tags[n] for n in value if n in ctx.tags])
    if name == "community_group" and op == "in":
        return Membership.objects.filter(group_id__in=value, left_at__isnull=True)
    if name == "rfm_cell" and op == "in" and ctx.rfm_run_id is not None:
        return RfmScore.objects.filter(run_id=ctx.rfm_run_id, cell__in=value)
    if name in ("value_decile", "churn_risk") and ctx.clv_run_id is not None:
        values = MemberValue.objects.filter(run_id=ctx.clv_run_id)
        if name == "churn_risk":
            return values.filter(churn_risk__in=value)
        return values.filter(value_decile__lte=value) if op == "lte" else values.filter(value_decile__in=value)
    if name == "last_order" and _cut(cond, ctx)[0] == "after":
        return _purchases().filter(occurred_at__gte=_cut(cond, ctx)[1])
    return None


def leaf(cond: dict, ctx: Context) -> Q:
    """One condition as a test of the member row (columns, or correlated lookups by member id)."""
    name, op, value = cond["field"], cond["op"], cond["value"]
    listed = rows(cond, ctx)
    if listed is not None:
        return _has(listed)
    if name == "tier":
        ids = [ctx.tiers[c] for c in value if c in ctx.tiers]
        return _in(op, _has(LoyaltyAccount.objects.filter(tier_id__in=ids)))
    if name == "store":
        return _in(op, Q(home_store_id__in=[ctx.stores[c] for c in value if c in ctx.stores]))
    if name == "spend":
        return _spend(cond, ctx)
    if name == "orders":
        return _orders(cond, ctx)
    if name == "last_order":  # before a moment: bought before it and not since
        at = _cut(cond, ctx)[1]
        return _has(_purchases().filter(occurred_at__lt=at)) & ~_has(_purchases().filter(occurred_at__gte=at))
    if name == "never_ordered":
        return ~_has(_purchases())
    if name == "joined":
        side, at = _cut(cond, ctx)
        return Q(joined_at__lt=at) if side == "before" else Q(joined_at__gte=at)
    if name == "tag":
        return ~_has(Member.tags.through.objects.filter(tag_id__in=[ctx.tags[n] for n in value if n in ctx.tags]))
    if name == "community_group":
        return ~_has(Membership.objects.filter(group_id__in=value, left_at__isnull=True))
    if name == "rfm_cell":
        if ctx.rfm_run_id is None:
            return NOTHING
        return ~_has(RfmScore.objects.filter(run_id=ctx.rfm_run_id, cell__in=value))
    if name in ("value_decile", "churn_risk"):
        return NOTHING  # no lifetime-value run yet
    if name == "consent":
        return _in(op, _consent(value))
    raise AssertionError(name)


# Below this many members to check, every remaining condition is tested member by member.
PER_MEMBER_LIMIT = 20_000


def _use_set(cond: dict, ctx: Context, size: int | None) -> bool:
    """Whether to test a condition as one whole set rather than per member: when there is no short list to
    start from, or when the rows its set scans are fewer than the members left to check (a set costs about a
    scan of its rows, a per-member test about one index look-up per member)."""
    from . import sets

    if size is None:
        return True
    if size <= PER_MEMBER_LIMIT:
        return False
    scanned = sets.scanned_rows(cond, ctx)
    return scanned is not None and scanned[:size].count() < size


def _driver(conditions: list, ctx: Context) -> tuple[int | None, int | None]:
    """The top-level condition admitting the fewest members by its bound rows (each counted up to the best so
    far), and that bound: the query starts from its set instead of every member."""
    from . import sets

    best, cap = None, None
    for index, cond in sorted(enumerate(conditions), key=lambda item: _cost(item[1])):
        bound = sets.bound_rows(cond, ctx) if "any" not in cond else None
        if bound is None:
            continue
        n = (bound[:cap] if cap else bound).count()
        if cap is None or n < cap:
            best, cap = index, max(n, 1)
    return best, cap


# Cheap tests first: SQLite checks a member's conditions in the order written, so a member failing a column
# test never costs a lookup, and the per-member sums over transactions run for the few still left.
COST = {"store": 0, "joined": 0, "tier": 1, "tag": 2, "community_group": 2, "rfm_cell": 2, "value_decile": 2,
        "churn_risk": 2, "consent": 3, "never_ordered": 4, "last_order": 4, "orders": 5, "spend": 5}


def _cost(cond: dict) -> int:
    return max(COST[c["field"]] for c in cond["any"]) if "any" in cond else COST[cond["field"]]


def to_q(conditions: list, ctx: Context, among: list[int] | None = None) -> Q:
    """AND of the items; an `any` item is the OR of its conditions. `among`: only these members are asked
    about (a re-check after an event), so every condition is tested member by member."""
    from . import sets

    if among is not None:
        driver, size, q = None, 0, Q(pk__in=among)
    else:
        driver, size = _driver(conditions, ctx)
        q = sets.member_set(conditions[driver], ctx) if driver is not None else Q()

    def test(cond: dict, ctx: Context) -> Q:
        return sets.member_set(cond, ctx) if _use_set(cond, ctx, size) else leaf(cond, ctx)

    for index, cond in sorted(enumerate(conditions), key=lambda item: _cost(item[1])):
        if index == driver:
            continue
        if "any" in cond:
            group = NOTHING
            for item in cond["any"]:
                group |= test(item, ctx)
            q &= group
        else:
            q &= test(cond, ctx)
    return q


def needs(conditions: list) -> set[str]:
    """The model runs the conditions read ("rfm", "clv"), to warn when none exists yet."""
    used = {c["field"] for c in C.leaves(conditions)}
    return ({"rfm"} if "rfm_cell" in used else set()) | ({"clv"} if used & {"value_decile", "churn_risk"} else set())
