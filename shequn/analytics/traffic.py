"""私域流量价值 = 会员数 × 活跃率 × 转化率 × 平均终身价值, per month (the last 12), overall, per store, per group.

- Members (会员数): at the month's end (now, for the current month) — a store's are the active members whose
  home store it is and who had joined by then; a group's are its members at that moment (joined, not left).
  Overall is every member in view (members of the stores in view).
- Active (活跃): a member with any interaction in the local (Asia/Shanghai) month: a purchase (an order or an
  imported purchase, any store), a check-in (签到), or a group interaction (message, reply, reaction, poll vote,
  activity sign-up or check-in, red packet grab, group order; joining and leaving do not count).
- Activity rate = active ÷ members. Conversion rate = buyers ÷ active, where buyers made a purchase in the
  month; every buyer is active, so members × activity × conversion = buyers.
- Average lifetime value: the mean clv_12m_fen, in the newest overall lifetime-value run, of the members
  that run scored. Without such a run: the members' mean net spend over the 12 months up to the month's end
  (non-buyers count as 0), labelled as such.
- Value = members × activity rate × conversion rate × average lifetime value (= buyers × average value).
Six queries whatever the number of members; the counting runs over (member, month) pairs in memory."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Sum, Value, When

from shequn.communities.models import Group, GroupEvent, Membership
from shequn.core import clock
from shequn.core.actor import Actor
from shequn.loyalty.models import CheckIn
from shequn.members.selectors import members_visible_to

from .models import ClvRun, MemberValue, Transaction
from .overview import SHANGHAI, Scope, scope_for

MONTHS = 12
INTERACTIONS = [k for k in GroupEvent.Kind.values if k not in ("join", "leave", "refund")]


@dataclass
class Cell:
    """One month of one scope."""

    month: str  # YYYY-MM
    members: int = 0
    active: int = 0
    buyers: int = 0
    ltv_total_fen: int = 0
    ltv_members: int = 0  # members the average is over

    @property
    def activity_rate(self) -> float:
        return self.active / self.members if self.members else 0.0

    @property
    def conversion_rate(self) -> float:
        return self.buyers / self.active if self.active else 0.0

    @property
    def avg_ltv_fen(self) -> int:
        return round(self.ltv_total_fen / self.ltv_members) if self.ltv_members else 0

    @property
    def value_fen(self) -> int:
        return round(self.members * self.activity_rate * self.conversion_rate * self.avg_ltv_fen)


@dataclass
class Row:
    key: str  # store code or group id
    name: str
    store: str
    cells: list[Cell] = field(default_factory=list)


@dataclass
class TrafficValue:
    months: list[str]
    current_partial: bool  # the last month is the current one, up to now
    ltv_source: str  # "clv" | "spend_12m"
    clv_run: ClvRun | None
    overall: list[Cell]
    stores: list[Row]
    groups: list[Row]


def _index(day: dt.date) -> int:
    return day.year * 12 + day.month - 1


def _label(index: int) -> str:
    return f"{index // 12}-{index % 12 + 1:02d}"


def _start(index: int) -> dt.datetime:
    return dt.datetime(index // 12, index % 12 + 1, 1, tzinfo=SHANGHAI)


def _month_of(first: int, last: int, name: str = "occurred_at") -> Case:
    """The month index of a row as a CASE over the month boundaries: plain comparisons the database does itself
    (no per-row time-zone function), so it uses the index on the time column."""
    def bound(i: int):
        return _start(i) if name != "local_date" else _start(i).date()
    return Case(*[When(**{f"{name}__lt": bound(i + 1)}, then=Value(i)) for i in range(first, last + 1)],
                default=Value(last + 1), output_field=IntegerField())


def _pairs(qs, first: int, last: int, name: str = "occurred_at") -> dict[int, set[int]]:
    """month index → member ids (rows from the first month's start on)."""
    out: dict[int, set[int]] = defaultdict(set)
    rows = qs.annotate(m=_month_of(first, last, name)).values_list("member_id", "m").distinct().order_by()
    for member_id, month in rows.iterator(chunk_size=20_000):
        out[month].add(member_id)
    return out


def _ltv(first: int, end: dt.datetime, relevant: Q):
    """(source, run, per-month lookup member → value or None)."""
    run = ClvRun.objects.filter(store__isnull=True).order_by("-created_at", "-id").first()
    if run is not None:
        values = dict(MemberValue.objects.filter(relevant, run=run).values_list("member_id", "clv_12m_fen"))
        return "clv", run, lambda index: values
    monthly: dict[int, dict[int, int]] = defaultdict(dict)
    qs = (Transaction.objects.filter(relevant, occurred_at__gte=_start(first - MONTHS + 1), occurred_at__lt=end)
          .annotate(m=_month_of(first - MONTHS + 1, first + MONTHS - 1)).values("member_id", "m")
          .annotate(net=Sum("amount_fen")).order_by())
    for row in qs.values_list("member_id", "m", "net").iterator(chunk_size=20_000):
        monthly[row[1]][row[0]] = row[2] or 0

    def trailing(index: int) -> dict[int, int]:
        total: dict[int, int] = defaultdict(int)
        for m in range(index - MONTHS + 1, index + 1):
            for member_id, net in monthly.get(m, {}).items():
                total[member_id] += net
        return total
    return "spend_12m", None, trailing


def traffic_value(actor: Actor, *, store: str = "") -> TrafficValue:
    scope = scope_for(actor, store)
    now = clock.now()
    last = _index(now.astimezone(SHANGHAI).date())
    first = last - MONTHS + 1
    start, ends = _start(first), [min(_start(i + 1), now) for i in range(first, last + 1)]
    members = members_visible_to(actor).filter(is_active=True, joined_at__lt=now)
    if scope.store is not None:
        members = members.filter(home_store_id=scope.store.pk)
    people = list(members.values_list("pk", "home_store_id", "joined_at").order_by())
    groups = Group.objects.select_related("store").order_by("store__code", "name", "pk")
    if scope.store_ids is not None:
        groups = groups.filter(store_id__in=scope.store_ids)
    groups = list(groups)
    stays = list(Membership.objects.filter(group__in=groups, joined_at__lt=now)
                 .filter(Q(left_at__isnull=True) | Q(left_at__gte=start))
                 .values_list("group_id", "member_id", "joined_at", "left_at"))
    window = {"occurred_at__gte": start, "occurred_at__lt": now}
    # A store's view reads only the activity of its members and its groups' members.
    relevant = Q() if scope.store_ids is None else (
        Q(member__home_store_id__in=scope.store_ids)
        | Q(member_id__in=Membership.objects.filter(group__store_id__in=scope.store_ids).values("member_id")))
    buyers = _pairs(Transaction.objects.filter(relevant, amount_fen__gt=0, **window), first, last)
    today = now.astimezone(SHANGHAI).date()
    active = _pairs(CheckIn.objects.filter(relevant, local_date__gte=start.date(), local_date__lte=today), first, last,
                    "local_date")
    events = GroupEvent.objects.filter(relevant, kind__in=INTERACTIONS, member__isnull=False, **window)
    for month, ids in _pairs(events, first, last).items():
        active[month] |= ids
    for month, ids in buyers.items():
        active[month] |= ids
    source, run, ltv_of = _ltv(first, now, relevant)
    stores = _stores(actor, scope)
    out = TrafficValue(months=[_label(i) for i in range(first, last + 1)], current_partial=True, ltv_source=source,
                       clv_run=run, overall=[], stores=[Row(s.code, s.name, s.name) for s in stores],
                       groups=[Row(str(g.pk), g.name, g.store.name) for g in groups])
    store_row = {s.pk: row for s, row in zip(stores, out.stores, strict=True)}
    group_row = {g.pk: row for g, row in zip(groups, out.groups, strict=True)}
    for offset, end in enumerate(ends):
        index = first + offset
        label, act, buy, ltv = _label(index), active.get(index, set()), buyers.get(index, set()), ltv_of(index)
        overall = Cell(label)
        cells = {pk: Cell(label) for pk in store_row} | {("g", pk): Cell(label) for pk in group_row}
        for member_id, home, joined in people:
            if joined < end:
                _count(overall, member_id, act, buy, ltv, source)
                if home in store_row:
                    _count(cells[home], member_id, act, buy, ltv, source)
        for group_id, member_id, joined, left in stays:
            if joined < end and (left is None or left >= end):
                _count(cells[("g", group_id)], member_id, act, buy, ltv, source)
        out.overall.append(overall)
        for pk, row in store_row.items():
            row.cells.append(cells[pk])
        for pk, row in group_row.items():
            row.cells.append(cells[("g", pk)])
    return out


def _count(cell: Cell, member_id: int, act: set[int], buy: set[int], ltv: dict[int, int], source: str) -> None:
    cell.members += 1
    cell.active += member_id in act
    cell.buyers += member_id in buy
    value = ltv.get(member_id)
    if value is not None or source == "spend_12m":
        cell.ltv_total_fen += value or 0
        cell.ltv_members += 1


def _stores(actor: Actor, scope: Scope) -> list:
    from shequn.stores.selectors import stores_visible_to

    stores = stores_visible_to(actor)
    if scope.store is not None:
        stores = stores.filter(pk=scope.store.pk)
    return list(stores.order_by("code"))
