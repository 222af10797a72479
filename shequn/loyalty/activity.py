"""Points from what members do: purchases (with tier and promo multipliers),
daily check-in with streak bonus, sharing, birthday gifts."""

import calendar
import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.clock import local_date
from shequn.core.errors import Conflict, NotFound
from shequn.members.models import Member

from . import points, tiers
from .errors import AlreadyCheckedIn, InvalidPoints
from .models import CheckIn, LoyaltyAccount, PointsEntry, Purchase
from .program import program, promo_multiplier_pct

MAX_PURCHASE_FEN = 10_000_000_000  # ¥100,000,000: past this an amount is a typo, not a sale
EARLIEST_PURCHASE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _purchase_time(occurred_at: dt.datetime | None) -> dt.datetime:
    """When the purchase happened, in UTC: not in the future (a few minutes of clock skew
    allowed) and not before 2000, so a typo cannot count toward a tier forever."""
    now = timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at)
    try:
        at = occurred_at.astimezone(dt.UTC)
    except OverflowError:
        at = None
    if at is None or not EARLIEST_PURCHASE <= at <= now + dt.timedelta(minutes=5):
        raise InvalidPoints("The purchase time must be between the year 2000 and now.", type="invalid-time")
    return at


def _member_tz(member_id: int) -> str | None:
    return (Member.objects.filter(pk=member_id).values_list("home_store__timezone", flat=True).first())


def purchase_points(amount_fen: int, tier_pct: int, promo_pct: int, per_yuan: int) -> int:
    """Whole points for a spend: yuan × points-per-yuan × tier × promo, rounded down."""
    return max(0, amount_fen) * per_yuan * tier_pct * promo_pct // (100 * 100 * 100)


def record_purchase(actor: Actor, member_id: int, amount_fen: int, *, ref: str, source: str = "pos",
                    occurred_at: dt.datetime | None = None, store_id: int | None = None) -> PointsEntry | None:
    """A paid purchase: counts toward the tier, earns points, upgrades at once if due."""
    if not 0 < amount_fen <= MAX_PURCHASE_FEN:
        raise InvalidPoints(f"A purchase amount must be positive and at most {MAX_PURCHASE_FEN:,} fen.",
                            type="invalid-amount")
    if not ref.strip():
        raise InvalidPoints("A purchase needs its order or receipt number.", type="invalid-ref")
    at = _purchase_time(occurred_at)
    prog = program()
    with transaction.atomic():
        account = points.lock_account(member_id)
        earlier = Purchase.objects.filter(source=source, ref=ref).values_list("member_id", flat=True).first()
        if earlier is not None:
            if earlier != member_id:
                raise Conflict(f"Purchase {ref} was already recorded for another member.", type="purchase-exists")
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
    """A refund lowers tier spend and reverses the points earned, in proportion.

    Refunds of one purchase never add up to more than it was; replaying a refund
    (same ref) changes nothing and returns its reversal."""
    if amount_fen <= 0:
        raise InvalidPoints("A refund amount must be positive.", type="invalid-amount")
    if not ref.strip():
        raise InvalidPoints("A refund needs its own reference.", type="invalid-ref")
    reversal_ref = f"refund:{source}:{ref}"
    with transaction.atomic():
        original = (Purchase.objects.select_for_update()
                    .filter(source=source, ref=purchase_ref, member_id=member_id, amount_fen__gt=0).first())
        if original is None:
            raise NotFound(f"No purchase {purchase_ref} of this member to refund.", type="purchase-not-found")
        if Purchase.objects.filter(source=source, ref=ref).exists():
            return PointsEntry.objects.filter(member_id=member_id, source="reversal", ref=reversal_ref).first()
        refunded = -(original.refunds.aggregate(s=Sum("amount_fen"))["s"] or 0)
        amount_fen = min(amount_fen, original.amount_fen - refunded)
        if amount_fen <= 0:
            raise Conflict(f"Purchase {purchase_ref} has already been refunded in full.", type="already-refunded")
        Purchase.objects.create(member_id=member_id, amount_fen=-amount_fen, occurred_at=timezone.now(),
                                source=source, ref=ref, store_id=original.store_id, refund_of=original,
                                growth=-(original.growth * amount_fen // original.amount_fen))
        earn_entry = PointsEntry.objects.filter(member_id=member_id, source="purchase",
                                                ref=f"{source}:{purchase_ref}").first()
        if earn_entry is None:
            return None
        if refunded + amount_fen == original.amount_fen:
            share = None  # the last refund takes back whatever rounding left over
        else:
            share = earn_entry.points * amount_fen // original.amount_fen
            if share <= 0:
                return None
        return points.reverse(actor, earn_entry.pk, share, reason=f"退款冲正 {ref}", ref=reversal_ref)


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


def _born_on(day: dt.date) -> Q:
    born = Q(member__birthday__month=day.month, member__birthday__day=day.day)
    if (day.month, day.day) == (2, 28) and not calendar.isleap(day.year):
        born |= Q(member__birthday__month=2, member__birthday__day=29)  # 2月29日 birthdays, in common years
    return born


def grant_birthday_gifts(actor: Actor, today: dt.date | None = None) -> int:
    """生日礼: each member whose birthday is today gets their tier's birthday points, once a year.
    Returns how many members were granted by this run."""
    today = today or local_date()
    ref = f"birthday:{today.year}"
    granted = 0
    already = PointsEntry.objects.filter(source="birthday", ref=ref).values("member_id")
    members = (LoyaltyAccount.objects.filter(_born_on(today), tier__birthday_points__gt=0)
               .exclude(pk__in=already).values_list("pk", "tier__birthday_points", "tier__name"))
    for member_id, gift_points, tier_name in members.iterator():
        points.earn(actor, member_id, gift_points, source="birthday", ref=ref, reason=f"{tier_name}生日礼")
        granted += 1
    audit.record(actor, "loyalty.birthday_gifts", object_type="loyalty", after={"date": str(today), "members": granted})
    return granted
