"""The points and tier configuration, with the default 普通/银卡/金卡/钻石 ladder."""

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings

from .models import LoyaltyProgram, Tier

DEFAULT_TIERS = [
    # code, name, rank, 12-month spend (fen), orders, growth, discount ‰, multiplier %, gift, birthday points, service
    ("basic", "普通会员", 0, None, None, None, 1000, 100, "", 0, False),
    ("silver", "银卡会员", 1, 100_000, 6, 1_000, 980, 120, "生日券 ¥10", 50, False),
    ("gold", "金卡会员", 2, 500_000, 20, 5_000, 950, 150, "生日蛋糕券", 200, False),
    ("diamond", "钻石会员", 3, 2_000_000, 50, 20_000, 900, 200, "生日礼盒 + 专属顾问", 500, True),
]


def ensure_default_tiers() -> None:
    if Tier.objects.exists():
        return
    for code, name, rank, spend, orders, growth, disc, mult, gift, bpoints, service in DEFAULT_TIERS:
        Tier.objects.get_or_create(code=code, defaults=dict(
            name=name, rank=rank, min_spend_fen=spend, min_orders=orders, min_growth=growth,
            discount_permille=disc, points_multiplier_pct=mult, birthday_gift=gift,
            birthday_points=bpoints, exclusive_service=service))


def program() -> LoyaltyProgram:
    prog = LoyaltyProgram.objects.filter(pk=1).first()
    if prog is None:
        prog, _ = LoyaltyProgram.objects.get_or_create(pk=1, defaults={
            "checkin_streak_bonus": {"3": 5, "7": 20}, "member_day_of_month": 18})
    return prog


def base_tier() -> Tier:
    tier = Tier.objects.order_by("rank").first()
    if tier is None:
        ensure_default_tiers()
        tier = Tier.objects.order_by("rank").first()
    assert tier is not None
    return tier


def expiry_for(prog: LoyaltyProgram, earned_at: dt.datetime) -> dt.datetime | None:
    """When a lot earned at `earned_at` expires under the program's policy."""
    if prog.expiry_policy == LoyaltyProgram.Expiry.NEVER:
        return None
    if prog.expiry_policy == LoyaltyProgram.Expiry.ROLLING_DAYS:
        return earned_at + dt.timedelta(days=prog.expiry_days)
    tz = ZoneInfo(settings.TIME_ZONE)
    local = earned_at.astimezone(tz)
    return dt.datetime(local.year + 2, 1, 1, tzinfo=tz)  # end of the following year


def promo_multiplier_pct(prog: LoyaltyProgram, local_day: dt.date, birthday: dt.date | None) -> tuple[int, str]:
    """Member day or birthday month: the larger applicable multiplier, not both."""
    best, why = 100, ""
    is_member_day = (prog.member_day_weekday is not None and local_day.weekday() == prog.member_day_weekday) or (
        prog.member_day_of_month is not None and local_day.day == min(
            prog.member_day_of_month, calendar.monthrange(local_day.year, local_day.month)[1]))
    if is_member_day and prog.member_day_multiplier_pct > best:
        best, why = prog.member_day_multiplier_pct, "会员日"
    if birthday is not None and birthday.month == local_day.month and prog.birthday_month_multiplier_pct > best:
        best, why = prog.birthday_month_multiplier_pct, "生日月"
    return best, why
