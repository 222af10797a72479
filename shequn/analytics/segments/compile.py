"""Cleaned conditions → one filter over members (Django ORM; `IN (SELECT …)` and correlated lookups that
SQLite and PostgreSQL both plan well). Windows and "N days ago" are local calendar days: the last N days are
today and the N−1 days before it; dates are whole local days."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import BooleanField, Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import Exact

from shequn.communities.models import Membership
from shequn.core import clock
from shequn.loyalty.models import Tier
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


def _fen(yuan: str) -> int:
    return int(Decimal(yuan) * 100)


def _spend(cond: dict, ctx: Context) -> Q:
    start, end = _window_range(cond["window"], ctx.today)
    fen = _fen(cond["value"])
    sums = (Transaction.objects.filter(occurred_at__gte=start, occurred_at__lt=end).values("member_id")
            .annotate(net=Sum("amount_fen")))
    if cond["op"] == "gte":
        return Q(pk__in=sums.filter(net__gte=fen).values("member_id")) if fen > 0 else Q()
    return ~Q(pk__in=sums.filter(net__gt=fen).values("member_id"))  # no purchases is ¥0, within "at most"


def _orders(cond: dict, ctx: Context) -> Q:
    start, end = _window_range(cond["window"], ctx.today)
    bought = _purchases().filter(occurred_at__gte=start, occurred_at__lt=end)
    if cond["unit"] == "days":
        bought = bought.annotate(day=TruncDate("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE)))
        counted = bought.values("member_id").annotate(n=Count("day", distinct=True))
    else:
        counted = bought.values("member_id").annotate(n=Count("pk"))
    n = cond["value"]
    if cond["op"] == "gte":
        return Q(pk__in=counted.filter(n__gte=n).values("member_id")) if n > 0 else Q()
    return ~Q(pk__in=counted.filter(n__gt=n).values("member_id"))


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


def _last_order(cond: dict, ctx: Context) -> Q:
    side, at = _cut(cond, ctx)
    since = Q(pk__in=_purchases().filter(occurred_at__gte=at).values("member_id"))
    if side == "after":
        return since
    return Q(pk__in=_purchases().filter(occurred_at__lt=at).values("member_id")) & ~since


def _joined(cond: dict, ctx: Context) -> Q:
    side, at = _cut(cond, ctx)
    return Q(joined_at__lt=at) if side == "before" else Q(joined_at__gte=at)


def _in(op: str, q: Q) -> Q:
    return q if op in ("in", "has", "granted") else ~q


def _consent(purpose: str) -> Q:
    """The member's latest decision for the purpose is a grant (no decision is no consent)."""
    latest = Consent.objects.filter(member_id=OuterRef("pk"), purpose=purpose).order_by("-id").values("granted")[:1]
    return Q(Exact(Coalesce(Subquery(latest), Value(False), output_field=BooleanField()), Value(True)))


def leaf(cond: dict, ctx: Context) -> Q:
    name, op, value = cond["field"], cond["op"], cond["value"]
    if name == "tier":
        return _in(op, Q(loyalty__tier_id__in=[ctx.tiers[c] for c in value if c in ctx.tiers]))
    if name == "store":
        return _in(op, Q(home_store_id__in=[ctx.stores[c] for c in value if c in ctx.stores]))
    if name == "spend":
        return _spend(cond, ctx)
    if name == "orders":
        return _orders(cond, ctx)
    if name == "last_order":
        return _last_order(cond, ctx)
    if name == "never_ordered":
        return ~Q(pk__in=_purchases().values("member_id"))
    if name == "joined":
        return _joined(cond, ctx)
    if name == "community_group":
        current = Membership.objects.filter(group_id__in=value, left_at__isnull=True).values("member_id")
        return _in(op, Q(pk__in=current))
    if name == "tag":
        ids = [ctx.tags[n] for n in value if n in ctx.tags]
        return _in(op, Q(Exists(Member.tags.through.objects.filter(member_id=OuterRef("pk"), tag_id__in=ids))))
    if name == "rfm_cell":
        if ctx.rfm_run_id is None:
            return NOTHING
        return _in(op, Q(pk__in=RfmScore.objects.filter(run_id=ctx.rfm_run_id, cell__in=value).values("member_id")))
    if name in ("value_decile", "churn_risk"):
        if ctx.clv_run_id is None:
            return NOTHING
        values = MemberValue.objects.filter(run_id=ctx.clv_run_id)
        if name == "churn_risk":
            values = values.filter(churn_risk__in=value)
        else:
            values = values.filter(value_decile__lte=value) if op == "lte" else values.filter(value_decile__in=value)
        return Q(pk__in=values.values("member_id"))
    if name == "consent":
        return _in(op, _consent(value))
    raise AssertionError(name)


def to_q(conditions: list, ctx: Context) -> Q:
    """AND of the items; an `any` item is the OR of its conditions."""
    q = Q()
    for cond in conditions:
        if "any" in cond:
            group = Q(pk__in=[])
            for item in cond["any"]:
                group |= leaf(item, ctx)
            q &= group
        else:
            q &= leaf(cond, ctx)
    return q


def needs(conditions: list) -> set[str]:
    """The model runs the conditions read ("rfm", "clv"), to warn when none exists yet."""
    used = {c["field"] for c in C.leaves(conditions)}
    return ({"rfm"} if "rfm_cell" in used else set()) | ({"clv"} if used & {"value_decile", "churn_risk"} else set())
