"""订单: place, cancel, fulfil and pick up orders. Payment is in payments.py, refunds in refunds.py.

Placing an order reserves stock (all lines or none), applies member/channel prices, coupons and points
as cash, all in one transaction; channel modules (flash sale, team purchase, group buy) call
`place_order` inside their own transaction after taking their own seat or allocation."""

import datetime as dt
import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.loyalty import points as loyalty_points
from shequn.loyalty.models import LoyaltyAccount
from shequn.stores.models import PickupPoint, Store

from . import hooks, pricing, stock
from .errors import InvalidOrder, InvalidPickupCode, OrderNotFound, OrderStateConflict
from .models import Order, OrderLine, Sku

log = logging.getLogger(__name__)

MAX_LINES = 50
MAX_QUANTITY = 999
SHIPPED = (Order.Status.FULFILLED, Order.Status.PICKED_UP, Order.Status.COMPLETED)
REFUNDABLE = (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.PICKED_UP, Order.Status.COMPLETED,
              Order.Status.PARTIALLY_REFUNDED)


@dataclass(frozen=True)
class Item:
    sku: str
    quantity: int


def _clean_items(items) -> list[Item]:
    if not items:
        raise InvalidOrder("An order needs at least one item.", field="items")
    if len(items) > MAX_LINES:
        raise InvalidOrder(f"An order has at most {MAX_LINES} lines.", field="items")
    merged: dict[str, int] = {}
    for raw in items:
        code, quantity = (raw.sku, raw.quantity) if isinstance(raw, Item) else (raw.get("sku"), raw.get("quantity"))
        code = str(code or "").strip()
        if not code:
            raise InvalidOrder("Every item needs a sku.", field="items")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidOrder(f"Quantity of {code} must be between 1 and {MAX_QUANTITY}.", field="items")
        merged[code] = merged.get(code, 0) + quantity
        if merged[code] > MAX_QUANTITY:
            raise InvalidOrder(f"At most {MAX_QUANTITY} of {code} in one order.", field="items")
    return [Item(code, q) for code, q in merged.items()]


def _skus(items: list[Item]) -> dict[str, Sku]:
    found = {s.code: s for s in Sku.objects.select_related("product").prefetch_related("tier_prices")
             .filter(code__in=[i.sku for i in items])}
    for item in items:
        sku = found.get(item.sku)
        if sku is None:
            raise InvalidOrder(f"Unknown SKU {item.sku}.", type="unknown-sku", field="items", sku=item.sku)
        if not (sku.is_active and sku.product.is_active):
            raise InvalidOrder(f"{sku.product.name} ({item.sku}) is not on sale.", type="not-on-sale",
                               field="items", sku=item.sku)
    return found


def _location(member, fulfilment: str, store: Store | None, pickup_point: PickupPoint | None) -> Store:
    if fulfilment not in Order.Fulfilment.values:
        raise InvalidOrder("fulfilment must be pickup or delivery.", field="fulfilment")
    if pickup_point is not None:
        if fulfilment != Order.Fulfilment.PICKUP:
            raise InvalidOrder("A pickup point goes with fulfilment pickup.", field="fulfilment")
        if not pickup_point.is_active:
            raise InvalidOrder(f"Pickup point {pickup_point.name} is closed.", field="pickup_point")
        return pickup_point.store
    if store is not None:
        if not store.is_active:
            raise InvalidOrder(f"{store.name} is closed.", field="store_code")
        if fulfilment == Order.Fulfilment.PICKUP and store.kind != Store.Kind.STORE:
            raise InvalidOrder(f"{store.name} is a warehouse; pick up at a store.", field="store_code")
        return store
    if fulfilment == Order.Fulfilment.PICKUP:
        if member.home_store_id is None:
            raise InvalidOrder("Choose the store to pick up from (store_code).", field="store_code")
        return member.home_store
    return stock.default_location()


def _tier(member_id: int) -> tuple[str, int]:
    account = LoyaltyAccount.objects.select_related("tier").filter(member_id=member_id).first()
    if account is None:
        return "", 1000
    return account.tier.code, account.tier.discount_permille


def price_lines(member_id: int, items: list[Item], skus: dict[str, Sku],
                unit_prices: dict[str, int] | None = None) -> tuple[str, list[pricing.PricedLine]]:
    """Member price per line; a channel price (flash sale, team, group buy) applies when lower."""
    tier_code, permille = _tier(member_id)
    lines = []
    for item in items:
        sku = skus[item.sku]
        tier_prices = {tp.tier_code: tp.price_fen for tp in sku.tier_prices.all()}
        unit = pricing.member_price(sku, tier_code, permille, tier_prices)
        if unit_prices and item.sku in unit_prices:
            unit = min(unit, unit_prices[item.sku])
        lines.append(pricing.PricedLine(sku.pk, sku.code, sku.product_id, sku.product.category_id, item.quantity,
                                        sku.price_fen, unit))
    return tier_code, lines


def priced_cart(member_id: int, items, unit_prices: dict[str, int] | None = None
                ) -> tuple[str, list[pricing.PricedLine], dict[str, Sku]]:
    """Check a cart (merged lines, known SKUs on sale) and price it exactly as an order would be:
    (member's tier code, priced lines, SKUs by code). Raises InvalidOrder on a bad cart."""
    cleaned = _clean_items(items)
    skus = _skus(cleaned)
    tier_code, lines = price_lines(member_id, cleaned, skus, unit_prices)
    return tier_code, lines, skus


def new_order_no(at: dt.datetime) -> str:
    return f"{timezone.localtime(at).strftime('%y%m%d')}{secrets.randbelow(10**10):010d}"


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


def place_order(actor: Actor, *, member, items, fulfilment: str, store: Store | None = None,
                pickup_point: PickupPoint | None = None, coupon_ids=(), points: int = 0, channel: str = "shop",
                channel_ref: str = "", unit_prices: dict[str, int] | None = None, referrer=None,
                address: str = "", note: str = "", pay_within: dt.timedelta | None = None) -> Order:
    """下单: reserve stock and fix prices; the order waits for payment until `expires_at`."""
    if not isinstance(points, int) or isinstance(points, bool) or points < 0:
        raise InvalidOrder("points must be a whole number, 0 or more.", field="points")
    if len(address) > 200 or len(note) > 200:
        raise InvalidOrder("address and note have at most 200 characters.", field="address")
    if referrer is not None and referrer.pk == member.pk:
        referrer = None  # buying through one's own link earns nobody anything
    tier_code, lines, skus = priced_cart(member.pk, items, unit_prices)
    settings = pricing.settings_row()
    now = timezone.now()
    with transaction.atomic():  # the central warehouse may be created here: rolled back with a refused order
        location = _location(member, fulfilment, store, pickup_point)
        order_no = new_order_no(now)
        levels = stock.reserve([(skus[ln.code], location, ln.quantity) for ln in lines], ref=order_no,
                               actor=actor.label)
        subtotal = sum(line.list_price_fen * line.quantity for line in lines)
        goods = sum(line.total_fen for line in lines)
        order = Order.objects.create(
            order_no=order_no, member=member, store=location, fulfilment=fulfilment, pickup_point=pickup_point,
            channel=channel, channel_ref=channel_ref[:40], referrer=referrer, tier_code=tier_code,
            subtotal_fen=subtotal, member_discount_fen=subtotal - goods, total_fen=goods,
            pickup_code=_pickup_code() if fulfilment == Order.Fulfilment.PICKUP else "",
            address=address.strip(), note=note.strip(),
            expires_at=now + (pay_within or dt.timedelta(minutes=settings.unpaid_timeout_minutes)))
        discounts = _apply_coupons(actor, order, member, coupon_ids, lines)
        coupon_fen = sum(d.amount_fen for d in discounts)
        if coupon_fen > goods:
            raise InvalidOrder("Coupons cannot take more than the goods are worth.", type="coupon-not-applicable")
        balance = loyalty_points.lock_account(member.pk).points_balance if points else 0
        points_used, offset_fen = pricing.points_offset(points, goods - coupon_fen, balance, settings)
        if points_used:
            loyalty_points.redeem(actor, member.pk, points_used, source="order", ref=f"offset:{order_no}",
                                  reason=f"订单 {order_no} 积分抵现")
        fee = (pricing.delivery_fee(goods - coupon_fen, settings)
               if fulfilment == Order.Fulfilment.DELIVERY else 0)
        shares = _line_discounts(lines, discounts, offset_fen)
        OrderLine.objects.bulk_create(
            OrderLine(order=order, sku_id=line.sku_id, level=levels[line.sku_id], product_name=skus[line.code]
                      .product.name, spec=skus[line.code].spec, quantity=line.quantity,
                      list_price_fen=line.list_price_fen, unit_price_fen=line.unit_price_fen,
                      discount_fen=share, paid_fen=line.total_fen - share)
            for line, share in zip(lines, shares, strict=True))
        order.coupon_discount_fen, order.points_used, order.points_offset_fen = coupon_fen, points_used, offset_fen
        order.delivery_fee_fen = fee
        order.total_fen = goods - coupon_fen - offset_fen + fee
        order.save(update_fields=["coupon_discount_fen", "points_used", "points_offset_fen", "delivery_fee_fen",
                                  "total_fen"])
        hooks.fire("placed", order)
        audit.record(actor, "order.placed", order, store_id=location.pk,
                     after={"order_no": order_no, "total_fen": order.total_fen, "channel": channel,
                            "lines": [[line.code, line.quantity, line.unit_price_fen] for line in lines]})
        outbox.emit("order.placed", "order", order.pk, order_no=order_no, member_id=member.pk,
                    total_fen=order.total_fen, channel=channel, store_id=location.pk)
        if order.total_fen == 0:
            from .payments import confirm_payment
            confirm_payment(actor, provider="free", order_no=order_no, transaction_id=f"free:{order_no}",
                            amount_fen=0, paid_at=now)
            order.refresh_from_db()
    return order


def _apply_coupons(actor: Actor, order: Order, member, coupon_ids, lines) -> list[pricing.Discount]:
    ids = list(dict.fromkeys(coupon_ids or ()))
    if not ids:
        return []
    from .coupons import redemption  # coupons live in their own app inside commerce
    return redemption.redeem_for_order(actor, order=order, member=member, coupon_ids=ids, lines=lines)


def _line_discounts(lines, discounts: list[pricing.Discount], offset_fen: int) -> list[int]:
    """Coupon shares where the coupon said, points offset in proportion to what is left on each line."""
    shares = [0] * len(lines)
    for discount in discounts:
        split = discount.line_shares or dict(enumerate(pricing.allocate(discount.amount_fen,
                                                                        [ln.total_fen for ln in lines])))
        for index, fen in split.items():
            shares[index] += fen
    remaining = [line.total_fen - share for line, share in zip(lines, shares, strict=True)]
    if any(r < 0 for r in remaining):
        raise InvalidOrder("Coupons cannot take more than a line is worth.", type="coupon-not-applicable")
    for index, fen in enumerate(pricing.allocate(offset_fen, remaining)):
        shares[index] += fen
    return shares


def lock_order(order_id: int) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order_id)
    except Order.DoesNotExist:
        raise OrderNotFound(f"No order {order_id}.") from None


def cancel_order(actor: Actor, order: Order, *, reason: str = "会员取消") -> Order:
    """取消: only unpaid orders; held stock, points and coupons come back. Cancelling twice is a no-op."""
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.status == Order.Status.CANCELLED:
            return order
        if order.status != Order.Status.PENDING_PAYMENT:
            raise OrderStateConflict(f"Order {order.order_no} is {order.get_status_display()}; paid orders are "
                                     "refunded, not cancelled.", status_now=order.status)
        for line in order.lines.all().order_by("level_id"):
            stock.release(line.level_id, line.quantity, ref=order.order_no, reason=reason[:100])
        if order.points_used:
            loyalty_points.earn(actor, order.member_id, order.points_used, source="order",
                                ref=f"cancel:{order.order_no}", reason=f"订单 {order.order_no} 取消，积分退回")
        order.status, order.cancelled_at, order.cancel_reason = Order.Status.CANCELLED, timezone.now(), reason[:100]
        order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
        hooks.fire("cancelled", order)
        audit.record(actor, "order.cancelled", order, store_id=order.store_id, after={"reason": reason})
        outbox.emit("order.cancelled", "order", order.pk, order_no=order.order_no, member_id=order.member_id,
                    reason=reason)
    return order


def cancel_expired(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Cancel unpaid orders past their deadline (releases stock, points and coupons).

    An order sent to an online provider is first reconciled there: paid after all → confirmed instead;
    the member paying right now → left for the next round; otherwise closed at the provider so it can no
    longer be paid, then cancelled."""
    from shequn.core.actor import SYSTEM
    now = now or timezone.now()
    due = list(Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expires_at__lt=now)
               .order_by("expires_at").values_list("pk", "order_no", "payment_method")[:limit])
    done = 0
    for order_id, order_no, method in due:
        if method in ONLINE_METHODS and not _closed_at_provider(method, order_no):
            continue
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status == Order.Status.PENDING_PAYMENT and order.expires_at < now:
                cancel_order(SYSTEM, order, reason="超时未支付")
                done += 1
    return done


ONLINE_METHODS = ("wechat",)


def _closed_at_provider(method: str, order_no: str) -> bool:
    """True when the order may be cancelled: the provider has closed it (or never saw it)."""
    from shequn.core.actor import SYSTEM
    from shequn.core.errors import Problem

    from .payments import confirm_payment
    from .providers import get_provider
    try:
        provider = get_provider(method)
        state, notice = provider.query_payment(order_no)
        if notice is not None:
            confirm_payment(SYSTEM, provider=notice.provider, order_no=order_no,
                            transaction_id=notice.transaction_id, amount_fen=notice.amount_fen,
                            paid_at=notice.paid_at)
            return False
        if state == "USERPAYING":
            return False
        if state != "ORDER_NOT_EXIST":
            provider.close_order(order_no)
    except Problem as exc:
        log.warning("order %s: could not reconcile with %s before cancelling: %s", order_no, method, exc.detail)
        return False
    return True


def mark_fulfilled(actor: Actor, order: Order) -> Order:
    """已发货: a delivery order left the store."""
    return _advance(actor, order, Order.Status.FULFILLED, "fulfilled", allowed_fulfilment=Order.Fulfilment.DELIVERY)


def verify_pickup(actor: Actor, *, code: str, store: Store | None = None,
                  pickup_point: PickupPoint | None = None) -> Order:
    """核销: the member shows the pickup code (or its QR) at the store or pickup point."""
    code = (code or "").strip()
    orders = Order.objects.filter(pickup_code=code, fulfilment=Order.Fulfilment.PICKUP)
    if pickup_point is not None:
        orders = orders.filter(pickup_point=pickup_point)
    elif store is not None:
        orders = orders.filter(store=store, pickup_point__isnull=True)
    order = orders.order_by("-id").first() if len(code) == 8 and code.isdigit() else None
    if order is None:
        raise InvalidPickupCode("No order with that pickup code here. Check the code and the pickup place.")
    return _advance(actor, order, Order.Status.PICKED_UP, "picked_up", allowed_fulfilment=Order.Fulfilment.PICKUP)


def _advance(actor: Actor, order: Order, to: str, event: str, *, allowed_fulfilment: str) -> Order:
    with transaction.atomic():
        order = lock_order(order.pk)
        if order.status == to:
            return order
        if order.fulfilment != allowed_fulfilment:
            raise OrderStateConflict(f"Order {order.order_no} is a {order.get_fulfilment_display()} order.")
        if order.status not in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED) or order.fulfilled_at:
            raise OrderStateConflict(f"Order {order.order_no} is {order.get_status_display()}; only paid orders "
                                     "are handed over.", status_now=order.status)
        order.status, order.fulfilled_at = to, timezone.now()
        order.save(update_fields=["status", "fulfilled_at"])
        hooks.fire(event, order)
        audit.record(actor, f"order.{event}", order, store_id=order.store_id)
        outbox.emit(f"order.{event}", "order", order.pk, order_no=order.order_no, member_id=order.member_id)
    return order


def complete_due(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """完成: handed-over orders become completed after the after-sales window."""
    from shequn.core.actor import SYSTEM
    now = now or timezone.now()
    days = pricing.settings_row().complete_after_days
    ids = list(Order.objects.filter(status__in=[Order.Status.FULFILLED, Order.Status.PICKED_UP],
                                    fulfilled_at__lt=now - dt.timedelta(days=days))
               .values_list("pk", flat=True)[:limit])
    for order_id in ids:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status not in (Order.Status.FULFILLED, Order.Status.PICKED_UP):
                continue
            order.status, order.completed_at = Order.Status.COMPLETED, now
            order.save(update_fields=["status", "completed_at"])
            hooks.fire("completed", order)
            audit.record(SYSTEM, "order.completed", order, store_id=order.store_id)
            outbox.emit("order.completed", "order", order.pk, order_no=order.order_no, member_id=order.member_id)
    return len(ids)
