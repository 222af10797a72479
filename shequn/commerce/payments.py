"""支付: start a payment with a provider, and confirm it — from the counter (offline) or from the
provider's signed notification. Confirming is idempotent on (provider, transaction id)."""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.loyalty import activity as loyalty_activity

from . import hooks, stock
from .errors import OrderNotFound, OrderStateConflict, PaymentMismatch
from .models import Order, Payment, Refund
from .orders import lock_order

log = logging.getLogger(__name__)


def start_payment(actor: Actor, order: Order, method: str, *, payer_openid: str = ""):
    """What the member's page needs to pay (a Checkout); offline payment is confirmed at once by staff.

    WeChat JSAPI payment needs the payer's openid (from the mini-program or official-account login)."""
    from .providers import get_provider
    if order.status != Order.Status.PENDING_PAYMENT:
        raise OrderStateConflict(f"Order {order.order_no} is {order.get_status_display()}.", status_now=order.status)
    provider = get_provider(method)
    if method == "offline":
        return confirm_payment(actor, provider="offline", order_no=order.order_no,
                               transaction_id=f"offline:{order.order_no}", amount_fen=order.total_fen,
                               paid_at=timezone.now())
    order.payment_method = method
    Order.objects.filter(pk=order.pk).update(payment_method=method)
    return provider.checkout(order_no=order.order_no, amount_fen=order.total_fen,
                             description=_description(order), payer_openid=payer_openid)


def _description(order: Order) -> str:
    first = order.lines.first()
    name = first.product_name if first else "商品"
    more = order.lines.count() - 1
    return f"{name} 等{more + 1}件" if more > 0 else name


def handle_notification(provider_name: str, headers, body: bytes) -> Order:
    """A provider's notification: verify it (the provider raises on a bad signature), then confirm."""
    from .providers import get_provider
    notice = get_provider(provider_name).parse_notification(headers, body)
    return confirm_payment(SYSTEM, provider=notice.provider, order_no=notice.order_no,
                           transaction_id=notice.transaction_id, amount_fen=notice.amount_fen, paid_at=notice.paid_at)


def confirm_payment(actor: Actor, *, provider: str, order_no: str, transaction_id: str, amount_fen: int,
                    paid_at: dt.datetime) -> Order:
    """已付款: sell the held stock, earn points, re-evaluate the tier, tell channels and the outbox.

    A notification seen before changes nothing. Money that arrives for an order already cancelled
    (or paid by another transaction) is recorded as late and sent straight back."""
    order_id = Order.objects.filter(order_no=order_no).values_list("pk", flat=True).first()
    if order_id is None:
        raise OrderNotFound(f"No order {order_no}.")
    with transaction.atomic():
        order = lock_order(order_id)
        if Payment.objects.filter(provider=provider, transaction_id=transaction_id).exists():
            return order
        if order.status != Order.Status.PENDING_PAYMENT:
            return _late_payment(actor, order, provider, transaction_id, amount_fen, paid_at)
        if amount_fen != order.total_fen:
            mismatch = (order.total_fen, order.store_id)
        else:
            mismatch = None
            _mark_paid(actor, order, provider, transaction_id, amount_fen, paid_at)
    if mismatch is not None:  # audited outside the refused transaction so the record stays
        audit.record(actor, "payment.mismatch", order, store_id=mismatch[1],
                     after={"provider": provider, "transaction_id": transaction_id, "amount_fen": amount_fen,
                            "order_total_fen": mismatch[0]})
        raise PaymentMismatch(f"Order {order_no} is {mismatch[0]} fen; the payment says {amount_fen}.")
    return order


def _mark_paid(actor: Actor, order: Order, provider: str, transaction_id: str, amount_fen: int,
               paid_at: dt.datetime) -> None:
    Payment.objects.create(order=order, provider=provider, transaction_id=transaction_id, amount_fen=amount_fen,
                           paid_at=paid_at)
    for line in order.lines.all().order_by("level_id"):
        stock.sell(line.level_id, line.quantity, ref=order.order_no)
    order.status, order.paid_fen, order.paid_at, order.payment_method = (
        Order.Status.PAID, amount_fen, paid_at, provider)
    order.save(update_fields=["status", "paid_fen", "paid_at", "payment_method"])
    if amount_fen > 0:
        loyalty_activity.record_purchase(actor, order.member_id, amount_fen, ref=order.order_no, source="shop",
                                         occurred_at=paid_at, store_id=order.store_id)
    hooks.fire("paid", order)
    audit.record(actor, "order.paid", order, store_id=order.store_id,
                 after={"provider": provider, "transaction_id": transaction_id, "amount_fen": amount_fen})
    outbox.emit("order.paid", "order", order.pk, order_no=order.order_no, member_id=order.member_id,
                amount_fen=amount_fen, paid_at=paid_at.isoformat(), store_id=order.store_id,
                channel=order.channel)


def _late_payment(actor: Actor, order: Order, provider: str, transaction_id: str, amount_fen: int,
                  paid_at: dt.datetime) -> Order:
    from .providers import get_provider
    try:
        with transaction.atomic():
            Payment.objects.create(order=order, provider=provider, transaction_id=transaction_id,
                                   amount_fen=amount_fen, paid_at=paid_at, status=Payment.Status.LATE)
    except IntegrityError:
        return order
    refund_no = f"late-{transaction_id}"[:40]
    receipt = get_provider(provider).refund(order_no=order.order_no, refund_no=refund_no, amount_fen=amount_fen,
                                            total_fen=amount_fen, reason="订单已取消或已支付，原路退回")
    Refund.objects.create(order=order, refund_no=refund_no, amount_fen=amount_fen, reason="重复或迟到的支付，原路退回",
                          status=receipt.status, provider=provider, provider_ref=receipt.provider_ref,
                          actor=actor.label[:150])
    audit.record(actor, "payment.late_refunded", order, store_id=order.store_id,
                 after={"provider": provider, "transaction_id": transaction_id, "amount_fen": amount_fen})
    log.warning("late payment %s for order %s (%s) sent back", transaction_id, order.order_no, order.status)
    return order
