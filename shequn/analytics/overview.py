"""数据概览: the figures of the analytics overview, for the stores an actor sees.

Every purchase is an analytics Transaction (native paid orders, refunds and imported history alike).
GMV is the paid amount net of refunds whose time falls in the period; an order is one positive
transaction; a purchase day is a local (Asia/Shanghai) calendar day with at least one order."""

import datetime as dt
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, ExpressionWrapper, F, IntegerField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import ExtractMonth, ExtractYear, TruncDate

from shequn.commerce import reports
from shequn.communities.models import GroupEvent, Membership
from shequn.core.actor import Actor
from shequn.members.selectors import members_visible_to
from shequn.stores.models import Store
from shequn.stores.selectors import store_by_code, stores_visible_to

from .models import Transaction

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MAX_COHORTS = 12
TOP_GROUPS = 20
HOT_PRODUCTS = 10


@dataclass(frozen=True)
class Scope:
    """Where the figures come from: the actor's stores, narrowed to one store if asked."""

    store_ids: list[int] | None  # None: every store
    store: Store | None = None


@dataclass
class Period:
    date_from: dt.date
    date_to: dt.date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.date_from, dt.time.min, tzinfo=SHANGHAI)

    @property
    def end(self) -> dt.datetime:
        """Exclusive: midnight after the last day."""
        return dt.datetime.combine(self.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=SHANGHAI)

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        return Period(self.date_from - dt.timedelta(days=self.days), self.date_from - dt.timedelta(days=1))


@dataclass
class Kpis:
    gmv_fen: int
    orders: int
    avg_order_fen: int
    members: int
    new_members: int
    active_members: int
    repeat_members: int
    repurchase_rate: float  # repeat_members / active_members


@dataclass
class Overview:
    period: Period
    previous_period: Period
    store: Store | None
    kpis: Kpis
    previous: Kpis
    daily: list[dict]
    cohorts: list[dict]
    cohort_width: int
    funnel: list[dict]
    groups: list[dict]
    stores: list[dict]
    hot: reports.HotProductsReport | None


def period(date_from: dt.date | None, date_to: dt.date | None, days: int = 30) -> Period:
    """Inclusive local dates; by default the last `days` days up to today (the rules of `reports.period`)."""
    return Period(*reports.period(date_from, date_to, days))


def scope_for(actor: Actor, store_code: str = "") -> Scope:
    if store_code:
        store = store_by_code(actor, store_code)
        return Scope([store.pk], store)
    return Scope(None if actor.store_ids is None else list(actor.store_ids))


def transactions(scope: Scope) -> QuerySet[Transaction]:
    """A transaction belongs to its store; one without a store (some imports) to the member's home store."""
    qs = Transaction.objects.all()
    if scope.store_ids is not None:
        qs = qs.filter(Q(store_id__in=scope.store_ids)
                       | Q(store__isnull=True, member__home_store_id__in=scope.store_ids))
    return qs


def _in(qs: QuerySet, p: Period, name: str = "occurred_at") -> QuerySet:
    return qs.filter(**{f"{name}__gte": p.start, f"{name}__lt": p.end})


def _members(actor: Actor, scope: Scope) -> QuerySet:
    qs = members_visible_to(actor)
    if scope.store is not None:
        qs = qs.filter(home_store_id=scope.store.pk)
    return qs


def kpis(actor: Actor, scope: Scope, p: Period) -> Kpis:
    txs = _in(transactions(scope), p)
    totals = txs.aggregate(gmv=Sum("amount_fen"), orders=Count("pk", filter=Q(amount_fen__gt=0)))
    gmv, orders = totals["gmv"] or 0, totals["orders"]
    # Two or more purchase days exactly when the last purchase day is later than the first (cheaper than
    # counting distinct days).
    day = TruncDate("occurred_at", tzinfo=SHANGHAI)
    buyers = (txs.filter(amount_fen__gt=0).values("member_id").annotate(first=Min(day), last=Max(day))
              .order_by())
    active = buyers.count()
    repeat = buyers.filter(last__gt=F("first")).count()
    members = _members(actor, scope)
    return Kpis(gmv_fen=gmv, orders=orders, avg_order_fen=round(gmv / orders) if orders else 0,
                members=members.filter(joined_at__lt=p.end).count(),
                new_members=_in(members, p, "joined_at").count(), active_members=active,
                repeat_members=repeat, repurchase_rate=round(repeat / active, 4) if active else 0.0)


def daily(scope: Scope, p: Period) -> list[dict]:
    """GMV and orders per local day, zero-filled."""
    rows = (_in(transactions(scope), p).annotate(day=TruncDate("occurred_at", tzinfo=SHANGHAI))
            .values("day").annotate(gmv=Sum("amount_fen"), orders=Count("pk", filter=Q(amount_fen__gt=0)))
            .order_by())
    by_day = {row["day"]: row for row in rows}
    out = []
    for n in range(p.days):
        day = p.date_from + dt.timedelta(days=n)
        row = by_day.get(day, {})
        out.append({"day": day, "gmv_fen": row.get("gmv") or 0, "orders": row.get("orders") or 0})
    return out


def _month_index(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def cohorts(scope: Scope, p: Period) -> tuple[list[dict], int]:
    """Monthly retention: members by the local month of their first purchase ever (months touching the
    period, at most the last 12), and the share of them buying again k months later, up to the period end."""
    first_month = p.date_from.replace(day=1)
    last_month = p.date_to.replace(day=1)
    if _month_index(last_month) - _month_index(first_month) >= MAX_COHORTS:
        n = _month_index(last_month) - MAX_COHORTS + 1
        first_month = dt.date(n // 12, n % 12 + 1, 1)
    start = dt.datetime.combine(first_month, dt.time.min, tzinfo=SHANGHAI)
    buys = transactions(scope).filter(amount_fen__gt=0, occurred_at__lt=p.end)
    earlier = set(buys.filter(occurred_at__lt=start).values_list("member_id", flat=True).distinct().order_by())
    month = ExpressionWrapper(ExtractYear("occurred_at", tzinfo=SHANGHAI) * 12
                              + ExtractMonth("occurred_at", tzinfo=SHANGHAI) - 1, output_field=IntegerField())
    pairs = (buys.filter(occurred_at__gte=start).annotate(month=month).values_list("member_id", "month")
             .distinct().order_by())
    months_of: dict[int, set[int]] = defaultdict(set)
    for member_id, index in pairs.iterator(chunk_size=10_000):
        if member_id not in earlier:
            months_of[member_id].add(index)
    sizes: dict[int, int] = defaultdict(int)
    kept: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for months in months_of.values():
        first = min(months)
        sizes[first] += 1
        for m in months:
            kept[first][m - first] += 1
    end_index = _month_index(last_month)
    width = end_index - _month_index(first_month) + 1
    rows = []
    for index in range(_month_index(first_month), end_index + 1):
        size = sizes.get(index, 0)
        span = end_index - index + 1
        rows.append({"month": f"{index // 12}-{index % 12 + 1:02d}", "members": size,
                     "retained": [kept[index].get(k, 0) for k in range(span)],
                     "rates": [round(kept[index].get(k, 0) / size, 4) if size else 0.0 for k in range(span)]})
    return rows, width


def funnel(scope: Scope, p: Period) -> list[dict]:
    """Members who joined a group in the period → ordered after joining → ordered on a second day
    (groups and orders of the stores in view)."""
    memberships = _in(Membership.objects.all(), p, "joined_at")
    if scope.store_ids is not None:
        memberships = memberships.filter(group__store_id__in=scope.store_ids)
    joined = dict(memberships.values("member_id").annotate(at=Min("joined_at")).order_by()
                  .values_list("member_id", "at"))
    days_after: dict[int, set[dt.date]] = defaultdict(set)
    if joined:
        rows = (transactions(scope).filter(member_id__in=list(joined), amount_fen__gt=0,
                                           occurred_at__gte=min(joined.values()), occurred_at__lt=p.end)
                .values_list("member_id", "occurred_at"))
        for member_id, at in rows.iterator(chunk_size=5000):
            if at >= joined[member_id]:
                days_after[member_id].add(at.astimezone(SHANGHAI).date())
    first = sum(1 for days in days_after.values() if days)
    repeat = sum(1 for days in days_after.values() if len(days) >= 2)
    steps = [("joined", len(joined)), ("first_order", first), ("repeat_order", repeat)]
    return [{"step": step, "members": n, "rate": round(n / len(joined), 4) if joined else 0.0}
            for step, n in steps]


def group_sales(scope: Scope, p: Period, limit: int = TOP_GROUPS) -> list[dict]:
    """Sales attributed to groups (order events less refund events), best groups first."""
    events = _in(GroupEvent.objects.filter(kind__in=[GroupEvent.Kind.ORDER, GroupEvent.Kind.REFUND]), p)
    if scope.store_ids is not None:
        events = events.filter(group__store_id__in=scope.store_ids)
    rows = (events.values("group_id", "group__name", "group__store__name")
            .annotate(sales=Sum("amount_fen"), orders=Count("pk", filter=Q(kind=GroupEvent.Kind.ORDER)),
                      buyers=Count("member_id", filter=Q(kind=GroupEvent.Kind.ORDER), distinct=True))
            .order_by("-sales", "group_id")[:limit])
    return [{"group_id": r["group_id"], "name": r["group__name"], "store": r["group__store__name"],
             "sales_fen": r["sales"] or 0, "orders": r["orders"], "buyers": r["buyers"],
             "avg_order_fen": round((r["sales"] or 0) / r["orders"]) if r["orders"] else 0} for r in rows]


def store_comparison(actor: Actor, scope: Scope, p: Period) -> list[dict]:
    """Per store: GMV, orders, buyers, average order and new members (stores without a store id left out)."""
    stores = stores_visible_to(actor)
    if scope.store is not None:
        stores = stores.filter(pk=scope.store.pk)
    stores = list(stores.order_by("code"))
    txs = _in(Transaction.objects.filter(store_id__in=[s.pk for s in stores]), p)
    sales = {r["store_id"]: r for r in txs.values("store_id").annotate(
        gmv=Sum("amount_fen"), orders=Count("pk", filter=Q(amount_fen__gt=0)),
        buyers=Count("member_id", filter=Q(amount_fen__gt=0), distinct=True)).order_by()}
    new = dict(_in(members_visible_to(actor).filter(home_store_id__in=[s.pk for s in stores]), p, "joined_at")
               .values("home_store_id").annotate(n=Count("pk")).order_by().values_list("home_store_id", "n"))
    out = []
    for s in stores:
        row = sales.get(s.pk, {})
        gmv, orders = row.get("gmv") or 0, row.get("orders") or 0
        out.append({"code": s.code, "name": s.name, "gmv_fen": gmv, "orders": orders,
                    "buyers": row.get("buyers") or 0, "avg_order_fen": round(gmv / orders) if orders else 0,
                    "new_members": new.get(s.pk, 0)})
    out.sort(key=lambda r: (-r["gmv_fen"], r["code"]))
    return out


def overview(actor: Actor, *, store: str = "", date_from: dt.date | None = None,
             date_to: dt.date | None = None, days: int = 30) -> Overview:
    p = period(date_from, date_to, days)
    scope = scope_for(actor, store)
    prev = p.previous()
    hot = reports.hot_products(actor, store=store, date_from=p.date_from, date_to=p.date_to, limit=HOT_PRODUCTS)
    cohort_rows, width = cohorts(scope, p)
    return Overview(period=p, previous_period=prev, store=scope.store, kpis=kpis(actor, scope, p),
                    previous=kpis(actor, scope, prev), daily=daily(scope, p), cohorts=cohort_rows,
                    cohort_width=width, funnel=funnel(scope, p), groups=group_sales(scope, p),
                    stores=store_comparison(actor, scope, p), hot=hot)
