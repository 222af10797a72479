"""团长佣金: the leader's commission ledger and pickup verification at the leader's point.

- Accrual when the order is picked up: Σ(paid_fen − refunded_fen of each line × the line's rate ‰), rounded
  down once per order; one entry per order (ref accrual:<order_no>).
- Reversal when a picked-up order is refunded: the order's commission is recomputed on what is still paid
  and the difference is booked as a negative entry (ref reversal:<refund_no>). An entry already in a
  statement is never changed; the reversal goes into the next statement.
Both run inside the order's own transaction (order hooks), under the order's row lock, so a refund racing a
pickup is applied either before the accrual (which then sees the net amount) or after it (and reverses)."""

from django.db import transaction
from django.db.models import F, Sum

from shequn.commerce import hooks
from shequn.commerce import orders as order_core
from shequn.commerce.models import Order
from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.permissions import require

from .errors import LeaderOutOfScope, LeaderSuspended, NotTheLeader
from .models import CommissionEntry, GroupBuyOrder, Leader, LeaderStatement


def register_hooks() -> None:
    hooks.on("picked_up", accrue_on_pickup)
    hooks.on("refunded", reverse_on_refund)


def _groupbuy_order(order: Order) -> GroupBuyOrder | None:
    if order.channel != "groupbuy":
        return None
    return GroupBuyOrder.objects.select_related("leader").filter(order_id=order.pk).first()


def commission_due(gb_order: GroupBuyOrder, order: Order) -> tuple[int, int]:
    """(commission, base) on what is still paid for. Refunds not tied to lines (an amount only) lower the
    base in proportion across the lines."""
    lines = list(order.lines.all())
    remaining = [(ln.paid_fen - ln.refunded_fen, int(gb_order.rates.get(str(ln.sku_id), 0))) for ln in lines]
    left = sum(fen for fen, _ in remaining)
    unassigned = order.refunded_fen - sum(ln.refunded_fen for ln in lines)
    base = max(0, min(left, left - unassigned))
    if left <= 0 or base == 0:
        return 0, 0
    weighted = sum(fen * rate for fen, rate in remaining)
    return weighted * base // (left * 1000), base


def _book(leader_id: int, gb_order: GroupBuyOrder, kind: str, amount: int, base: int, ref: str,
          at=None) -> CommissionEntry:
    entry = CommissionEntry(leader_id=leader_id, groupbuy_order=gb_order, kind=kind, amount_fen=amount,
                            base_fen=base, ref=ref)
    if at is not None:
        entry.created_at = at
    entry.save()
    Leader.objects.filter(pk=leader_id).update(commission_fen=F("commission_fen") + amount)
    return entry


def accrue_on_pickup(order: Order, **_) -> CommissionEntry | None:
    gb_order = _groupbuy_order(order)
    if gb_order is None:
        return None
    ref = f"accrual:{order.order_no}"
    if CommissionEntry.objects.filter(ref=ref).exists():
        return None
    amount, base = commission_due(gb_order, order)
    if amount <= 0:
        return None
    entry = _book(gb_order.leader_id, gb_order, CommissionEntry.Kind.ACCRUAL, amount, base, ref, at=order.fulfilled_at)
    outbox.emit("groupbuy.commission_accrued", "leader", gb_order.leader_id, order_no=order.order_no,
                amount_fen=amount)
    return entry


def reverse_on_refund(order: Order, refund=None, **_) -> CommissionEntry | None:
    gb_order = _groupbuy_order(order)
    if gb_order is None or refund is None:
        return None
    booked = CommissionEntry.objects.filter(groupbuy_order=gb_order).aggregate(s=Sum("amount_fen"))["s"]
    if booked is None:  # not picked up yet: the accrual will be computed on the net amount
        return None
    due, base = commission_due(gb_order, order)
    delta = due - booked
    if delta >= 0:
        return None
    ref = f"reversal:{refund.refund_no}"
    if CommissionEntry.objects.filter(ref=ref).exists():
        return None
    entry = _book(gb_order.leader_id, gb_order, CommissionEntry.Kind.REVERSAL, delta, base, ref)
    outbox.emit("groupbuy.commission_reversed", "leader", gb_order.leader_id, order_no=order.order_no,
                refund_no=refund.refund_no, amount_fen=delta)
    return entry


def check_can_verify(actor: Actor, leader: Leader) -> None:
    """The leader (member session) at their own point, or staff of the supplying store."""
    if actor.kind == "member":
        if str(actor.id) != str(leader.member_id):
            raise NotTheLeader("Only the leader of this pickup point can verify its pickups.")
        if leader.status != Leader.Status.ACTIVE:
            raise LeaderSuspended("Your pickup point is suspended; ask the store to hand out the orders.")
        return
    require(actor, "commerce.orders")
    if actor.store_ids is not None and leader.pickup_point.store_id not in actor.store_ids:
        raise LeaderOutOfScope("This pickup point is outside your stores.", status=404)


def verify_pickup_by_leader(actor: Actor, leader: Leader, code: str) -> Order:
    """核销 at the leader's pickup point by the 8-digit pickup code (typed, or read from the order's QR).
    Codes of other pickup points are refused. Verifying twice changes nothing."""
    check_can_verify(actor, leader)
    code = (code or "").strip()
    order = order_core.verify_pickup(actor, code=code, pickup_point=leader.pickup_point)
    return order


def ledger_totals(leader: Leader) -> dict[str, int]:
    paid = leader.paid_out_fen
    return {"earned_fen": leader.commission_fen, "paid_out_fen": paid, "owed_fen": leader.commission_fen - paid,
            "unsettled_fen": CommissionEntry.objects.filter(leader=leader, statement__isnull=True)
            .aggregate(s=Sum("amount_fen"))["s"] or 0}


def check_leader_commissions(fix: bool = False) -> list[dict]:
    """Recompute each leader's cached commission from the entries and paid-out from paid statements, and
    each statement's total from its entries. Returns the differences (fixed in place with fix=True)."""
    problems: list[dict] = []
    earned = dict(CommissionEntry.objects.values("leader_id").annotate(s=Sum("amount_fen"))
                  .values_list("leader_id", "s"))
    paid = dict(LeaderStatement.objects.filter(status=LeaderStatement.Status.PAID).values("leader_id")
                .annotate(s=Sum("total_fen")).values_list("leader_id", "s"))
    for leader in Leader.objects.order_by("pk"):
        expected = {"commission_fen": earned.get(leader.pk) or 0, "paid_out_fen": paid.get(leader.pk) or 0}
        for field, computed in expected.items():
            cached = getattr(leader, field)
            if cached != computed:
                problems.append({"ledger": "leader_commission", "leader_id": leader.pk, "code": leader.code,
                                 "field": field, "cached": cached, "computed": computed})
                if fix:
                    with transaction.atomic():
                        Leader.objects.filter(pk=leader.pk).update(**{field: computed})
                        audit.record(_system(), "groupbuy.ledger_fixed", leader,
                                     before={field: cached}, after={field: computed})
    sums = dict(CommissionEntry.objects.filter(statement__isnull=False).values("statement_id")
                .annotate(s=Sum("amount_fen")).values_list("statement_id", "s"))
    for statement in LeaderStatement.objects.order_by("pk"):
        computed = sums.get(statement.pk) or 0
        if statement.total_fen != computed:  # a statement is a document: reported, never rewritten
            problems.append({"ledger": "leader_statement", "statement_id": statement.pk,
                             "leader_id": statement.leader_id, "field": "total_fen", "cached": statement.total_fen,
                             "computed": computed})
    return problems


def _system() -> Actor:
    from shequn.core.actor import SYSTEM
    return SYSTEM
