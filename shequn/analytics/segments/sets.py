"""Conditions as whole member sets: `id IN (SELECT member_id …)` / `NOT IN`, each subquery computed once
(grouped over the window for spend and orders, through the occurred_at index), and the bound used to choose
which set the query starts from. Each form matches exactly what `compile.leaf` tests member by member; the set
form wins when many members are to be checked, the per-member one when few are."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, Count, F, Max, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate

from shequn.loyalty.models import LoyaltyAccount
from shequn.members.models import Consent, Member

from ..models import Transaction
from . import compile as K

# Column tests on the member row: no set needed.
COLUMNS = ("store", "joined")


def _ids(qs: QuerySet) -> QuerySet:
    return qs.order_by().values("member_id")


def _inside(qs: QuerySet) -> Q:
    return Q(pk__in=_ids(qs))


def _outside(qs: QuerySet) -> Q:
    return ~Q(pk__in=_ids(qs))  # member_id is never NULL in these tables, so NOT IN is exact


def _window_rows(cond: dict, ctx: K.Context) -> QuerySet:
    start, end = K._window_range(cond["window"], ctx.today)
    rows = Transaction.objects if cond["field"] == "spend" else K._purchases()
    return rows.filter(occurred_at__gte=start, occurred_at__lt=end)


def _grouped(cond: dict, ctx: K.Context) -> QuerySet:
    """Per member with rows in the window: the spend (sum, refunds included) or the orders / buying days."""
    rows = _window_rows(cond, ctx).order_by().values("member_id")
    if cond["field"] == "spend":
        return rows.annotate(v=Sum("amount_fen"))
    if cond.get("unit") == "days":
        return rows.annotate(v=Count(TruncDate("occurred_at", tzinfo=ZoneInfo(settings.TIME_ZONE)), distinct=True))
    return rows.annotate(v=Count("pk"))


def _bound(cond: dict) -> int:
    return K._fen(cond["value"]) if cond["field"] == "spend" else cond["value"]


def _amount(cond: dict, ctx: K.Context) -> Q:
    """value ≥ / ≤ bound with no rows counting as 0: members without rows meet `≥ 0` and every `≤`."""
    bound, grouped = _bound(cond), _grouped(cond, ctx)
    if cond["op"] == "gte":
        return _inside(grouped.filter(v__gte=bound)) if bound > 0 else _outside(grouped.filter(v__lt=bound))
    return _outside(grouped.filter(v__gt=bound))


def _latest_grants(purpose: str) -> QuerySet:
    """Members whose latest decision for the purpose is a grant (its id is their newest granting id)."""
    return Consent.objects.filter(purpose=purpose).order_by().values("member_id").annotate(
        last=Max("id"), last_grant=Max(Case(When(granted=True, then="id")))).filter(last=F("last_grant"))


def member_set(cond: dict, ctx: K.Context) -> Q:
    """The condition as uncorrelated set membership of the member id (or a column test)."""
    name, op, value = cond["field"], cond["op"], cond["value"]
    if name in COLUMNS:
        return K.leaf(cond, ctx)
    listed = K.rows(cond, ctx)
    if listed is not None:
        return _inside(listed)
    if name == "tier":
        ids = [ctx.tiers[c] for c in value if c in ctx.tiers]
        return K._in(op, _inside(LoyaltyAccount.objects.filter(tier_id__in=ids)))
    if name in ("spend", "orders"):
        return _amount(cond, ctx)
    if name == "last_order":  # before a moment: bought before it and not since
        at = K._cut(cond, ctx)[1]
        return _inside(K._purchases().filter(occurred_at__lt=at)) & _outside(K._purchases().filter(occurred_at__gte=at))
    if name == "never_ordered":
        return _outside(K._purchases())
    if name == "tag":
        return _outside(Member.tags.through.objects.filter(tag_id__in=[ctx.tags[n] for n in value if n in ctx.tags]))
    if name == "community_group":
        return _outside(K.Membership.objects.filter(group_id__in=value, left_at__isnull=True))
    if name == "rfm_cell" and ctx.rfm_run_id is not None:
        return _outside(K.RfmScore.objects.filter(run_id=ctx.rfm_run_id, cell__in=value))
    if name == "consent":
        return K._in(op, Q(pk__in=_latest_grants(value).values("member_id")))
    return K.leaf(cond, ctx)  # a model condition without its run: nothing


def bound_rows(cond: dict, ctx: K.Context) -> QuerySet | None:
    """Rows at least as many as the members a positive top-level condition admits (one per member at most
    for member rows), counted to choose the set the query starts from; None when the condition has no short
    form (negations, `≤`, `≥ 0`)."""
    name, op, value = cond["field"], cond["op"], cond["value"]
    listed = K.rows(cond, ctx)
    if listed is not None:
        return listed
    if name == "store" and op == "in":
        return Member.objects.filter(home_store_id__in=[ctx.stores[c] for c in value if c in ctx.stores])
    if name == "tier" and op == "in":
        return LoyaltyAccount.objects.filter(tier_id__in=[ctx.tiers[c] for c in value if c in ctx.tiers])
    if name in ("spend", "orders") and op == "gte" and _bound(cond) > 0:
        return _window_rows(cond, ctx)
    if name == "consent" and op == "granted":
        return Consent.objects.filter(purpose=value, granted=True)
    return None


def scanned_rows(cond: dict, ctx: K.Context) -> QuerySet | None:
    """The rows a condition's set form reads (None for a column test): compared with the members left to
    check to choose between the set and per-member look-ups."""
    name, value = cond["field"], cond["value"]
    if name in COLUMNS:
        return None
    if name == "tag":
        return Member.tags.through.objects.filter(tag_id__in=[ctx.tags[n] for n in value if n in ctx.tags])
    if name == "community_group":
        return K.Membership.objects.filter(group_id__in=value, left_at__isnull=True)
    if name == "rfm_cell":
        return K.RfmScore.objects.filter(run_id=ctx.rfm_run_id, cell__in=value)
    if name == "tier":
        return LoyaltyAccount.objects.filter(tier_id__in=[ctx.tiers[c] for c in value if c in ctx.tiers])
    if name in ("spend", "orders"):
        return _window_rows(cond, ctx)
    if name in ("last_order", "never_ordered"):
        return K._purchases()
    if name == "consent":
        return Consent.objects.filter(purpose=value)
    listed = K.rows(cond, ctx)  # value decile / churn risk: the run's rows, or none without a run
    return listed if listed is not None else Member.objects.none()
