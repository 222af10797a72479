"""分销: distributors earn commission on sales they refer, at most two levels deep.

Accrual: when a referred order is paid its commission is booked as pending; when the order completes (after
the after-sales window) it becomes available; a refund reverses it in proportion (from pending, or from
available — which may then go below zero if the money was already withdrawn; the next commissions fill the
hole before anything more can be withdrawn). Withdrawals freeze the amount until an operator pays or
rejects them. Every movement is a CommissionEntry; the Distributor row caches the bucket sums."""

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from shequn.commerce.models import Order, OrderLine
from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.core.permissions import require
from shequn.members.models import Member

from .errors import (
    DistributorNotFound,
    DistributorStateConflict,
    InsufficientCommission,
    InvalidCommissionRates,
    InvalidWithdrawal,
    PyramidSellingRefused,
    WithdrawalNotFound,
    WithdrawalStateConflict,
)
from .models import CommissionEntry, CommissionRule, DistributionSettings, Distributor, OrderCommission, Withdrawal

MANAGE = "commerce.commissions"
MAX_LEVELS = 2
MAX_RATE_PERMILLE = 500
BUCKETS = ("pending", "available", "frozen", "withdrawn")
Kind = CommissionEntry.Kind


def settings_row() -> DistributionSettings:
    row = DistributionSettings.objects.order_by("pk").first()
    return row or DistributionSettings.objects.create(level_rates_permille=[100, 30])


def clean_rates(rates) -> list[int]:
    """Validate a rate list in ‰: one or two levels. A third level is refused: deeper commission chains are
    illegal pyramid selling (传销) in China."""
    if not isinstance(rates, (list, tuple)) or not rates:
        raise InvalidCommissionRates("Give the commission rates as a list of ‰ per level, e.g. [100, 30].",
                                     field="level_rates_permille")
    if len(rates) > MAX_LEVELS:
        raise PyramidSellingRefused(
            f"At most {MAX_LEVELS} commission levels. Paying commission on a third level or deeper is illegal "
            "pyramid selling (传销) in China; configure level 1 and level 2 only.",
            field="level_rates_permille", levels=len(rates))
    for rate in rates:
        if not isinstance(rate, int) or isinstance(rate, bool) or not 0 <= rate <= MAX_RATE_PERMILLE:
            raise InvalidCommissionRates(f"Each rate is a whole number of ‰ from 0 to {MAX_RATE_PERMILLE}.",
                                         field="level_rates_permille")
    if sum(rates) > MAX_RATE_PERMILLE:
        raise InvalidCommissionRates(f"Both levels together may pay at most {MAX_RATE_PERMILLE}‰ of a sale.",
                                     field="level_rates_permille")
    return list(rates)


def configure(actor: Actor, *, level_rates_permille=None, min_withdrawal_fen: int | None = None,
              category=None, sku=None) -> DistributionSettings | CommissionRule:
    """Set the default rates (and withdrawal minimum), or the rates of one category or SKU."""
    require(actor, MANAGE)
    if category is not None and sku is not None:
        raise InvalidCommissionRates("A rule is for a category or for a SKU, not both.")
    rates = clean_rates(level_rates_permille) if level_rates_permille is not None else None
    if min_withdrawal_fen is not None and (not isinstance(min_withdrawal_fen, int) or isinstance(min_withdrawal_fen,
                                           bool) or not 1 <= min_withdrawal_fen <= 10_000_000):
        raise InvalidWithdrawal("min_withdrawal_fen must be from 1 to 10,000,000 fen.", field="min_withdrawal_fen")
    with transaction.atomic():
        if category is not None or sku is not None:
            if rates is None:
                raise InvalidCommissionRates("Give the rates for the rule.", field="level_rates_permille")
            rule, _ = CommissionRule.objects.update_or_create(
                category=category, sku=sku, defaults={"level_rates_permille": rates})
            audit.record(actor, "distribution.rule_set", rule, after={"category": getattr(category, "pk", None),
                                                                     "sku": getattr(sku, "code", None),
                                                                     "rates": rates})
            return rule
        row = DistributionSettings.objects.select_for_update().get(pk=settings_row().pk)
        before = {"rates": row.level_rates_permille, "min_withdrawal_fen": row.min_withdrawal_fen}
        if rates is not None:
            row.level_rates_permille = rates
        if min_withdrawal_fen is not None:
            row.min_withdrawal_fen = min_withdrawal_fen
        row.save()
        audit.record(actor, "distribution.settings_changed", row, before=before,
                     after={"rates": row.level_rates_permille, "min_withdrawal_fen": row.min_withdrawal_fen})
    return row


# Distributors


def _acting_for(actor: Actor, member: Member) -> None:
    if actor.kind == "member":
        if actor.id != str(member.pk):
            raise PermissionDenied("Members act for themselves only.")
        return
    require(actor, MANAGE)


def _lock(distributor_id: int) -> Distributor:
    distributor = Distributor.objects.select_for_update().filter(pk=distributor_id).first()
    if distributor is None:
        raise DistributorNotFound(f"No distributor {distributor_id}.")
    return distributor


def apply(actor: Actor, member: Member, *, upline: Distributor | None = None, note: str = "") -> Distributor:
    """申请成为分销员. The upline is the distributor who recruited them (default: their referrer, when that
    member is an approved distributor). Applying again while applied or approved returns the record."""
    _acting_for(actor, member)
    if upline is not None and (upline.member_id == member.pk or upline.status != Distributor.Status.APPROVED):
        raise DistributorStateConflict("The upline must be another, approved distributor.", field="upline")
    if upline is None:
        from .models import Referral

        referrer_id = Referral.objects.filter(referee=member).exclude(
            status__in=["rejected", "held"]).values_list("referrer_id", flat=True).first()
        upline = Distributor.objects.filter(member_id=referrer_id, status=Distributor.Status.APPROVED).first()
    now = timezone.now()
    with transaction.atomic():
        existing = Distributor.objects.select_for_update().filter(member=member).first()
        if existing is not None and existing.status in (Distributor.Status.APPLIED, Distributor.Status.APPROVED):
            return existing
        if existing is not None and existing.status == Distributor.Status.SUSPENDED:
            raise DistributorStateConflict("This distributor is suspended; ask an operator.")
        if existing is None:
            distributor = Distributor.objects.create(member=member, upline=upline, applied_at=now, note=note[:200])
        else:
            distributor = existing
            distributor.status, distributor.applied_at, distributor.upline = Distributor.Status.APPLIED, now, upline
            distributor.decided_at, distributor.decided_by, distributor.note = None, "", note[:200]
            distributor.save()
        audit.record(actor, "distributor.applied", distributor, store_id=member.home_store_id,
                     after={"member": member.pk, "upline": upline.pk if upline else None})
        outbox.emit("distributor.applied", "member", member.pk, distributor_id=distributor.pk)
    return distributor


def decide(actor: Actor, distributor_id: int, *, approve: bool, note: str = "") -> Distributor:
    """An operator approves or rejects an application."""
    require(actor, MANAGE)
    with transaction.atomic():
        distributor = _lock(distributor_id)
        if distributor.status != Distributor.Status.APPLIED:
            raise DistributorStateConflict(f"Distributor {distributor_id} is {distributor.get_status_display()}; "
                                           "only applications are decided.", status_now=distributor.status)
        distributor.status = Distributor.Status.APPROVED if approve else Distributor.Status.REJECTED
        distributor.decided_at, distributor.decided_by = timezone.now(), actor.label[:150]
        distributor.note = (note or distributor.note)[:200]
        distributor.save(update_fields=["status", "decided_at", "decided_by", "note"])
        audit.record(actor, "distributor.approved" if approve else "distributor.rejected", distributor,
                     after={"note": note})
        outbox.emit("distributor.decided", "member", distributor.member_id, distributor_id=distributor.pk,
                    status=distributor.status)
    return distributor


# Ledger


def _move(distributor: Distributor, kind: str, *, ref: str, note: str = "", commission=None, withdrawal=None,
          **deltas: int) -> CommissionEntry | None:
    """Append one entry to a locked distributor and update the cached buckets; a repeated ref is a no-op."""
    if CommissionEntry.objects.filter(ref=ref).exists():
        return None
    values = {f"{b}_delta": deltas.get(b, 0) for b in BUCKETS}
    for bucket in BUCKETS:
        setattr(distributor, f"{bucket}_fen", getattr(distributor, f"{bucket}_fen") + values[f"{bucket}_delta"])
    distributor.save(update_fields=[f"{b}_fen" for b in BUCKETS])
    return CommissionEntry.objects.create(distributor=distributor, kind=kind, ref=ref, note=note[:200],
                                          commission=commission, withdrawal=withdrawal,
                                          created_at=timezone.now(), **values)


def _rates_for(line: OrderLine, default: list[int], rules: dict) -> list[int]:
    rule = rules.get(("sku", line.sku_id)) or rules.get(("category", line.sku.product.category_id))
    return rule if rule is not None else default


def _commission_bases(order: Order) -> tuple[list[int], list[int]]:
    """(base, amount) per level over the order's lines, each line at its own rates."""
    default = settings_row().level_rates_permille
    lines = list(order.lines.select_related("sku__product"))
    rules = {}
    for rule in CommissionRule.objects.filter(sku_id__in=[ln.sku_id for ln in lines]):
        rules[("sku", rule.sku_id)] = rule.level_rates_permille
    for rule in CommissionRule.objects.filter(category_id__in={ln.sku.product.category_id for ln in lines}):
        rules[("category", rule.category_id)] = rule.level_rates_permille
    bases, amounts = [0] * MAX_LEVELS, [0] * MAX_LEVELS
    for line in lines:
        for level, rate in enumerate(_rates_for(line, default, rules)[:MAX_LEVELS]):
            bases[level] += line.paid_fen
            amounts[level] += line.paid_fen * rate // 1000
    return bases, amounts


def on_order_paid(order: Order) -> None:
    """Book pending commission for the referring distributor (level 1) and their upline (level 2)."""
    if order.referrer_id is None or OrderCommission.objects.filter(order=order).exists():
        return
    first = Distributor.objects.filter(member_id=order.referrer_id, status=Distributor.Status.APPROVED).first()
    if first is None:
        return
    chain = [first]
    upline = Distributor.objects.filter(pk=first.upline_id, status=Distributor.Status.APPROVED).first()
    if upline is not None and upline.member_id != order.member_id:
        chain.append(upline)
    bases, amounts = _commission_bases(order)
    now = order.paid_at or timezone.now()
    for distributor in sorted(chain, key=lambda d: d.pk):  # lock in id order: no deadlocks between orders
        _lock(distributor.pk)
    for level, distributor in enumerate(chain, start=1):
        amount = amounts[level - 1]
        if amount <= 0:
            continue
        commission = OrderCommission.objects.create(order=order, distributor=distributor, level=level,
                                                    base_fen=bases[level - 1], amount_fen=amount, created_at=now)
        _move(_lock(distributor.pk), Kind.ACCRUE, ref=f"accrue:{order.pk}:{level}", pending=amount,
              commission=commission, note=f"订单 {order.order_no} 第{level}级佣金")
        outbox.emit("commission.accrued", "distributor", distributor.pk, order_no=order.order_no, level=level,
                    amount_fen=amount)


def _commissions_locked(order: Order) -> list[OrderCommission]:
    commissions = list(OrderCommission.objects.select_for_update().filter(order=order).order_by("distributor_id"))
    for commission in commissions:
        _lock(commission.distributor_id)
    return commissions


def on_order_completed(order: Order) -> None:
    """After the after-sales window the commission becomes available for withdrawal."""
    for commission in _commissions_locked(order):
        if commission.status != OrderCommission.Status.PENDING:
            continue
        left = commission.amount_fen - commission.reversed_fen
        distributor = Distributor.objects.get(pk=commission.distributor_id)
        _move(distributor, Kind.SETTLE, ref=f"settle:{commission.pk}", pending=-left, available=left,
              commission=commission, note=f"订单 {order.order_no} 已完成")
        commission.status = OrderCommission.Status.AVAILABLE
        commission.save(update_fields=["status"])


def on_order_refunded(order: Order, refund) -> None:
    """Reverse commission in proportion to the money refunded (everything left on a full refund)."""
    full = order.status == Order.Status.REFUNDED
    for commission in _commissions_locked(order):
        left = commission.amount_fen - commission.reversed_fen
        share = left if full else min(left, commission.amount_fen * refund.amount_fen // max(order.paid_fen, 1))
        if share <= 0:
            continue
        bucket = "pending" if commission.status == OrderCommission.Status.PENDING else "available"
        distributor = Distributor.objects.get(pk=commission.distributor_id)
        entry = _move(distributor, Kind.REVERSE, ref=f"reverse:{commission.pk}:{refund.refund_no}",
                      commission=commission, note=f"订单 {order.order_no} 退款 {refund.refund_no}",
                      **{bucket: -share})
        if entry is not None:
            commission.reversed_fen += share
            commission.save(update_fields=["reversed_fen"])
            outbox.emit("commission.reversed", "distributor", distributor.pk, order_no=order.order_no,
                        refund_no=refund.refund_no, amount_fen=share)


# Withdrawals


def request_withdrawal(actor: Actor, distributor: Distributor, amount_fen: int) -> Withdrawal:
    """申请提现: at least the minimum, at most what is available; the amount is frozen until decided."""
    _acting_for(actor, distributor.member)
    minimum = settings_row().min_withdrawal_fen
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or amount_fen < minimum:
        raise InvalidWithdrawal(f"Withdraw at least {minimum} fen at a time.", field="amount_fen",
                                min_withdrawal_fen=minimum)
    with transaction.atomic():
        distributor = _lock(distributor.pk)
        if distributor.status != Distributor.Status.APPROVED:
            raise DistributorStateConflict("Only approved distributors can withdraw.")
        if amount_fen > distributor.available_fen:
            raise InsufficientCommission(f"Only {max(distributor.available_fen, 0)} fen is available to withdraw.",
                                         available_fen=distributor.available_fen, requested_fen=amount_fen)
        now = timezone.now()
        withdrawal = Withdrawal.objects.create(distributor=distributor, amount_fen=amount_fen, requested_at=now)
        _move(distributor, Kind.WITHDRAW, ref=f"withdraw:{withdrawal.pk}", available=-amount_fen,
              frozen=amount_fen, withdrawal=withdrawal, note="申请提现")
        audit.record(actor, "withdrawal.requested", withdrawal, store_id=distributor.member.home_store_id,
                     after={"amount_fen": amount_fen})
        outbox.emit("withdrawal.requested", "distributor", distributor.pk, withdrawal_id=withdrawal.pk,
                    amount_fen=amount_fen)
    return withdrawal


def decide_withdrawal(actor: Actor, withdrawal_id: int, *, approve: bool, reference: str = "",
                      note: str = "") -> Withdrawal:
    """Pay out (with the transfer reference) or reject (the money goes back to available)."""
    require(actor, MANAGE)
    reference, note = (reference or "").strip()[:64], (note or "").strip()[:200]
    if approve and not reference:
        raise InvalidWithdrawal("Give the payout reference (转账流水号) when approving.", field="reference")
    with transaction.atomic():
        withdrawal = Withdrawal.objects.select_for_update().filter(pk=withdrawal_id).first()
        if withdrawal is None:
            raise WithdrawalNotFound(f"No withdrawal {withdrawal_id}.")
        if withdrawal.status != Withdrawal.Status.REQUESTED:
            raise WithdrawalStateConflict(f"Withdrawal {withdrawal_id} is already {withdrawal.get_status_display()}.",
                                          status_now=withdrawal.status)
        distributor = _lock(withdrawal.distributor_id)
        amount = withdrawal.amount_fen
        if approve:
            _move(distributor, Kind.PAYOUT, ref=f"payout:{withdrawal.pk}", frozen=-amount, withdrawn=amount,
                  withdrawal=withdrawal, note=f"打款 {reference}")
        else:
            _move(distributor, Kind.WITHDRAW_REJECTED, ref=f"withdraw-rejected:{withdrawal.pk}", frozen=-amount,
                  available=amount, withdrawal=withdrawal, note=note or "提现被拒")
        withdrawal.status = Withdrawal.Status.PAID if approve else Withdrawal.Status.REJECTED
        withdrawal.decided_at, withdrawal.decided_by = timezone.now(), actor.label[:150]
        withdrawal.reference, withdrawal.note = reference, note
        withdrawal.save(update_fields=["status", "decided_at", "decided_by", "reference", "note"])
        audit.record(actor, f"withdrawal.{withdrawal.status}", withdrawal,
                     after={"amount_fen": amount, "reference": reference, "note": note})
        outbox.emit(f"withdrawal.{withdrawal.status}", "distributor", distributor.pk, withdrawal_id=withdrawal.pk,
                    amount_fen=amount)
    return withdrawal


def check_distribution(fix: bool = False) -> list[dict]:
    """Recompute every distributor's buckets from the ledger; report (and with fix, repair) drift."""
    sums = {row["distributor_id"]: row for row in CommissionEntry.objects.values("distributor_id").annotate(
        **{b: Sum(f"{b}_delta") for b in BUCKETS}).order_by()}
    drift = []
    for distributor in Distributor.objects.order_by("pk"):
        ledger = sums.get(distributor.pk, {})
        expected = {b: ledger.get(b) or 0 for b in BUCKETS}
        cached = {b: getattr(distributor, f"{b}_fen") for b in BUCKETS}
        if expected != cached:
            drift.append({"distributor_id": distributor.pk, "cached": cached, "ledger": expected})
            if fix:
                Distributor.objects.filter(pk=distributor.pk).update(**{f"{b}_fen": v for b, v in expected.items()})
    return drift

