"""Demo shop: the catalog with stock at every store, and a year of orders for the demo members.

Every purchase the planner gives a member becomes a commerce order whose paid amount is what the
member's loyalty account counts (`Purchase.ref` = `Order.order_no`, source "shop"):

- Orders older than `LIVE_DAYS` are written in bulk — Order, OrderLine, Payment, Refund and the
  StockEntry ledger (opening stock, reservation and sale per line, replenishment every two weeks) with the stock
  levels set to the ledger sums — while their points and tier effects still go through the loyalty
  services in time order (`record_purchase`, `record_refund`, points as cash).
- Orders of the last `LIVE_DAYS` days go through the order services (`place_order`, `confirm_payment`,
  `verify_pickup`, `complete_due`, `refund_order`, `cancel_order`) with every hook, audit entry and outbox
  event; the times those services stamp with "now" are moved back to the planned moment afterwards.

Baskets follow a long tail: a few 爆品 carry most sales, seasonal boxes sell in their season."""

import bisect
import datetime as dt
import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import catalog, orders, payments, pricing, refunds, stock
from shequn.commerce.errors import OutOfStock
from shequn.commerce.models import Order, OrderLine, Payment, Refund, Sku, SkuTierPrice, StockEntry, StockLevel
from shequn.commerce.providers.sandbox import transaction_id_for
from shequn.commerce.referral.models import Referral
from shequn.core.actor import Actor
from shequn.loyalty import activity
from shequn.loyalty import points as ledger
from shequn.loyalty.models import LoyaltyAccount, PointsEntry, Purchase, Tier
from shequn.members.import_write import insert_rows
from shequn.members.models import Member
from shequn.stores.models import Store

from . import catalog_data

LIVE_DAYS = 14
PICKUP_WAIT = dt.timedelta(hours=36)  # orders paid since then are still waiting to be picked up
MAX_LINES = 14
CATALOG = Actor(kind="system", id="demo-catalog", label="商品运营 (demo)")
TILL = Actor(kind="system", id="pos", label="POS 收银")
PAY = Actor(kind="system", id="pay-notify", label="支付回调")
SEASONS = {"中秋": (8, 9), "端午": (5, 6), "时令": (9, 10, 11), "年货": (12, 1, 2), "夏季": (6, 7, 8)}
REFUND_REASONS = ["商品质量问题", "少送/漏发", "临期商品", "水果有坏果", "不想要了", "拍错规格"]
DISTRICTS = {
    "SH-JA": ["上海市静安区江宁路", "上海市静安区延安中路", "上海市静安区常德路", "上海市静安区武定路"],
    "HZ-XH": ["杭州市西湖区文一路", "杭州市西湖区教工路", "杭州市西湖区古墩路", "杭州市西湖区学院路"],
    "CD-CX": ["成都市锦江区红星路", "成都市锦江区东大街", "成都市锦江区书院街", "成都市锦江区总府路"],
}


@dataclass
class Item:
    sku_id: int
    code: str
    product_name: str
    spec: str
    price_fen: int
    weight: float
    months: tuple[int, ...]
    tier_prices: dict[str, int] = field(default_factory=dict)


@dataclass
class Shelf:
    """SKUs one tier can afford in one month, sorted by unit price, with cumulative weights."""

    items: list[Item]
    prices: list[int]
    cumulative: list[float]


@dataclass
class Line:
    item: Item
    quantity: int
    unit_fen: int


def _shanghai(at: dt.datetime) -> dt.datetime:
    return timezone.localtime(at)


def _insert(model, objects: list) -> None:
    """INSERT unsaved instances as they are, historic created_at included (no auto_now_add), in one go."""
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    insert_rows(model, [f.name for f in fields],
                [tuple(f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields) for obj in objects])


class Shop:
    def __init__(self, rng: random.Random, stores: dict[str, Store], now: dt.datetime):
        self.rng, self.now = rng, now
        self.stores = stores
        self.store_by_id = {s.pk: s for s in stores.values()}
        self.cutoff = now - dt.timedelta(days=LIVE_DAYS)
        self.settings = pricing.settings_row()
        self.tiers = {t.pk: (t.code, t.discount_permille) for t in Tier.objects.all()}
        self.items: list[Item] = []
        self.levels: dict[tuple[int, int], int] = {}  # (sku id, store id) → level id
        self._shelves: dict[tuple[str, int], Shelf] = {}
        self.flushed = False
        self.taken_numbers: set[str] = set()
        # bulk history
        self.orders: list[Order] = []
        self.lines: list[list[OrderLine]] = []
        self.payments: list[Payment | None] = []
        self.refunds: list[list[Refund]] = []
        self.moves: list[tuple[dt.datetime, int, int, str, int, int, str, str]] = []
        self.refund_times: list[tuple[str, dt.datetime]] = []
        # live orders
        self.live: list[tuple[int, dt.datetime, dt.datetime | None]] = []  # order id, paid at, handed over at
        self.count = 0

    # ---------------------------------------------------------------- catalog

    def load_catalog(self) -> int:
        """About 200 products through the catalog service; 爆品 and every seventh product get member prices."""
        specs = catalog_data.parse()
        order = list(range(len(specs)))
        self.rng.shuffle(order)
        rank = {index: position for position, index in enumerate(order)}
        for index, spec in enumerate(specs):
            rows = []
            for number, (label, price) in enumerate(spec.skus, start=1):
                row = {"code": f"{spec.code}-{number}", "spec": label, "price_fen": price}
                if spec.hot or index % 7 == 0:
                    row["tier_prices"] = {tier: _round_dime(price * pct // 100)
                                          for tier, pct in (("silver", 96), ("gold", 92), ("diamond", 88))}
                rows.append(row)
            catalog.create_product(CATALOG, name=spec.name, skus=rows, category=spec.category, tags=spec.tags,
                                   description=spec.description)
            weight = 30.0 if spec.hot else 9.0 / (1 + rank[index]) ** 0.75 + 0.25
            months = next((m for tag, m in SEASONS.items() if tag in spec.tags), tuple(range(1, 13)))
            for number, (label, price) in enumerate(spec.skus, start=1):
                self.items.append(Item(0, f"{spec.code}-{number}", spec.name, label, price,
                                       weight if number == 1 else weight / 3, months))
        skus = dict(Sku.objects.filter(code__in=[i.code for i in self.items]).values_list("code", "pk"))
        tier_prices = defaultdict(dict)
        for sku_id, tier, fen in SkuTierPrice.objects.filter(sku_id__in=skus.values()).values_list(
                "sku_id", "tier_code", "price_fen"):
            tier_prices[sku_id][tier] = fen
        for item in self.items:
            item.sku_id = skus[item.code]
            item.tier_prices = tier_prices[item.sku_id]
        locations = [*self.stores.values(), stock.default_location()]
        StockLevel.objects.bulk_create([StockLevel(sku_id=i.sku_id, store=s) for i in self.items for s in locations],
                                       ignore_conflicts=True)
        self.levels = {(sku, store): pk for pk, sku, store in StockLevel.objects.filter(
            sku_id__in=skus.values()).values_list("pk", "sku_id", "store_id")}
        self.warehouse = locations[-1]
        return len(specs)

    def _shelf(self, tier_code: str, permille: int, month: int) -> Shelf:
        key = (tier_code, month)
        if key not in self._shelves:
            priced = sorted(((self._unit(i, tier_code, permille), i) for i in self.items if month in i.months),
                            key=lambda pair: pair[0])
            self._shelves[key] = Shelf([i for _, i in priced], [p for p, _ in priced],
                                       list(itertools.accumulate(i.weight for _, i in priced)))
        return self._shelves[key]

    @staticmethod
    def _unit(item: Item, tier_code: str, permille: int) -> int:
        return pricing.member_price(item, tier_code, permille, item.tier_prices)

    def basket(self, target_fen: int, tier_code: str, permille: int, month: int) -> list[Line]:
        """Lines at member prices adding up to the target (a few yuan over at most)."""
        rng, shelf = self.rng, self._shelf(tier_code, permille, month)
        chosen: dict[int, Line] = {}
        total = 0
        while len(chosen) < MAX_LINES:
            remaining = target_fen - total
            reach = bisect.bisect_right(shelf.prices, remaining)
            if reach == 0:
                break
            pick = bisect.bisect_right(shelf.cumulative, rng.random() * shelf.cumulative[reach - 1])
            pick = min(pick, reach - 1)
            item, unit = shelf.items[pick], shelf.prices[pick]
            most = remaining // unit
            quantity = min(most, rng.choices((1, 2, 3), weights=(70, 20, 10))[0])
            if len(chosen) >= MAX_LINES - 3 or (len(chosen) >= 5 and most > 12):
                quantity = max(quantity, min(most // 2, 60))
            line = chosen.setdefault(item.sku_id, Line(item, 0, unit))
            line.quantity += quantity
            total += quantity * unit
        if total < target_fen or not chosen:  # top up with the cheapest thing on the shelf
            item, unit = shelf.items[0], shelf.prices[0]
            line = chosen.setdefault(item.sku_id, Line(item, 0, unit))
            extra = max(1, -(-(target_fen - total) // unit))
            line.quantity += extra
        return list(chosen.values())

    # ---------------------------------------------------------------- purchases

    def purchase(self, member_id: int, store_id: int, at: dt.datetime, target_fen: int, points: int) -> str:
        """One planned purchase; `points` is how many the member would like to use as cash."""
        if at >= self.cutoff:
            return self._live(member_id, store_id, at, target_fen, points)
        return self._historic(member_id, store_id, at, target_fen, points)

    def tier_of(self, member_id: int) -> tuple[str, int]:
        tier_id = LoyaltyAccount.objects.filter(pk=member_id).values_list("tier_id", flat=True).get()
        return self.tiers[tier_id]

    def _order_no(self, at: dt.datetime) -> str:
        while True:
            number = f"{_shanghai(at):%y%m%d}{self.rng.randrange(10**10):010d}"
            if number not in self.taken_numbers:
                self.taken_numbers.add(number)
                return number

    def _historic(self, member_id: int, store_id: int, at: dt.datetime, target_fen: int, points: int) -> str:
        rng = self.rng
        tier_id, balance = LoyaltyAccount.objects.filter(pk=member_id).values_list("tier_id", "points_balance").get()
        tier_code, permille = self.tiers[tier_id]
        points = min(points, balance)
        wanted_offset = points * 100 // max(self.settings.points_per_yuan, 1)
        lines = self.basket(target_fen + wanted_offset, tier_code, permille, _shanghai(at).month)
        goods = sum(ln.quantity * ln.unit_fen for ln in lines)
        subtotal = sum(ln.quantity * ln.item.price_fen for ln in lines)
        points_used, offset = pricing.points_offset(points, goods, balance, self.settings)
        if rng.random() < 0.025:
            self._abandoned(member_id, store_id, at - dt.timedelta(hours=rng.randint(2, 30)), lines, tier_code)
        online = rng.random() < 0.35
        channel = "shop" if online else "pos"
        delivery = online and rng.random() < 0.2
        number = self._order_no(at)
        if points_used:
            source, ref = ("order", f"offset:{number}") if online else ("cash_offset", f"offset:{number}")
            ledger.redeem(TILL, member_id, points_used, source=source, ref=ref,
                          reason=f"订单 {number} 积分抵现" if online else f"积分抵现（小票 {number}）", at=at)
        paid = goods - offset
        created = at - dt.timedelta(minutes=rng.randint(1, 25)) if online else at
        handed = (at + dt.timedelta(hours=rng.randint(2, 30))) if online else at
        store = self.store_by_id[store_id]
        completed = handed + dt.timedelta(days=self.settings.complete_after_days)
        if completed <= self.now:
            status = Order.Status.COMPLETED
        else:  # still inside the after-sales window
            status, completed = (Order.Status.FULFILLED if delivery else Order.Status.PICKED_UP), None
        order = Order(order_no=number, member_id=member_id, store_id=store_id, status=status,
                      fulfilment=Order.Fulfilment.DELIVERY if delivery else Order.Fulfilment.PICKUP,
                      channel=channel, tier_code=tier_code, subtotal_fen=subtotal,
                      member_discount_fen=subtotal - goods, points_used=points_used, points_offset_fen=offset,
                      total_fen=paid, paid_fen=paid, payment_method="sandbox" if online else "offline",
                      pickup_code="" if delivery else f"{rng.randrange(10**8):08d}",
                      address=self._address(store) if delivery else "",
                      created_at=created, expires_at=created + dt.timedelta(minutes=30), paid_at=at,
                      fulfilled_at=handed, completed_at=completed)
        shares = pricing.allocate(offset, [ln.quantity * ln.unit_fen for ln in lines])
        rows = [OrderLine(sku_id=ln.item.sku_id, level_id=self.levels[(ln.item.sku_id, store_id)],
                          product_name=ln.item.product_name, spec=ln.item.spec, quantity=ln.quantity,
                          list_price_fen=ln.item.price_fen, unit_price_fen=ln.unit_fen, discount_fen=share,
                          paid_fen=ln.quantity * ln.unit_fen - share) for ln, share in zip(lines, shares, strict=True)]
        for row in rows:
            self.moves.append((created, 0, row.level_id, StockEntry.Kind.RESERVATION, 0, row.quantity, number, ""))
            self.moves.append((at, 1, row.level_id, StockEntry.Kind.SALE, -row.quantity, -row.quantity, number, ""))
        payment = None
        if paid:
            activity.record_purchase(TILL, member_id, paid, ref=number, source="shop", occurred_at=at,
                                     store_id=store_id)
            transaction_id = transaction_id_for(number) if online else f"POS{number}"
            payment = Payment(provider=order.payment_method, transaction_id=transaction_id, amount_fen=paid,
                              paid_at=at, created_at=at)
        self.orders.append(order)
        self.lines.append(rows)
        self.payments.append(payment)
        self.refunds.append(self._maybe_refund(order, rows) if paid and rng.random() < 0.035 else [])
        self.count += 1
        return number

    def _address(self, store: Store) -> str:
        road = self.rng.choice(DISTRICTS.get(store.code, [store.address]))
        return f"{road}{self.rng.randint(1, 999)}号{self.rng.randint(1, 30)}栋{self.rng.randint(101, 2802)}室"

    def _abandoned(self, member_id: int, store_id: int, at: dt.datetime, lines: list[Line], tier_code: str) -> None:
        """An online order never paid: cancelled by the unpaid-order job after 30 minutes."""
        if at < self.now - dt.timedelta(days=400):
            return
        number = self._order_no(at)
        goods = sum(ln.quantity * ln.unit_fen for ln in lines)
        subtotal = sum(ln.quantity * ln.item.price_fen for ln in lines)
        expires = at + dt.timedelta(minutes=self.settings.unpaid_timeout_minutes)
        order = Order(order_no=number, member_id=member_id, store_id=store_id, status=Order.Status.CANCELLED,
                      fulfilment=Order.Fulfilment.PICKUP, channel="shop", tier_code=tier_code,
                      subtotal_fen=subtotal, member_discount_fen=subtotal - goods, total_fen=goods,
                      pickup_code=f"{self.rng.randrange(10**8):08d}", cancel_reason="超时未支付", created_at=at,
                      expires_at=expires, cancelled_at=expires + dt.timedelta(minutes=1))
        rows = [OrderLine(sku_id=ln.item.sku_id, level_id=self.levels[(ln.item.sku_id, store_id)],
                          product_name=ln.item.product_name, spec=ln.item.spec, quantity=ln.quantity,
                          list_price_fen=ln.item.price_fen, unit_price_fen=ln.unit_fen,
                          paid_fen=ln.quantity * ln.unit_fen) for ln in lines]
        for row in rows:
            self.moves.append((at, 0, row.level_id, StockEntry.Kind.RESERVATION, 0, row.quantity, number, ""))
            self.moves.append((order.cancelled_at, 1, row.level_id, StockEntry.Kind.RELEASE, 0, -row.quantity,
                               number, "超时未支付"))
        self.orders.append(order)
        self.lines.append(rows)
        self.payments.append(None)
        self.refunds.append([])

    def _maybe_refund(self, order: Order, rows: list[OrderLine]) -> list[Refund]:
        """After-sales: the whole order or one line back, some days after it was handed over (not restocked)."""
        rng = self.rng
        at = min(order.fulfilled_at + dt.timedelta(days=rng.randint(0, 5), hours=rng.randint(1, 8)),
                 self.now - dt.timedelta(hours=1))
        number = f"RF{order.order_no}{rng.randrange(16**6):06X}"
        if len(rows) == 1 or rng.random() < 0.4:
            plan = [(row, row.quantity, row.paid_fen) for row in rows]
        else:
            row = rng.choice(rows)
            plan = [(row, row.quantity, row.paid_fen)]
        amount = sum(fen for _, _, fen in plan)
        if amount <= 0:
            return []
        full = amount == order.paid_fen
        for row, quantity, fen in plan:
            row.refunded_quantity, row.refunded_fen = quantity, fen
        points_back = (order.points_used if full else
                       min(order.points_used * amount // max(order.paid_fen, 1), order.points_used))
        reason = rng.choice(REFUND_REASONS)
        if points_back:
            ledger.earn(TILL, order.member_id, points_back, source="order", ref=f"refund:{number}",
                        reason=f"订单 {order.order_no} 退款，抵现积分退回", at=at)
        activity.record_refund(TILL, order.member_id, amount, ref=number, purchase_ref=order.order_no, source="shop")
        self.refund_times.append((number, at))
        order.refunded_fen, order.points_refunded = amount, points_back
        order.status = Order.Status.REFUNDED if full else Order.Status.PARTIALLY_REFUNDED
        provider_ref = number if order.payment_method == "offline" else f"SBXR{number[-12:]}"
        return [Refund(refund_no=number, amount_fen=amount, points_returned=points_back, reason=reason,
                       lines=[{"line_index": rows.index(row), "sku_id": row.sku_id, "quantity": q, "amount_fen": f,
                               "restocked": False} for row, q, f in plan],
                       provider=order.payment_method, provider_ref=provider_ref, actor="店长 (demo)", created_at=at)]

    # ---------------------------------------------------------------- bulk history

    def flush(self) -> None:
        """Write the bulk history (once, before the first live order)."""
        if self.flushed:
            return
        self.flushed = True
        _insert(Order, self.orders)
        numbers = [o.order_no for o in self.orders]
        ids = {}
        for start in range(0, len(numbers), 900):
            ids.update(Order.objects.filter(order_no__in=numbers[start:start + 900]).values_list("order_no", "pk"))
        for order, rows, payment in zip(self.orders, self.lines, self.payments, strict=True):
            order.pk = ids[order.order_no]
            for row in rows:
                row.order_id = order.pk
            if payment is not None:
                payment.order_id = order.pk
        _insert(OrderLine, [row for rows in self.lines for row in rows])
        _insert(Payment, [p for p in self.payments if p is not None])
        refunded = [(order, rows, made) for order, rows, made in zip(self.orders, self.lines, self.refunds,
                                                                     strict=True) if made]
        line_ids = {(order_id, sku_id): pk for pk, order_id, sku_id in OrderLine.objects.filter(
            order_id__in=[order.pk for order, _, _ in refunded]).values_list("pk", "order_id", "sku_id")}
        refund_rows = []
        for order, rows, made in refunded:
            for refund in made:
                refund.order_id = order.pk
                for record in refund.lines:
                    record["line_id"] = line_ids[(order.pk, rows[record.pop("line_index")].sku_id)]
                refund_rows.append(refund)
        _insert(Refund, refund_rows)
        self._write_stock()
        for number, at in self.refund_times:
            Purchase.objects.filter(source="shop", ref=number).update(occurred_at=at)
            PointsEntry.objects.filter(source="reversal", ref=f"refund:shop:{number}").update(created_at=at)
        self.orders, self.lines, self.payments, self.refunds, self.moves = [], [], [], [], []

    def _write_stock(self) -> None:
        """Opening stock, the sales, and replenishment every two weeks of what sold, as one ledger per level."""
        sold_by_week: dict[tuple[int, dt.date], int] = defaultdict(int)
        first = min((m[0] for m in self.moves), default=self.cutoff) - dt.timedelta(days=1)
        for at, _, level, kind, on_hand, *_ in self.moves:
            if kind == StockEntry.Kind.SALE:
                day = _shanghai(at).date()
                monday = day - dt.timedelta(days=day.weekday())
                sold_by_week[(level, monday - dt.timedelta(days=7 * (monday.toordinal() // 7 % 2)))] -= on_hand
        moves = list(self.moves)
        for (level, monday), quantity in sold_by_week.items():
            restock_at = timezone.make_aware(dt.datetime.combine(monday + dt.timedelta(days=14), dt.time(6, 30)))
            if restock_at < self.cutoff:
                cases = -(-quantity // 6) * 6
                moves.append((restock_at, 0, level, StockEntry.Kind.RECEIPT, cases, 0, f"PO{monday:%y%m%d}",
                              "双周补货"))
        moves.sort(key=lambda m: (m[0], m[1]))
        lowest: dict[int, int] = defaultdict(int)
        running: dict[int, int] = defaultdict(int)
        weekly: dict[int, list[int]] = defaultdict(list)
        for (level, _), quantity in sold_by_week.items():
            weekly[level].append(quantity)
        for _, _, level, _, on_hand, *_ in moves:
            running[level] += on_hand
            lowest[level] = min(lowest[level], running[level])
        opening = []
        for level in set(self.levels.values()):
            weeks = weekly.get(level, [])
            cover = max(weeks, default=0) * 2 + sum(weeks) // max(len(weeks), 1) * 4
            quantity = -lowest.get(level, 0) + 24 + cover
            if level in self._warehouse_levels():
                quantity += 200
            opening.append((first, -1, level, StockEntry.Kind.RECEIPT, quantity, 0, "OPENING", "期初库存"))
        moves = opening + moves
        on_hand: dict[int, int] = defaultdict(int)
        reserved: dict[int, int] = defaultdict(int)
        rows = []
        adapt = connection.ops.adapt_datetimefield_value
        for at, _, level, kind, d_on_hand, d_reserved, ref, reason in moves:
            on_hand[level] += d_on_hand
            reserved[level] += d_reserved
            rows.append((level, str(kind), d_on_hand, d_reserved, on_hand[level], reserved[level], ref, reason,
                         TILL.label if kind != StockEntry.Kind.RECEIPT else "仓库", adapt(at)))
        insert_rows(StockEntry, ["level", "kind", "on_hand_delta", "reserved_delta", "on_hand_after", "reserved_after",
                                 "ref", "reason", "actor", "created_at"], rows)
        table = connection.ops.quote_name(StockLevel._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET on_hand = %s, reserved = %s WHERE id = %s",
                               [(on_hand[level], reserved[level], level) for level in on_hand])

    def _warehouse_levels(self) -> set[int]:
        if not hasattr(self, "_wh"):
            self._wh = {pk for (_, store), pk in self.levels.items() if store == self.warehouse.pk}
        return self._wh

    # ---------------------------------------------------------------- live orders (the services)

    def _live(self, member_id: int, store_id: int, at: dt.datetime, target_fen: int, points: int,
              *, coupon_ids=(), channel: str = "shop") -> str:
        self.flush()
        rng = self.rng
        tier_code, permille = self.tier_of(member_id)
        lines = self.basket(target_fen + points * 100 // max(self.settings.points_per_yuan, 1), tier_code,
                            permille, _shanghai(at).month)
        member = Member.objects.get(pk=member_id)
        store = self.store_by_id[store_id]
        order = self.place(member, store, lines, points=points, coupon_ids=coupon_ids, channel=channel)
        self._pay(order, at, "offline" if rng.random() < 0.5 else "sandbox")
        return order.order_no

    def place(self, member: Member, store: Store, lines: list[Line], *, points: int = 0, coupon_ids=(),
              channel: str = "shop", referrer: Member | None = None) -> Order:
        """place_order for these lines, picked up at the store; an empty shelf is restocked first."""
        items = [{"sku": ln.item.code, "quantity": ln.quantity} for ln in lines]
        for _ in range(3):
            try:
                return orders.place_order(member_actor(member.pk), member=member, items=items, fulfilment="pickup",
                                          store=store, points=points, coupon_ids=coupon_ids, channel=channel,
                                          referrer=referrer)
            except OutOfStock as exc:  # the shelf ran empty: the store receives a delivery
                sku = Sku.objects.get(code=exc.extra["sku"])
                stock.receive(CATALOG, sku, store, 120, reason="到货补货")
        raise RuntimeError("stock could not be replenished")

    def pay_now(self, order: Order, at: dt.datetime, provider: str = "sandbox") -> Order:
        """Confirm the payment as made at `at` (in the past) and move the order's other times to match."""
        if order.status == Order.Status.PENDING_PAYMENT:
            transaction_id = transaction_id_for(order.order_no) if provider == "sandbox" else f"POS{order.order_no}"
            order = payments.confirm_payment(PAY, provider=provider, order_no=order.order_no,
                                             transaction_id=transaction_id, amount_fen=order.total_fen, paid_at=at)
        created = at - dt.timedelta(minutes=self.rng.randint(1, 12))
        Order.objects.filter(pk=order.pk).update(created_at=created, expires_at=created + dt.timedelta(minutes=30))
        Payment.objects.filter(order_id=order.pk).update(created_at=at)
        if order.points_used:
            PointsEntry.objects.filter(source="order", ref=f"offset:{order.order_no}").update(created_at=at)
        self.count += 1
        return order

    def _pay(self, order: Order, at: dt.datetime, provider: str) -> Order:
        """Pay (at the planned time), then hand it over unless it is still waiting to be picked up."""
        order = self.pay_now(order, at, provider)
        handed = None
        if at < self.now - PICKUP_WAIT and order.pickup_code:
            handed = at + dt.timedelta(hours=self.rng.randint(1, 30))
            handed = min(handed, self.now - dt.timedelta(hours=1))
            orders.verify_pickup(TILL, code=order.pickup_code, pickup_point=order.pickup_point,
                                 store=None if order.pickup_point else order.store)
        self.live.append((order.pk, at, handed))
        return order

    def finish_live(self) -> None:
        """Move the live orders' times to the planned moments, then let the after-sales window close."""
        self.flush()
        for order_id, _, handed in self.live:
            if handed is not None:
                Order.objects.filter(pk=order_id).update(fulfilled_at=handed)
        orders.complete_due(self.now)
        window = dt.timedelta(days=self.settings.complete_after_days)
        Order.objects.filter(pk__in=[pk for pk, _, handed in self.live if handed],
                             status=Order.Status.COMPLETED).update(completed_at=F("fulfilled_at") + window)

    def today(self, rng: random.Random, member_ids: list[int], staff_actor: Actor) -> dict[str, int]:
        """What happens today: a few refunds and a cancellation through the services, two unpaid orders."""
        recent = list(Order.objects.filter(pk__in=[pk for pk, _, _ in self.live],
                                           status__in=[Order.Status.COMPLETED, Order.Status.PICKED_UP,
                                                       Order.Status.PAID])
                      # a referred friend's first order stays: refunding it would void the demo's referral
                      .exclude(pk__in=Referral.objects.exclude(order=None).values("order_id")).order_by("pk"))
        done = {"refunds": 0, "cancelled": 0, "unpaid": 0}
        for order in rng.sample(recent, min(4, len(recent))):
            line = order.lines.order_by("pk").first()
            if rng.random() < 0.5 and order.lines.count() > 1:
                refunds.refund_order(staff_actor, order, reason=rng.choice(REFUND_REASONS),
                                     lines=[{"line_id": line.pk, "quantity": line.quantity}])
            else:
                refunds.refund_order(staff_actor, order, reason=rng.choice(REFUND_REASONS))
            done["refunds"] += 1
        for index, member_id in enumerate(rng.sample(member_ids, min(3, len(member_ids)))):
            member = Member.objects.select_related("home_store").get(pk=member_id)
            if member.home_store is None:
                continue
            tier_code, permille = self.tier_of(member_id)
            lines = self.basket(rng.randint(3_000, 12_000), tier_code, permille, _shanghai(self.now).month)
            order = self.place(member, member.home_store, lines)
            if index == 0:
                orders.cancel_order(member_actor(member_id), order, reason="会员取消")
                done["cancelled"] += 1
            else:
                done["unpaid"] += 1
        return done


def _round_dime(fen: int) -> int:
    """Member prices end in a whole 角 (¥x.x0)."""
    return max(10, fen // 10 * 10)
