"""秒杀 services: create a sale, buy in it, and give units back when an unpaid order is cancelled.

A purchase is one transaction: lock the SKU's stock level at the sale's store (the order locks it anyway;
taking it first keeps one lock order with cancellations, which lock it before the hook runs), take the units
from the sale with a conditional UPDATE (`remaining >= q`), raise the member's count with a conditional
UPDATE (`bought + q <= limit`), then place the order at the flash price. Any refusal rolls everything back."""

import datetime as dt

from django.db import transaction
from django.db.models import F, Sum

from shequn.commerce import orders
from shequn.commerce.models import Order, Sku, StockLevel
from shequn.core import audit, clock, outbox
from shequn.core.actor import Actor
from shequn.core.inputs import aware_datetime, whole_number
from shequn.stores.models import Store

from .errors import FlashSaleClosed, FlashSaleLimit, FlashSaleSoldOut, InvalidFlashSale
from .models import FlashBuyer, FlashOrder, FlashSale

PAY_WITHIN = dt.timedelta(minutes=5)
MAX_QUANTITY = 100_000
MAX_PER_MEMBER = 99


def _whole(value, field: str, low: int, high: int) -> int:
    return whole_number(value, field, low, high, InvalidFlashSale)


def _aware(value, field: str) -> dt.datetime:
    return aware_datetime(value, field, InvalidFlashSale)


def create_sale(actor: Actor, *, title: str, sku: Sku, store: Store, flash_price_fen: int, quantity: int,
                starts_at: dt.datetime, ends_at: dt.datetime, per_member_limit: int = 1,
                now: dt.datetime | None = None) -> FlashSale:
    """新建秒杀. The allotment must be covered by the stock available at `store` now. `now` lets a loader
    record past sales."""
    title = (title or "").strip()
    if not title or len(title) > 60:
        raise InvalidFlashSale("A flash sale needs a title of at most 60 characters.", field="title")
    _whole(quantity, "quantity", 1, MAX_QUANTITY)
    _whole(per_member_limit, "per_member_limit", 1, MAX_PER_MEMBER)
    _whole(flash_price_fen, "flash_price_fen", 1, 10**9)
    if not (sku.is_active and sku.product.is_active):
        raise InvalidFlashSale(f"{sku.code} is not on sale.", field="sku")
    if flash_price_fen >= sku.price_fen:
        raise InvalidFlashSale(f"The flash price must be below the list price ({sku.price_fen} fen).",
                               field="flash_price_fen")
    if not store.is_active:
        raise InvalidFlashSale(f"{store.name} is closed.", field="store_code")
    if _aware(ends_at, "ends_at") <= _aware(starts_at, "starts_at"):
        raise InvalidFlashSale("The sale must end after it starts.", field="ends_at")
    if ends_at <= (now or clock.now()):
        raise InvalidFlashSale("The sale would already be over.", field="ends_at")
    with transaction.atomic():
        level = StockLevel.objects.select_for_update().filter(sku=sku, store=store).first()
        available = level.available if level else 0
        if quantity > available:
            raise InvalidFlashSale(f"Only {available} of {sku.code} are available at {store.name}; the allotment "
                                   f"cannot be {quantity}.", field="quantity", available=available)
        sale = FlashSale.objects.create(title=title, sku=sku, store=store, flash_price_fen=flash_price_fen,
                                        quantity=quantity, remaining=quantity, per_member_limit=per_member_limit,
                                        starts_at=starts_at, ends_at=ends_at, created_by=actor.label[:150])
        audit.record(actor, "flash_sale.created", sale, store_id=store.pk,
                     after={"sku": sku.code, "flash_price_fen": flash_price_fen, "quantity": quantity,
                            "per_member_limit": per_member_limit, "starts_at": starts_at.isoformat()})
        outbox.emit("flash_sale.created", "flash_sale", sale.pk, sku=sku.code, store_id=store.pk,
                     starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat(), quantity=quantity)
    return sale


def cancel_sale(actor: Actor, sale: FlashSale) -> FlashSale:
    """取消秒杀: no more purchases; orders already placed stay as they are."""
    with transaction.atomic():
        sale = FlashSale.objects.select_for_update().get(pk=sale.pk)
        if sale.status != FlashSale.Status.CANCELLED:
            sale.status = FlashSale.Status.CANCELLED
            sale.save(update_fields=["status"])
            audit.record(actor, "flash_sale.cancelled", sale, store_id=sale.store_id,
                         after={"remaining": sale.remaining})
    return sale


def check_open(sale: FlashSale, now: dt.datetime) -> None:
    if sale.status != FlashSale.Status.ACTIVE:
        raise FlashSaleClosed(f"「{sale.title}」 was cancelled.")
    if now < sale.starts_at:
        raise FlashSaleClosed(f"「{sale.title}」 starts at {sale.starts_at.isoformat()}.",
                              starts_at=sale.starts_at.isoformat())
    if now >= sale.ends_at:
        raise FlashSaleClosed(f"「{sale.title}」 has ended.")


def _sold_out(sale: FlashSale, quantity: int) -> FlashSaleSoldOut:
    if sale.remaining <= 0:
        return FlashSaleSoldOut(f"「{sale.title}」 is sold out.", remaining=0)
    return FlashSaleSoldOut(f"Only {sale.remaining} left in 「{sale.title}」; {quantity} requested.",
                            remaining=sale.remaining)


def _over_limit(sale: FlashSale) -> FlashSaleLimit:
    return FlashSaleLimit(f"At most {sale.per_member_limit} per member in 「{sale.title}」.",
                          limit=sale.per_member_limit)


def buy(actor: Actor, sale: FlashSale, member, *, quantity: int = 1, fulfilment: str = "pickup",
        address: str = "", now: dt.datetime | None = None) -> Order:
    """马上抢: take units from the allotment and place the order at the flash price (5 minutes to pay)."""
    now = now or clock.now()
    _whole(quantity, "quantity", 1, MAX_PER_MEMBER)
    check_open(sale, now)
    if quantity > sale.per_member_limit:
        raise _over_limit(sale)
    if sale.remaining < quantity:  # a stale read only saves work: the UPDATE below decides
        raise _sold_out(sale, quantity)
    with transaction.atomic():
        list(StockLevel.objects.select_for_update().filter(sku_id=sale.sku_id, store_id=sale.store_id))
        if not FlashSale.objects.filter(pk=sale.pk, status=FlashSale.Status.ACTIVE, remaining__gte=quantity).update(
                remaining=F("remaining") - quantity):
            sale.refresh_from_db()
            if sale.status != FlashSale.Status.ACTIVE:
                raise FlashSaleClosed(f"「{sale.title}」 was cancelled.")
            raise _sold_out(sale, quantity)
        buyer, _ = FlashBuyer.objects.get_or_create(sale=sale, member=member)
        if not FlashBuyer.objects.filter(pk=buyer.pk, bought__lte=sale.per_member_limit - quantity).update(
                bought=F("bought") + quantity):
            raise _over_limit(sale)
        order = orders.place_order(actor, member=member, items=[{"sku": sale.sku.code, "quantity": quantity}],
                                   fulfilment=fulfilment, store=sale.store, address=address, channel="flash",
                                   channel_ref=str(sale.pk), unit_prices={sale.sku.code: sale.flash_price_fen},
                                   pay_within=PAY_WITHIN)
        FlashOrder.objects.create(sale=sale, member=member, order=order, quantity=quantity)
    return order


def on_order_cancelled(order: Order) -> None:
    """An unpaid flash order that was cancelled gives its units back to the sale and to the member's limit."""
    if order.channel != "flash":
        return
    entry = FlashOrder.objects.select_for_update().filter(order_id=order.pk).first()
    if entry is None or entry.cancelled:
        return
    FlashSale.objects.filter(pk=entry.sale_id).update(remaining=F("remaining") + entry.quantity)
    FlashBuyer.objects.filter(sale_id=entry.sale_id, member_id=entry.member_id, bought__gte=entry.quantity).update(
        bought=F("bought") - entry.quantity)
    entry.cancelled = True
    entry.save(update_fields=["cancelled"])


def check_flash_sales(fix: bool = False) -> list[dict]:
    """Recompute each sale's remaining and each buyer's count from the orders; returns the mismatches."""
    problems = []
    for sale in FlashSale.objects.iterator():
        taken = sale.orders.filter(cancelled=False).aggregate(n=Sum("quantity"))["n"] or 0
        if sale.quantity - taken != sale.remaining:
            problems.append({"sale": sale.pk, "remaining": sale.remaining, "expected": sale.quantity - taken})
            if fix:
                FlashSale.objects.filter(pk=sale.pk).update(remaining=sale.quantity - taken)
    per_member = {(row["sale"], row["member"]): row["n"] for row in FlashOrder.objects.filter(cancelled=False)
                  .values("sale", "member").annotate(n=Sum("quantity"))}
    for buyer in FlashBuyer.objects.iterator():
        expected = per_member.get((buyer.sale_id, buyer.member_id), 0)
        if expected != buyer.bought:
            problems.append({"sale": buyer.sale_id, "member": buyer.member_id, "bought": buyer.bought,
                             "expected": expected})
            if fix:
                FlashBuyer.objects.filter(pk=buyer.pk).update(bought=expected)
    return problems
