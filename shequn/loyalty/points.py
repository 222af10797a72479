"""积分账本: the points ledger. Every change locks the member's account row, appends
an entry, moves lots and updates the cached balance in one transaction."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor

from .errors import InsufficientPoints, InvalidPoints
from .models import LoyaltyAccount, PointsEntry, PointsLot
from .program import expiry_for, program

log = logging.getLogger("shequn.loyalty")
MAX_POINTS_PER_ENTRY = 10_000_000

Kind = PointsEntry.Kind
EVENT_VERBS = {Kind.EARN: "earned", Kind.REDEEM: "redeemed", Kind.EXPIRE: "expired", Kind.REVERSE: "reversed",
               Kind.ADJUST: "adjusted"}


def _check_amount(points: int) -> None:
    if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
        raise InvalidPoints("Points must be a positive whole number.")
    if points > MAX_POINTS_PER_ENTRY:
        raise InvalidPoints(f"At most {MAX_POINTS_PER_ENTRY:,} points in one entry.")


def lock_account(member_id: int) -> LoyaltyAccount:
    return LoyaltyAccount.objects.select_for_update().get(pk=member_id)


def _existing(member_id: int, source: str, ref: str) -> PointsEntry | None:
    if not ref:
        return None
    return PointsEntry.objects.filter(member_id=member_id, source=source, ref=ref).first()


def _append(account: LoyaltyAccount, kind: str, points: int, *, source: str, ref: str, reason: str,
            actor: Actor, at: dt.datetime, reverses: PointsEntry | None = None) -> PointsEntry:
    account.points_balance += points
    assert account.points_balance >= 0, "points balance would go negative"
    if points > 0 and kind in (Kind.EARN, Kind.ADJUST):
        account.points_earned_total += points
    LoyaltyAccount.objects.filter(pk=account.pk).update(
        points_balance=account.points_balance, points_earned_total=account.points_earned_total)
    entry = PointsEntry.objects.create(
        member_id=account.pk, kind=kind, points=points, balance_after=account.points_balance,
        source=source, ref=ref, reason=reason[:200], reverses=reverses,
        actor_label=actor.label[:150], created_at=at)
    outbox.emit(f"points.{EVENT_VERBS[kind]}", "member", account.pk, entry_id=entry.pk, points=points,
                balance=account.points_balance, source=source, ref=ref)
    audit.record(actor, f"points.{kind}", object_type="member", object_id=account.pk,
                 after={"points": points, "balance": account.points_balance, "reason": entry.reason,
                        "source": source, "ref": ref, "entry": entry.pk})
    return entry


def _lock_unless_replayed(member_id: int, source: str, ref: str) -> tuple[LoyaltyAccount, PointsEntry | None]:
    """Lock the account; if this (source, ref) event was already booked, return its entry too."""
    account = lock_account(member_id)
    return account, _existing(member_id, source, ref)


def _add_lot(account: LoyaltyAccount, entry: PointsEntry, at: dt.datetime) -> PointsLot:
    return PointsLot.objects.create(member_id=account.pk, entry=entry, points=entry.points,
                                    remaining=entry.points, earned_at=at,
                                    expires_at=expiry_for(program(), at))


def _consume_lots(member_id: int, points: int, first: PointsLot | None = None) -> None:
    """Take `points` from the member's lots: `first` lot, then soonest-expiring first."""
    lots = list(PointsLot.objects.filter(member_id=member_id, remaining__gt=0)
                .order_by(F("expires_at").asc(nulls_last=True), "id"))
    if first is not None:
        lots.sort(key=lambda lot: lot.pk != first.pk)
    left = points
    for lot in lots:
        if left == 0:
            break
        take = min(lot.remaining, left)
        PointsLot.objects.filter(pk=lot.pk).update(remaining=F("remaining") - take)
        left -= take
    if left:
        raise AssertionError(f"lots short by {left} points for member {member_id}")


def earn(actor: Actor, member_id: int, points: int, *, source: str, reason: str = "", ref: str = "",
         kind: str = Kind.EARN, at: dt.datetime | None = None) -> PointsEntry:
    """Credit points (a new lot). With a ref, repeating the same event returns the first entry."""
    _check_amount(points)
    at = at or timezone.now()
    with transaction.atomic():
        account, existing = _lock_unless_replayed(member_id, source, ref)
        if existing is not None:
            return existing
        entry = _append(account, kind, points, source=source, ref=ref, reason=reason, actor=actor, at=at)
        _add_lot(account, entry, at)
    return entry


def redeem(actor: Actor, member_id: int, points: int, *, source: str = "gift", reason: str = "",
           ref: str = "", kind: str = Kind.REDEEM, at: dt.datetime | None = None) -> PointsEntry:
    """Debit points, oldest-expiring lots first. Never below zero."""
    _check_amount(points)
    at = at or timezone.now()
    with transaction.atomic():
        account, existing = _lock_unless_replayed(member_id, source, ref)
        if existing is not None:
            return existing
        if account.points_balance < points:
            raise InsufficientPoints(
                f"The member has {account.points_balance} points; {points} were requested.",
                balance=account.points_balance, requested=points)
        _consume_lots(member_id, points)
        entry = _append(account, kind, -points, source=source, ref=ref, reason=reason, actor=actor, at=at)
    return entry


def adjust(actor: Actor, member_id: int, points: int, *, reason: str, ref: str = "") -> PointsEntry:
    """Manual adjustment (人工调整) with a mandatory reason; positive or negative."""
    if not reason.strip():
        raise InvalidPoints("A manual adjustment needs a reason.", type="reason-required")
    if points > 0:
        return earn(actor, member_id, points, source="manual", reason=reason, ref=ref, kind=Kind.ADJUST)
    return redeem(actor, member_id, -points, source="manual", reason=reason, ref=ref, kind=Kind.ADJUST)


def reverse(actor: Actor, entry_id: int, points: int | None = None, *, reason: str,
            ref: str = "") -> PointsEntry | None:
    """冲正: take back points of an earn entry (e.g. its order was refunded).

    Takes from the original lot first, then others; never more than the member holds
    (any shortfall is reported in the entry's reason and the event). Returns None
    when there is nothing left to take back."""
    at = timezone.now()
    with transaction.atomic():
        original = PointsEntry.objects.get(pk=entry_id)
        if original.points <= 0:
            raise InvalidPoints("Only a credit entry can be reversed.", type="not-reversible")
        account = lock_account(original.member_id)
        source = "reversal"
        ref = ref or f"reverse:{original.pk}"
        existing = _existing(original.member_id, source, ref)
        if existing is not None:
            return existing
        already = -(original.reversals.aggregate(s=Sum("points"))["s"] or 0)
        wanted = original.points - already if points is None else points
        if points is not None:
            _check_amount(points)
        wanted = min(wanted, original.points - already)
        if wanted <= 0:
            return None
        taken = min(wanted, account.points_balance)
        shortfall = wanted - taken
        note = reason + (f" (余额不足，少扣 {shortfall})" if shortfall else "")
        if taken == 0:
            log.warning("reversal of entry %s found an empty balance", original.pk)
            return None
        lot = PointsLot.objects.filter(entry=original).first()
        _consume_lots(original.member_id, taken, first=lot)
        entry = _append(account, Kind.REVERSE, -taken, source=source, ref=ref, reason=note,
                        actor=actor, at=at, reverses=original)
    return entry


def expire_due(now: dt.datetime | None = None, member_id: int | None = None) -> int:
    """过期: expire every lot past its date; one entry per lot. Returns points expired."""
    from shequn.core.actor import SYSTEM

    now = now or timezone.now()
    due = PointsLot.objects.filter(expires_at__lte=now, remaining__gt=0)
    if member_id is not None:
        due = due.filter(member_id=member_id)
    total = 0
    for mid in due.values_list("member_id", flat=True).distinct().order_by("member_id"):
        with transaction.atomic():
            account = lock_account(mid)
            for lot in PointsLot.objects.filter(member_id=mid, expires_at__lte=now, remaining__gt=0):
                PointsLot.objects.filter(pk=lot.pk).update(remaining=0)
                _append(account, Kind.EXPIRE, -lot.remaining, source="expiry", ref=f"lot:{lot.pk}",
                        reason=f"{lot.earned_at:%Y-%m-%d} 获得的积分到期", actor=SYSTEM, at=now)
                total += lot.remaining
    return total


def check_ledgers(fix: bool = False) -> list[dict]:
    """Recompute every balance from entries and lots; report (and optionally fix) drift.

    A balance is right when it equals the sum of the member's entries, the sum of
    their lots' remaining points, and the balance_after of their latest entry."""
    entry_sums = dict(PointsEntry.objects.values_list("member_id").annotate(s=Sum("points")).order_by())
    lot_sums = dict(PointsLot.objects.values_list("member_id").annotate(s=Sum("remaining")).order_by())
    latest = PointsEntry.objects.filter(member_id=OuterRef("pk")).order_by("-id").values("balance_after")[:1]
    drift = []
    rows = LoyaltyAccount.objects.annotate(last_after=Subquery(latest)).values_list(
        "pk", "points_balance", "last_after")
    for member_id, balance, last_after in rows.iterator(chunk_size=5000):
        ledger = entry_sums.get(member_id) or 0
        lots = lot_sums.get(member_id) or 0
        if ledger != balance or lots != balance or (last_after or 0) != balance:
            drift.append({"member_id": member_id, "balance": balance, "ledger_sum": ledger,
                          "lots_sum": lots, "last_balance_after": last_after or 0})
    if fix:
        for row in drift:
            LoyaltyAccount.objects.filter(pk=row["member_id"]).update(points_balance=row["ledger_sum"])
    return drift
