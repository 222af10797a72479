"""裂变: referral codes and links, attribution of new members, first-order qualification, rewards released
after a hold period, and fraud holds reviewed by an operator.

Lifecycle of a Referral: pending (attributed, waiting for the first paid order) → qualified (first order
paid within the window; rewards wait `hold_days`) → rewarded. A full refund of the first order before the
release voids it; suspicious referrals are held for review (approve → back on the path, reject → rejected).
Rewards already released are not clawed back: the hold period is the after-sales protection."""

import datetime as dt
import ipaddress
import logging
import secrets
import urllib.parse

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.commerce.models import Order
from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import Problem
from shequn.core.locks import serialize_on
from shequn.core.permissions import require
from shequn.loyalty import points as loyalty_points
from shequn.members.models import Member

from .errors import (
    AlreadyReferred,
    InvalidReferralSettings,
    NotANewMember,
    ReferralCodeNotFound,
    ReferralNotFound,
    ReferralStateConflict,
    ReferralWindowClosed,
)
from .models import Referral, ReferralCode, ReferralDevice, ReferralReward, ReferralSettings

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud or typed from a poster
CODE_LENGTH = 8
MANAGE = "commerce.campaigns"
log = logging.getLogger("shequn.referral")
Status = Referral.Status


def settings_row() -> ReferralSettings:
    row = ReferralSettings.objects.order_by("pk").first()
    return row or ReferralSettings.objects.create()


SETTING_LIMITS = {
    "referrer_points": (0, 100_000), "referee_points": (0, 100_000), "signup_window_days": (1, 90),
    "first_order_window_days": (1, 365), "hold_days": (0, 90), "burst_limit": (1, 1000),
    "burst_window_minutes": (1, 24 * 60),
}


def coupons_available() -> bool:
    try:
        from shequn.commerce.coupons import services as coupon_services
    except ImportError:
        return False
    return hasattr(coupon_services, "issue")


def update_settings(actor: Actor, **changes) -> ReferralSettings:
    """Change the reward and anti-fraud rules (one row)."""
    require(actor, MANAGE)
    allowed = set(SETTING_LIMITS) | {"reward_kind", "referrer_coupon_template_id", "referee_coupon_template_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidReferralSettings(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, (low, high) in SETTING_LIMITS.items():
        value = changes.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high):
            raise InvalidReferralSettings(f"{name} must be a whole number from {low} to {high}.", field=name)
    for name in ("referrer_coupon_template_id", "referee_coupon_template_id"):
        value = changes.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 < value < 2**31):
            raise InvalidReferralSettings(f"{name} must be a coupon template id.", field=name)
    with transaction.atomic():
        row = ReferralSettings.objects.select_for_update().get(pk=settings_row().pk)
        before = _settings_dict(row)
        for name, value in changes.items():
            if value is not None:
                setattr(row, name, value)
        _check_reward(row)
        row.save()
        audit.record(actor, "referral.settings_changed", row, before=before, after=_settings_dict(row))
    return row


def _check_reward(row: ReferralSettings) -> None:
    if row.reward_kind not in ReferralSettings.RewardKind.values:
        raise InvalidReferralSettings("reward_kind must be points or coupon.", field="reward_kind")
    if row.reward_kind == ReferralSettings.RewardKind.COUPON:
        if not coupons_available():
            raise InvalidReferralSettings("Coupons are not available in this installation; reward with points.",
                                          field="reward_kind")
        ids = {row.referrer_coupon_template_id, row.referee_coupon_template_id} - {None}
        if not ids:
            raise InvalidReferralSettings("Name the coupon template for at least one side.",
                                          field="referrer_coupon_template_id")
        from shequn.commerce.coupons.models import CouponTemplate

        if CouponTemplate.objects.filter(pk__in=ids).count() != len(ids):
            raise InvalidReferralSettings("No coupon template with that id.", field="referrer_coupon_template_id")
    elif not (row.referrer_points or row.referee_points):
        raise InvalidReferralSettings("Give points to at least one side.", field="referrer_points")


def _settings_dict(row: ReferralSettings) -> dict:
    return {name: getattr(row, name) for name in ("reward_kind", "referrer_points", "referee_points",
                                                  "referrer_coupon_template_id", "referee_coupon_template_id",
                                                  *SETTING_LIMITS)}


# Codes and links


def code_for(member: Member) -> ReferralCode:
    """The member's referral code, created on first use; stable afterwards."""
    existing = ReferralCode.objects.filter(member=member).first()
    if existing is not None:
        return existing
    for _ in range(8):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(member=member, code=code)
        except IntegrityError:
            existing = ReferralCode.objects.filter(member=member).first()
            if existing is not None:  # created at the same moment by another request
                return existing
    raise ReferralStateConflict("Could not allocate a referral code; try again.", type="referral-code-collision")


def link_path(code: str) -> str:
    return f"/m/r/{urllib.parse.quote(code)}/"


def qr_svg(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_inline(scale=5, border=2)


def referrer_for_code(code: str) -> Member:
    code = (code or "").strip().upper()
    row = ReferralCode.objects.select_related("member").filter(code=code).first() if code else None
    if row is None or not row.member.is_active:
        raise ReferralCodeNotFound(f"No referral code {code!r}. Check the link or the code on the poster.")
    return row.member


def see_device(member: Member, device_id: str, at: dt.datetime | None = None) -> None:
    """Remember that `member` used this device (cookie id); a referral from it to someone else is suspect."""
    device_id = (device_id or "").strip()[:64]
    if not device_id:
        return
    at = at or timezone.now()
    if not ReferralDevice.objects.filter(member=member, device_id=device_id).update(last_seen_at=at):
        try:
            with transaction.atomic():
                ReferralDevice.objects.create(member=member, device_id=device_id, last_seen_at=at)
        except IntegrityError:
            pass  # seen by a parallel request: same fact


def network_of(ip: str | None) -> str:
    """The /24 (IPv4) or /64 (IPv6) an address belongs to; bursts are counted per network."""
    if not ip:
        return ""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    prefix = 24 if address.version == 4 else 64
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


# Attribution


def _check_new_member(referee: Member, clicked_at: dt.datetime | None, at: dt.datetime,
                      row: ReferralSettings) -> None:
    window = dt.timedelta(days=row.signup_window_days)
    if clicked_at is not None:
        if referee.joined_at < clicked_at:
            raise NotANewMember("The member had joined before opening the referral link; only new members "
                                "count as referred.")
        if referee.joined_at > clicked_at + window:
            raise ReferralWindowClosed(f"The referral link was opened more than {row.signup_window_days} days "
                                       "before signing up.")
    elif referee.joined_at < at - window:
        raise NotANewMember(f"The member joined more than {row.signup_window_days} days ago; only new members "
                            "count as referred.")
    if Order.objects.filter(member=referee, paid_at__isnull=False).exists():
        raise NotANewMember("The member has already bought something; only new customers count as referred.")


def _uplines(member: Member, depth: int) -> list[int]:
    """Who referred `member`, who referred them … up to `depth` steps."""
    chain, current = [], member.pk
    for _ in range(depth):
        current = Referral.objects.filter(referee_id=current).values_list("referrer_id", flat=True).first()
        if current is None:
            break
        chain.append(current)
    return chain


def fraud_reasons(referrer: Member, referee: Member, device_id: str, network: str, at: dt.datetime,
                  row: ReferralSettings) -> list[str]:
    """Why this referral should be looked at by a person before anyone is paid (empty: nothing)."""
    reasons = []
    if referrer.pk == referee.pk:
        reasons.append("self")
    if device_id and ReferralDevice.objects.filter(member=referrer, device_id=device_id).exists():
        reasons.append("self-device")
    since = at - dt.timedelta(minutes=row.burst_window_minutes)
    if device_id and Referral.objects.filter(device_id=device_id, attributed_at__gt=since).count() >= row.burst_limit:
        reasons.append("burst-device")
    if network and Referral.objects.filter(network=network, attributed_at__gt=since).count() >= row.burst_limit:
        reasons.append("burst-network")
    # A ring: the referee already is the referrer's referrer (A↔B) or theirs (A→B→C→A).
    if referee.pk in _uplines(referrer, 2):
        reasons.append("ring")
    return reasons


def attribute(actor: Actor, *, referee: Member, code: str, device_id: str = "", ip: str | None = None,
              clicked_at: dt.datetime | None = None, at: dt.datetime | None = None) -> Referral:
    """Record that `referee` (a new member) came through `code`. Repeating it returns the first record;
    another referrer for the same member is refused. Suspicious referrals are stored as held."""
    at = at or timezone.now()
    device_id = (device_id or "").strip()[:64]
    referrer = referrer_for_code(code)
    row = settings_row()
    with transaction.atomic():
        serialize_on(f"referral:referee:{referee.pk}")
        existing = Referral.objects.filter(referee=referee).first()
        if existing is not None:
            if existing.referrer_id == referrer.pk:
                return existing
            raise AlreadyReferred("This member was already referred by someone else.")
        if referrer.pk != referee.pk:
            _check_new_member(referee, clicked_at, at, row)
        network = network_of(ip)
        for key in (f"device:{device_id}" if device_id else "", f"network:{network}" if network else ""):
            if key:
                serialize_on(f"referral:burst:{key}")  # bursts are counted exactly (fixed lock order)
        reasons = fraud_reasons(referrer, referee, device_id, network, at, row)
        referral = Referral.objects.create(
            referrer=referrer, referee=referee, code=code.strip().upper(), device_id=device_id,
            ip=ip or None, network=network, clicked_at=clicked_at, attributed_at=at,
            status=Status.HELD if reasons else Status.PENDING, hold_reasons=reasons)
        see_device(referee, device_id, at)
        audit.record(actor, "referral.attributed", referral, store_id=referee.home_store_id,
                     after={"referrer": referrer.pk, "referee": referee.pk, "status": referral.status,
                            "hold_reasons": reasons})
        outbox.emit("referral.attributed", "member", referee.pk, referral_id=referral.pk, referrer_id=referrer.pk,
                    referee_id=referee.pk, status=referral.status)
    return referral


# Reactions to orders (run inside the order transaction)


def on_order_paid(order: Order) -> None:
    """The referee's first paid order within the window qualifies the referral."""
    referral = (Referral.objects.select_for_update()
                .filter(referee_id=order.member_id, order__isnull=True, status__in=[Status.PENDING, Status.HELD])
                .first())
    if referral is None:
        return
    row = settings_row()
    joined_at = Member.objects.values_list("joined_at", flat=True).get(pk=order.member_id)
    paid_at = order.paid_at or timezone.now()
    earlier = Order.objects.filter(member_id=order.member_id, paid_at__isnull=False).exclude(pk=order.pk).exists()
    if earlier or paid_at > joined_at + dt.timedelta(days=row.first_order_window_days):
        if referral.status == Status.PENDING:
            _void(SYSTEM, referral, "首单不在有效期内" if not earlier else "不是首单")
        return
    referral.order, referral.qualified_at = order, paid_at
    referral.release_after = paid_at + dt.timedelta(days=row.hold_days)
    if referral.status == Status.PENDING:
        referral.status = Status.QUALIFIED
    referral.save(update_fields=["order", "qualified_at", "release_after", "status"])
    audit.record(SYSTEM, "referral.qualified", referral, store_id=order.store_id,
                 after={"order_no": order.order_no, "release_after": referral.release_after.isoformat(),
                        "status": referral.status})
    outbox.emit("referral.qualified", "member", order.member_id, referral_id=referral.pk, order_no=order.order_no)


def on_order_refunded(order: Order, refund=None) -> None:
    """A full refund of the qualifying order before the rewards were released voids the referral."""
    if order.status != Order.Status.REFUNDED:
        return
    referral = (Referral.objects.select_for_update()
                .filter(order=order, status__in=[Status.QUALIFIED, Status.HELD]).first())
    if referral is not None:
        _void(SYSTEM, referral, "首单已全额退款")


def _void(actor: Actor, referral: Referral, reason: str) -> None:
    before = referral.status
    referral.status, referral.void_reason = Status.VOID, reason[:100]
    referral.save(update_fields=["status", "void_reason"])
    audit.record(actor, "referral.voided", referral, before={"status": before}, after={"reason": reason})
    outbox.emit("referral.voided", "member", referral.referee_id, referral_id=referral.pk, reason=reason)


# Release of rewards


def _reward(actor: Actor, referral: Referral, side: str, member_id: int, row: ReferralSettings,
            at: dt.datetime) -> ReferralReward | None:
    ref = f"referral:{referral.pk}:{side}"
    if row.reward_kind == ReferralSettings.RewardKind.COUPON:
        template_id = row.referrer_coupon_template_id if side == "referrer" else row.referee_coupon_template_id
        if not template_id:
            return None
        try:
            coupon = _issue_coupon(actor, template_id, member_id, ref)
        except Problem as problem:  # sold out or paused: the side gets its points instead, if any
            log.warning("referral %s: coupon %s not issued (%s); points instead", referral.pk, template_id,
                        problem.type)
        else:
            return ReferralReward.objects.create(referral=referral, side=side, member_id=member_id, kind="coupon",
                                                 coupon_id=coupon.pk, ref=ref, created_at=at)
    amount = row.referrer_points if side == "referrer" else row.referee_points
    if not amount:
        return None
    label = "邀请好友奖励" if side == "referrer" else "受邀新人奖励"
    loyalty_points.earn(actor, member_id, amount, source="referral", ref=ref, reason=label, at=at)
    return ReferralReward.objects.create(referral=referral, side=side, member_id=member_id, kind="points",
                                         points=amount, ref=ref, created_at=at)


def _issue_coupon(actor: Actor, template_id: int, member_id: int, ref: str):
    from shequn.commerce.coupons import services as coupon_services
    from shequn.commerce.coupons.models import CouponTemplate

    template = CouponTemplate.objects.get(pk=template_id)
    member = Member.objects.get(pk=member_id)
    return coupon_services.issue(actor, template, member, source="referral", ref=ref)


def release(actor: Actor, referral_id: int, now: dt.datetime | None = None) -> Referral | None:
    """Pay both sides of one qualified referral whose hold period is over. Runs once per referral:
    the row lock and the unique (referral, side) make a second run a no-op."""
    now = now or timezone.now()
    row = settings_row()
    order_id = Referral.objects.filter(pk=referral_id).values_list("order_id", flat=True).first()
    with transaction.atomic():
        # The order first, as a refund does (order → points → referral): no deadlock, and no refund can
        # slip in between the check below and the rewards.
        order = Order.objects.select_for_update().filter(pk=order_id).first() if order_id else None
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None or referral.status != Status.QUALIFIED or referral.release_after > now:
            return None
        if order is None or order.status == Order.Status.REFUNDED:
            _void(actor, referral, "首单已全额退款")
            return None
        rewards = [_reward(actor, referral, side, member_id, row, now)
                   for side, member_id in (("referrer", referral.referrer_id), ("referee", referral.referee_id))]
        referral.status, referral.rewarded_at = Status.REWARDED, now
        referral.save(update_fields=["status", "rewarded_at"])
        paid = [{"side": r.side, "kind": r.kind, "points": r.points, "coupon_id": r.coupon_id}
                for r in rewards if r is not None]
        audit.record(actor, "referral.rewarded", referral, after={"rewards": paid})
        outbox.emit("referral.rewarded", "member", referral.referee_id, referral_id=referral.pk,
                    referrer_id=referral.referrer_id, rewards=paid)
    return referral


def release_due(now: dt.datetime | None = None, limit: int = 1000) -> int:
    """The periodic job: release rewards that are due and void referrals whose first-order window closed."""
    now = now or timezone.now()
    released = 0
    ids = list(Referral.objects.filter(status=Status.QUALIFIED, release_after__lte=now)
               .order_by("release_after").values_list("pk", flat=True)[:limit])
    for referral_id in ids:
        if release(SYSTEM, referral_id, now) is not None:
            released += 1
    window = dt.timedelta(days=settings_row().first_order_window_days)
    stale = list(Referral.objects.filter(status=Status.PENDING, referee__joined_at__lt=now - window)
                 .values_list("pk", flat=True)[:limit])
    for referral_id in stale:
        with transaction.atomic():
            referral = Referral.objects.select_for_update().get(pk=referral_id)
            if referral.status == Status.PENDING:
                _void(SYSTEM, referral, "有效期内未下首单")
    return released


# Review of held referrals


def review(actor: Actor, referral_id: int, *, approve: bool, note: str = "") -> Referral:
    """审核: approve a held referral (it continues: qualified when its first order is paid) or reject it."""
    require(actor, MANAGE)
    note = (note or "").strip()[:200]
    with transaction.atomic():
        referral = Referral.objects.select_for_update().filter(pk=referral_id).first()
        if referral is None:
            raise ReferralNotFound(f"No referral {referral_id}.")
        if actor.store_ids is not None and not Member.objects.filter(pk=referral.referrer_id,
                                                                     home_store_id__in=actor.store_ids).exists():
            raise ReferralNotFound(f"No referral {referral_id}.")
        if referral.status != Status.HELD:
            raise ReferralStateConflict(f"Referral {referral_id} is {referral.get_status_display()}; only held "
                                        "referrals are reviewed.", status_now=referral.status)
        if not approve:
            referral.status = Status.REJECTED
        elif referral.order_id is None:
            referral.status = Status.PENDING
        elif Order.objects.filter(pk=referral.order_id, status=Order.Status.REFUNDED).exists():
            referral.status, referral.void_reason = Status.VOID, "首单已全额退款"
        else:
            referral.status = Status.QUALIFIED
        referral.reviewed_by, referral.reviewed_at, referral.review_note = actor.label[:150], timezone.now(), note
        referral.save(update_fields=["status", "void_reason", "reviewed_by", "reviewed_at", "review_note"])
        audit.record(actor, "referral.approved" if approve else "referral.rejected", referral,
                     before={"status": Status.HELD}, after={"status": referral.status, "note": note})
        outbox.emit("referral.reviewed", "member", referral.referee_id, referral_id=referral.pk,
                    status=referral.status)
    return referral


def check_referrals(fix: bool = False) -> list[dict]:
    """Every rewarded referral has its rewards, and every points reward is in the points ledger once.
    Nothing here can be repaired automatically (`fix` is accepted for `shequn check-ledgers`)."""
    from shequn.loyalty.models import PointsEntry

    problems = []
    rewarded = Referral.objects.filter(status=Status.REWARDED).exclude(rewards__isnull=False)
    for referral_id in rewarded.values_list("pk", flat=True):
        problems.append({"referral_id": referral_id, "problem": "rewarded without rewards"})
    booked = {(member_id, ref): points for member_id, ref, points in PointsEntry.objects.filter(
        source="referral").values_list("member_id", "ref", "points")}
    for reward in ReferralReward.objects.filter(kind="points"):
        if booked.get((reward.member_id, reward.ref)) != reward.points:
            problems.append({"referral_id": reward.referral_id, "side": reward.side,
                             "problem": "points reward not in the points ledger"})
    return problems
