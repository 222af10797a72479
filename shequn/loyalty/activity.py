"""Points from what members do: purchases (with tier and promo multipliers),
daily check-in with streak bonus, sharing, birthday gifts."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.clock import local_date
from shequn.members.models import Member

from . import points, tiers
from .errors import AlreadyCheckedIn, InvalidPoints
from .models import CheckIn, LoyaltyAccount, PointsEntry, Purchase
from .program import program, promo_multiplier_pct


def _member_tz(member_id: int) -> str | None:
    return (Member.objects.filter(pk=member_id).values_list("home_store__timezone", flat=True).first())


def purchase_points(amount_fen: int, tier_pct: int, promo_pct: int, per_yuan: int) -> int:
    """Whole points for a spend: yuan × points-per-yuan × tier × promo, rounded down."""
    return max(0, amount_fen) * per_yuan * tier_pct * promo_pct // (100 * 100 * 100)


def record_purchase(actor: Actor, member_id: int, amount_fen: int, *, ref: str, source: str = "pos",
                    occurred_at: dt.datetime | None = None, store_id: int | None = None) -> PointsEntry | None:
    """A paid purchase: counts toward the tier, earns points, upgrades at once if due."""
    if amount_fen <= 0:
        raise InvalidPoints("A purchase amount must be positive.", type="invalid-amount")
    at = occurred_at or timezone.now()
    prog = program()
    with transaction.atomic():
        account = points.lock_account(member_id)
        if Purchase.objects.filter(source=source, ref=ref).exists():
            return PointsEntry.objects.filter(member_id=member_id, source="purchase", ref=f"{source}:{ref}").first()
        Purchase.objects.create(member_id=member_id, amount_fen=amount_fen, occurred_at=at, source=source,
                                ref=ref, store_id=store_id, growth=amount_fen * prog.growth_per_yuan // 100)
        birthday = Member.objects.filter(pk=member_id).values_list("birthday", flat=True).first()
        promo_pct, why = promo_multiplier_pct(prog, local_date(_member_tz(member_id), at), birthday)
        earned = purchase_points(amount_fen, account.tier.points_multiplier_pct, promo_pct, prog.points_per_yuan)
        entry = None
        if earned > 0:
            reason = f"消费积分 ×{account.tier.points_multiplier_pct / 100:g}"
            if why:
                reason += f"（{why}×{promo_pct / 100:g}）"
            entry = points.earn(actor, member_id, earned, source="purchase", ref=f"{source}:{ref}",
                                reason=reason, at=at)
        tiers.evaluate_upgrade(member_id, actor, now=max(at, timezone.now()))
    return entry


def record_refund(actor: Actor, member_id: int, amount_fen: int, *, ref: str, purchase_ref: str,
                  source: str = "pos") -> PointsEntry | None:
    """A refund lowers tier spend and reverses the points earned, in proportion."""
    with transaction.atomic():
        original = Purchase.objects.select_for_update().get(source=source, ref=purchase_ref)
        if Purchase.objects.filter(source=source, ref=ref).exists():
            return None
        amount_fen = min(amount_fen, original.amount_fen)
        Purchase.objects.create(member_id=member_id, amount_fen=-amount_fen, occurred_at=timezone.now(),
                                source=source, ref=ref, store_id=original.store_id,
                                growth=-(original.growth * amount_fen // original.amount_fen))
        earn_entry = PointsEntry.objects.filter(member_id=member_id, source="purchase",
                                                ref=f"{source}:{purchase_ref}").first()
        if earn_entry is None:
            return None
        share = earn_entry.points * amount_fen // original.amount_fen
        if share <= 0:
            return None
        return points.reverse(actor, earn_entry.pk, share, reason=f"退款冲正 {ref}", ref=f"refund:{source}:{ref}")


def streak_bonus(streak: int, bonus_table: dict) -> int:
    """Bonus on reaching day N of a streak; the table repeats every cycle of its longest day."""
    table = {int(k): int(v) for k, v in (bonus_table or {}).items()}
    if not table or streak <= 0:
        return 0
    cycle = max(table)
    day = (streak - 1) % cycle + 1
    return table.get(day, 0)


def check_in(actor: Actor, member_id: int, now: dt.datetime | None = None) -> CheckIn:
    """签到: once per member per local day; consecutive days build a streak."""
    now = now or timezone.now()
    today = local_date(_member_tz(member_id), now)
    prog = program()
    try:
        with transaction.atomic():
            account = points.lock_account(member_id)
            if account.last_checkin_date == today:
                raise AlreadyCheckedIn("You have already checked in today; come back tomorrow.")
            streak = account.checkin_streak + 1 if account.last_checkin_date == today - dt.timedelta(days=1) else 1
            awarded = prog.checkin_points + streak_bonus(streak, prog.checkin_streak_bonus)
            checkin = CheckIn.objects.create(member_id=member_id, local_date=today, streak=streak, points=awarded)
            LoyaltyAccount.objects.filter(pk=member_id).update(checkin_streak=streak, last_checkin_date=today)
            if awarded:
                reason = f"签到第 {streak} 天" if streak > 1 else "每日签到"
                points.earn(actor, member_id, awarded, source="check_in", ref=f"checkin:{today}",
                            reason=reason, at=now)
            outbox.emit("member.checked_in", "member", member_id, date=str(today), streak=streak, points=awarded)
    except IntegrityError as exc:
        raise AlreadyCheckedIn("You have already checked in today; come back tomorrow.") from exc
    return checkin


def share(actor: Actor, member_id: int, now: dt.datetime | None = None) -> PointsEntry | None:
    """分享: points for sharing, up to the daily cap. Returns None when capped."""
    now = now or timezone.now()
    prog = program()
    today = local_date(_member_tz(member_id), now)
    if not prog.share_points:
        return None
    with transaction.atomic():
        points.lock_account(member_id)
        done = PointsEntry.objects.filter(member_id=member_id, source="share",
                                          ref__startswith=f"share:{today}:").count()
        if done >= prog.share_daily_cap:
            return None
        return points.earn(actor, member_id, prog.share_points, source="share",
                           ref=f"share:{today}:{done + 1}", reason="分享奖励", at=now)


def grant_birthday_gifts(actor: Actor, today: dt.date | None = None) -> int:
    """生日礼: each member whose birthday is today gets their tier's birthday points, once a year."""
    today = today or local_date()
    granted = 0
    members = (LoyaltyAccount.objects.filter(member__birthday__month=today.month, member__birthday__day=today.day,
                                             tier__birthday_points__gt=0)
               .values_list("pk", "tier__birthday_points", "tier__name"))
    for member_id, gift_points, tier_name in members.iterator():
        entry = points.earn(actor, member_id, gift_points, source="birthday", ref=f"birthday:{today.year}",
                            reason=f"{tier_name}生日礼")
        granted += 1 if entry else 0
    audit.record(actor, "loyalty.birthday_gifts", object_type="loyalty", after={"date": str(today), "members": granted})
    return granted
