"""Native orders become analytics transactions inside the order's own transaction (commerce hooks)."""

from django.utils import timezone

from .models import Transaction


def on_order_paid(order) -> None:
    if order.paid_fen <= 0:
        return
    lines = list(order.lines.select_related("sku"))
    Transaction.objects.get_or_create(
        source=Transaction.Source.ORDER, source_ref=order.order_no,
        defaults={"member_id": order.member_id, "occurred_at": order.paid_at, "amount_fen": order.paid_fen,
                  "quantity": sum(line.quantity for line in lines), "order_no": order.order_no,
                  "store_id": order.store_id, "sku": lines[0].sku.code if len(lines) == 1 else ""})


def on_order_refunded(order, refund) -> None:
    Transaction.objects.get_or_create(
        source=Transaction.Source.REFUND, source_ref=refund.refund_no,
        defaults={"member_id": order.member_id, "occurred_at": refund.created_at or timezone.now(),
                  "amount_fen": -refund.amount_fen, "quantity": -sum(r.get("quantity", 0) for r in refund.lines),
                  "order_no": order.order_no, "store_id": order.store_id})


def backfill_from_orders(batch: int = 2000) -> int:
    """Write the transactions of paid orders and refunds that have none yet (orders loaded in bulk, or paid
    before analytics was installed). Idempotent; returns how many were written."""
    from django.db.models import Sum

    from shequn.commerce.models import Order, OrderLine, Refund

    have = set(Transaction.objects.filter(source=Transaction.Source.ORDER).values_list("source_ref", flat=True))
    paid = [row for row in Order.objects.filter(paid_at__isnull=False, paid_fen__gt=0)
            .values_list("pk", "order_no", "member_id", "paid_at", "paid_fen", "store_id").iterator(chunk_size=batch)
            if row[1] not in have]
    written = 0
    for start in range(0, len(paid), batch):
        chunk = paid[start:start + batch]
        quantities = dict(OrderLine.objects.filter(order_id__in=[row[0] for row in chunk]).values("order_id")
                          .annotate(q=Sum("quantity")).values_list("order_id", "q"))
        Transaction.objects.bulk_create(
            [Transaction(source=Transaction.Source.ORDER, source_ref=order_no, member_id=member_id,
                         occurred_at=paid_at, amount_fen=paid_fen, order_no=order_no, store_id=store_id,
                         quantity=quantities.get(pk, 1))
             for pk, order_no, member_id, paid_at, paid_fen, store_id in chunk], ignore_conflicts=True)
        written += len(chunk)
    have = set(Transaction.objects.filter(source=Transaction.Source.REFUND).values_list("source_ref", flat=True))
    refunds = [Transaction(source=Transaction.Source.REFUND, source_ref=r.refund_no, member_id=r.order.member_id,
                           occurred_at=r.created_at, amount_fen=-r.amount_fen, order_no=r.order.order_no,
                           store_id=r.order.store_id, quantity=-sum(x.get("quantity", 0) for x in r.lines))
               for r in Refund.objects.select_related("order").filter(order__paid_fen__gt=0)
               if r.refund_no not in have and not r.refund_no.startswith("late-")]
    Transaction.objects.bulk_create(refunds, batch_size=batch, ignore_conflicts=True)
    return written + len(refunds)
