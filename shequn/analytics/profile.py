"""会员 360 画像: one member's purchases, engagement, loyalty and model scores in one read.

Purchases come from analytics Transactions, so imported history counts exactly like native orders. Net spend
is purchases minus refunds; an order is one order number among the purchases (a purchase row without an
order number is an order of its own); a purchase day is a local (Asia/Shanghai) day with a purchase; the
average order value is net spend ÷ orders. A store manager sees only members of their stores (404
otherwise), and only the purchases, orders, groups and group interactions of their stores: a transaction
belongs to its store, one without a store to the member's home store (as on the analytics overview).
Member-wide facts (points, check-ins, coupons, referrals, tags) are shown whole.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import F, Q, Sum
from django.utils.translation import gettext as _

from shequn.core import clock
from shequn.core.actor import Actor
from shequn.members.models import Member
from shequn.members.selectors import get_member

from . import profile_sections as sections
from .models import Transaction
from .overview import SHANGHAI

MONTHS = 12
RECENT_ORDERS = 10
TOP_CATEGORIES = 6


@dataclass
class Purchases:
    net_spend_fen: int = 0
    gross_fen: int = 0  # purchases before refunds
    refunded_fen: int = 0  # a positive figure
    orders: int = 0
    purchase_days: int = 0
    aov_fen: int = 0
    first_at: dt.datetime | None = None
    last_at: dt.datetime | None = None
    days_since_last: int | None = None
    imported_orders: int = 0


@dataclass
class RecentOrder:
    order_no: str
    occurred_at: dt.datetime
    amount_fen: int
    refunded_fen: int
    source: str  # order | import
    store_name: str
    order_id: int | None = None  # a native order the console can open
    status: str = ""


@dataclass
class Profile:
    member: Member
    scoped: bool
    today: dt.date
    purchases: Purchases
    months: list[dict]
    categories: list[dict]
    recent_orders: list[RecentOrder]
    groups: list[dict] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    points: dict = field(default_factory=dict)
    coupons: dict = field(default_factory=dict)
    referrals: dict = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    rfm: list[dict] = field(default_factory=list)
    value: dict | None = None


def member_profile(actor: Actor, member_id: int) -> Profile:
    """The 360 view of one member the actor may see (NotFound otherwise)."""
    member = get_member(actor, member_id)
    store_ids = None if actor.store_ids is None else set(actor.store_ids)
    today = clock.now().astimezone(SHANGHAI).date()
    rows = _transactions(member, store_ids)
    orders = _orders(rows)
    profile = Profile(member=member, scoped=store_ids is not None, today=today,
                      purchases=_purchases(rows, orders, today), months=_months(rows, today),
                      categories=_categories(member, rows, store_ids),
                      recent_orders=_recent_orders(orders, store_ids))
    profile.groups, profile.timeline = sections.community(member, store_ids)
    profile.points = sections.points(member)
    profile.coupons = sections.coupons(member)
    profile.referrals = sections.referrals(member)
    profile.tags = sorted(member.tags.values_list("name", flat=True))
    profile.rfm = sections.rfm(actor, member)
    profile.value = sections.clv(actor, member)
    return profile


def _transactions(member: Member, store_ids: set[int] | None) -> list[tuple]:
    qs = Transaction.objects.filter(member=member)
    if store_ids is not None:
        qs = qs.filter(Q(store_id__in=store_ids) | Q(store__isnull=True, member__home_store_id__in=store_ids))
    rows = qs.order_by("occurred_at", "id").values_list(
        "occurred_at", "amount_fen", "order_no", "source", "source_ref", "sku", "store__name")
    return [(*row, row[0].astimezone(SHANGHAI).date()) for row in rows]  # + the local day


def _orders(rows: list[tuple]) -> dict[str, dict]:
    """Purchases grouped into orders (keyed by order number, else the row's own reference), with the refunds
    that name the same order number; in order of first purchase."""
    orders: dict[str, dict] = {}
    refunds: dict[str, int] = defaultdict(int)
    for at, amount, order_no, source, ref, _sku, store, _day in rows:
        if amount > 0:
            key = order_no or f"{source}:{ref}"
            order = orders.setdefault(key, {"order_no": order_no, "at": at, "amount": 0, "source": source,
                                            "store": store or ""})
            order["amount"] += amount
        elif order_no:
            refunds[order_no] += -amount
    for key, order in orders.items():
        order["refunded"] = refunds.get(key, 0)
    return orders


def _purchases(rows: list[tuple], orders: dict[str, dict], today: dt.date) -> Purchases:
    bought = [row for row in rows if row[1] > 0]
    if not bought:
        return Purchases(net_spend_fen=sum(row[1] for row in rows), refunded_fen=-sum(row[1] for row in rows))
    gross = sum(row[1] for row in bought)
    net = sum(row[1] for row in rows)
    last = bought[-1][0]
    return Purchases(
        net_spend_fen=net, gross_fen=gross, refunded_fen=gross - net, orders=len(orders),
        purchase_days=len({row[7] for row in bought}),
        aov_fen=(2 * net + len(orders)) // (2 * len(orders)), first_at=bought[0][0], last_at=last,
        days_since_last=(today - bought[-1][7]).days,
        imported_orders=sum(1 for o in orders.values() if o["source"] == Transaction.Source.IMPORT))


def _months(rows: list[tuple], today: dt.date) -> list[dict]:
    """Net spend and orders of each of the last 12 local calendar months, oldest first (refunds count in
    the month they happened)."""
    keys, year, month = [], today.year, today.month
    for _month in range(MONTHS):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    keys.reverse()
    spend, orders = dict.fromkeys(keys, 0), dict.fromkeys(keys, 0)
    seen: set[str] = set()
    for _at, amount, order_no, source, ref, _sku, _store, day in rows:
        key = f"{day.year:04d}-{day.month:02d}"
        if key in spend:
            spend[key] += amount
            order_key = order_no or f"{source}:{ref}"
            if amount > 0 and order_key not in seen:
                seen.add(order_key)
                orders[key] += 1
    return [{"month": key, "spend_fen": spend[key], "orders": orders[key]} for key in keys]


def _categories(member: Member, rows: list[tuple], store_ids: set[int] | None) -> list[dict]:
    """Share of spend by catalogue category: native order lines net of refunded amounts, and imported rows
    by their SKU (a SKU not in the catalogue, or a row without one, is 未分类)."""
    from shequn.commerce.models import Order, OrderLine, Sku

    spend: dict[str, int] = defaultdict(int)
    lines = (OrderLine.objects.filter(order__member=member, order__paid_at__isnull=False)
             .exclude(order__status=Order.Status.CANCELLED))
    if store_ids is not None:
        lines = lines.filter(order__store_id__in=store_ids)
    for name, net in (lines.values("sku__product__category__name")
                      .annotate(net=Sum(F("paid_fen") - F("refunded_fen")))
                      .values_list("sku__product__category__name", "net")):
        spend[name or _("未分类")] += net or 0
    imported: dict[str, int] = defaultdict(int)
    for _at, amount, _no, source, _ref, sku, _store, _day in rows:
        if source == Transaction.Source.IMPORT:
            imported[sku] += amount
    known = dict(Sku.objects.filter(code__in=[s for s in imported if s])
                 .values_list("code", "product__category__name")) if any(imported) else {}
    for sku, amount in imported.items():
        spend[known.get(sku) or _("未分类")] += amount
    total = sum(v for v in spend.values() if v > 0)
    ranked = sorted(((name, fen) for name, fen in spend.items() if fen > 0), key=lambda p: (-p[1], p[0]))
    top = [{"name": name, "spend_fen": fen, "share": fen / total} for name, fen in ranked[:TOP_CATEGORIES]]
    rest = sum(fen for _name, fen in ranked[TOP_CATEGORIES:])
    if rest:
        top.append({"name": _("其他"), "spend_fen": rest, "share": rest / total})
    return top


def _recent_orders(orders: dict[str, dict], store_ids: set[int] | None) -> list[RecentOrder]:
    from shequn.commerce.models import Order

    recent = sorted(orders.values(), key=lambda o: o["at"], reverse=True)[:RECENT_ORDERS]
    numbers = [o["order_no"] for o in recent if o["order_no"] and o["source"] == Transaction.Source.ORDER]
    native = Order.objects.filter(order_no__in=numbers)
    if store_ids is not None:
        native = native.filter(store_id__in=store_ids)
    found = {no: (pk, status) for pk, no, status in native.values_list("pk", "order_no", "status")} if numbers else {}
    labels = dict(Order.Status.choices)
    out = []
    for o in recent:
        pk, status = found.get(o["order_no"], (None, ""))
        out.append(RecentOrder(order_no=o["order_no"], occurred_at=o["at"], amount_fen=o["amount"],
                               refunded_fen=o["refunded"], source=o["source"], store_name=o["store"],
                               order_id=pk, status=str(labels.get(status, ""))))
    return out
