"""退款: full or partial refunds. Money, stock (where the goods never left), points used as cash, points
earned, and every channel's commission or reward are reversed in one transaction. A refund number makes
a retried refund return the first one."""

import secrets

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.loyalty import activity as loyalty_activity
from shequn.loyalty import points as loyalty_points

from . import hooks, stock
from .errors import InvalidRefund, OrderStateConflict
from .models import Order, OrderLine, Refund
from .orders import REFUNDABLE, SHIPPED, lock_order


def _line_amount(line: OrderLine, quantity: int) -> int:
    """A line's paid share for `quantity` units; the last units take the rounding rest."""
    if line.refunded_quantity + quantity == line.quantity:
        return line.paid_fen - line.refunded_fen
    return line.paid_fen * quantity // line.quantity


def _planned_lines(order: Order, requested) -> list[tuple[OrderLine, int, int]]:
    lines = {ln.pk: ln for ln in order.lines.select_for_update().order_by("pk")}
    by_sku = {ln.sku.code: ln for ln in lines.values()} if requested else {}
    plan = []
    for raw in requested or []:
        line = lines.get(raw.get("line_id")) or by_sku.get(raw.get("sku", ""))
        quantity = raw.get("quantity")
        if line is None:
            raise InvalidRefund("A refund line names a line or SKU that is not in this order.", field="lines")
        left = line.quantity - line.refunded_quantity
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= left:
            raise InvalidRefund(f"{line.product_name}: between 1 and {left} can still be refunded.", field="lines")
        plan.append((line, quantity, _line_amount(line, quantity)))
    return plan


def _all_remaining(order: Order) -> list[tuple[OrderLine, int, int]]:
    return [(ln, ln.quantity - ln.refunded_quantity, ln.paid_fen - ln.refunded_fen)
            for ln in order.lines.select_for_update().order_by("pk") if ln.quantity > ln.refunded_quantity]


def _points_back(order: Order, amount_fen: int, full: bool) -> int:
    if not order.points_used:
        return 0
    if full:
        return order.points_used - order.points_refunded
    return min(order.points_used * amount_fen // max(order.paid_fen, 1), order.points_used - order.points_refunded)


def refund_order(actor: Actor, order: Order, *, reason: str, amount_fen: int | None = None, lines=None,
                 refund_no: str = "") -> Refund:
    """Refund part or all of a paid order.

    - lines [{line_id | sku, quantity}]: those units; amount defaults to their paid share.
    - amount only: money back; when it is all that is left, every remaining unit counts as returned.
    Stock goes back on the shelf only for orders not yet handed over."""
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidRefund("A refund needs a reason (at most 200 characters).", field="reason")
    if amount_fen is not None and (not isinstance(amount_fen, int) or isinstance(amount_fen, bool)
                                   or amount_fen <= 0):
        raise InvalidRefund("amount_fen must be a positive whole number of fen.", field="amount_fen")
    refund_no = (refund_no or "").strip()[:40] or f"RF{order.order_no}{secrets.token_hex(3).upper()}"
    with transaction.atomic():
        existing = Refund.objects.filter(refund_no=refund_no).first()
        if existing is not None:
            if existing.order_id != order.pk:
                raise InvalidRefund(f"Refund number {refund_no} belongs to another order.", field="refund_no")
            return existing
        order = lock_order(order.pk)
        if order.status not in REFUNDABLE:
            raise OrderStateConflict(f"Order {order.order_no} is {order.get_status_display()}; nothing to refund.",
                                     status_now=order.status)
        left = order.paid_fen - order.refunded_fen
        plan = _planned_lines(order, lines)
        if not plan:
            if amount_fen is None or amount_fen == left:
                plan = _all_remaining(order)
                amount_fen = left
        elif amount_fen is None:
            amount_fen = sum(fen for _, _, fen in plan)
        elif amount_fen > sum(fen for _, _, fen in plan):
            raise InvalidRefund("The amount is more than those lines were paid.", field="amount_fen")
        if amount_fen > left:
            raise InvalidRefund(f"At most {left} fen of order {order.order_no} can still be refunded.",
                                field="amount_fen", refundable_fen=left)
        refund = _write_refund(actor, order, refund_no, reason, amount_fen, plan, full=amount_fen == left)
    return refund


def _write_refund(actor: Actor, order: Order, refund_no: str, reason: str, amount_fen: int, plan,
                  full: bool) -> Refund:
    from .providers import get_provider
    shipped = order.status in SHIPPED or order.fulfilled_at is not None
    records = []
    for line, quantity, fen in plan:
        share = min(fen, amount_fen - sum(r["amount_fen"] for r in records))
        line.refunded_quantity += quantity
        line.refunded_fen += share
        line.save(update_fields=["refunded_quantity", "refunded_fen"])
        if not shipped:
            stock.restock(line.level_id, quantity, ref=refund_no, reason=reason[:100])
        records.append({"line_id": line.pk, "sku_id": line.sku_id, "quantity": quantity, "amount_fen": share,
                        "restocked": not shipped})
    points_back = _points_back(order, amount_fen, full)
    receipt = (get_provider(order.payment_method).refund(order_no=order.order_no, refund_no=refund_no,
                                                         amount_fen=amount_fen, total_fen=order.paid_fen,
                                                         reason=reason)
               if order.payment_method not in ("", "free") and amount_fen else None)
    refund = Refund.objects.create(order=order, refund_no=refund_no, amount_fen=amount_fen, reason=reason,
                                   lines=records, points_returned=points_back,
                                   status=receipt.status if receipt else Refund.Status.SUCCEEDED,
                                   provider=order.payment_method, provider_ref=receipt.provider_ref if receipt else "",
                                   actor=actor.label[:150])
    if points_back:
        loyalty_points.earn(actor, order.member_id, points_back, source="order", ref=f"refund:{refund_no}",
                            reason=f"订单 {order.order_no} 退款，抵现积分退回")
    loyalty_activity.record_refund(actor, order.member_id, amount_fen, ref=refund_no, purchase_ref=order.order_no,
                                   source="shop")
    order.refunded_fen += amount_fen
    order.points_refunded += points_back
    order.status = Order.Status.REFUNDED if order.refunded_fen == order.paid_fen else Order.Status.PARTIALLY_REFUNDED
    order.save(update_fields=["refunded_fen", "points_refunded", "status"])
    hooks.fire("refunded", order, refund=refund)
    audit.record(actor, "order.refunded", order, store_id=order.store_id,
                 after={"refund_no": refund_no, "amount_fen": amount_fen, "reason": reason, "lines": records})
    outbox.emit("order.refunded", "order", order.pk, order_no=order.order_no, refund_no=refund_no,
                member_id=order.member_id, amount_fen=amount_fen, refunded_at=timezone.now().isoformat(),
                full=order.status == Order.Status.REFUNDED)
    return refund
