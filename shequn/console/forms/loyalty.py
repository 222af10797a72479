import re

from django import forms

from shequn.core.money import format_fen, yuan_to_fen
from shequn.loyalty.models import LoyaltyProgram, Tier

WEEKDAYS = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
THRESHOLDS = (("min_spend_fen", "近12个月消费"), ("min_orders", "订单数"), ("min_growth", "成长值"))
TIER_FIELDS = ("name", "min_spend_fen", "min_orders", "min_growth", "discount_permille",
               "points_multiplier_pct", "birthday_gift", "birthday_points", "exclusive_service")
PROGRAM_FIELDS = ("points_per_yuan", "expiry_policy", "expiry_days", "checkin_points",
                  "checkin_streak_bonus", "share_points", "share_daily_cap", "member_day_weekday",
                  "member_day_of_month", "member_day_multiplier_pct", "birthday_month_multiplier_pct",
                  "growth_per_yuan", "tier_window_days", "downgrade_grace_days",
                  "points_per_yuan_offset", "offset_cap_pct")


def _int(label: str, lo: int, hi: int, required: bool = True, **kwargs) -> forms.IntegerField:
    name = label.replace("%", "%%")  # error messages are %-formatted by Django
    return forms.IntegerField(
        label=label, min_value=lo, max_value=hi, required=required,
        error_messages={"required": f"请填写{name}。", "invalid": f"{name}必须是整数。",
                        "min_value": f"{name}不能小于 {lo}。", "max_value": f"{name}不能大于 {hi:,}。"},
        **kwargs)


class YuanField(forms.CharField):
    """Entered in yuan ('1000' or '1,000.50'), cleaned to integer fen."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(max_length=20, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, int):
            return format_fen(value).lstrip("¥").replace(",", "")
        return value

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            fen = yuan_to_fen(value)
        except ValueError:
            raise forms.ValidationError("金额格式不对，请填写元，例如 1000 或 1000.50。") from None
        if fen < 0:
            raise forms.ValidationError("金额不能是负数。")
        return fen


class TierForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label="名称", max_length=30, error_messages={"required": "请填写等级名称。"})
    min_spend_fen = YuanField(label="近12个月消费(元)")
    min_orders = _int("订单数", 0, 100_000, required=False)
    min_growth = _int("成长值", 0, 100_000_000, required=False)
    discount_permille = _int("折扣‰", 1, 1000, help_text="950 即 95 折，1000 为不打折")
    points_multiplier_pct = _int("积分倍率%", 0, 1000, help_text="150 即 1.5 倍")
    birthday_gift = forms.CharField(label="生日礼", max_length=100, required=False)
    birthday_points = _int("生日积分", 0, 1_000_000)
    exclusive_service = forms.BooleanField(label="专属服务", required=False)

    @staticmethod
    def initial_for(tier: Tier) -> dict:
        return {"id": tier.pk, **{f: getattr(tier, f) for f in TIER_FIELDS}}


class NewTierForm(TierForm):
    id = None
    code = forms.SlugField(label="代码", max_length=20,
                           help_text="英文字母、数字或下划线，例如 platinum",
                           error_messages={"required": "请填写等级代码。",
                                           "invalid": "代码只能用英文字母、数字、- 或 _。"})
    field_order = ["code", "name"]

    def clean_code(self):
        code = self.cleaned_data["code"]
        if Tier.objects.filter(code=code).exists():
            raise forms.ValidationError("这个代码已经被其他等级使用。")
        return code


class BaseTierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        ladder = [f.cleaned_data for f in self.forms]
        errors = ladder_errors(ladder)
        if errors:
            raise forms.ValidationError(errors)


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=0)


def ladder_errors(ladder: list[dict]) -> list[str]:
    """Tiers listed lowest first: every tier above the base needs a threshold, and
    each threshold must be higher than the same threshold of the tier below."""
    errors = []
    for lower, upper in zip(ladder, ladder[1:], strict=False):
        if all(upper.get(field) is None for field, _ in THRESHOLDS):
            errors.append(f"「{upper['name']}」至少要设置一个门槛（消费、订单数或成长值），"
                          "否则所有会员都会达到这个等级。")
        for field, label in THRESHOLDS:
            low, high = lower.get(field), upper.get(field)
            if low is not None and high is not None and high <= low:
                errors.append(f"「{upper['name']}」的{label}门槛应高于「{lower['name']}」。")
    return errors


class ProgramForm(forms.Form):
    points_per_yuan = _int("每消费 1 元得积分", 0, 1000)
    expiry_policy = forms.ChoiceField(label="积分有效期", choices=LoyaltyProgram.Expiry.choices,
                                      error_messages={"invalid_choice": "请从列表中选择积分有效期。"})
    expiry_days = _int("有效天数", 1, 3650, help_text="仅在“获得后 N 天过期”时使用")
    checkin_points = _int("每日签到积分", 0, 10_000)
    checkin_streak_bonus = forms.CharField(
        label="连续签到奖励", required=False, max_length=200,
        help_text="格式：天数:积分，用逗号分隔，例如 3:5, 7:20")
    share_points = _int("分享得积分", 0, 10_000)
    share_daily_cap = _int("每日分享上限(次)", 0, 100)
    member_day_weekday = forms.TypedChoiceField(
        label="会员日(每周)", required=False, coerce=int, empty_value=None,
        error_messages={"invalid_choice": "请从列表中选择会员日。"},
        choices=[("", "不设置")] + [(i, d) for i, d in enumerate(WEEKDAYS)])
    member_day_of_month = _int("会员日(每月几号)", 1, 31, required=False,
                               help_text="31 号在小月按月末计算")
    member_day_multiplier_pct = _int("会员日积分倍率%", 100, 1000)
    birthday_month_multiplier_pct = _int("生日月积分倍率%", 100, 1000)
    growth_per_yuan = _int("每消费 1 元得成长值", 0, 1000)
    tier_window_days = _int("等级统计周期(天)", 30, 3650)
    downgrade_grace_days = _int("降级宽限期(天)", 0, 365)
    points_per_yuan_offset = _int("多少积分抵 1 元", 1, 100_000)
    offset_cap_pct = _int("积分抵现上限%", 0, 100)

    @staticmethod
    def initial_for(prog: LoyaltyProgram) -> dict:
        data = {f: getattr(prog, f) for f in PROGRAM_FIELDS}
        data["checkin_streak_bonus"] = format_streak_bonus(prog.checkin_streak_bonus or {})
        return data

    def clean_checkin_streak_bonus(self) -> dict[str, int]:
        return parse_streak_bonus(self.cleaned_data["checkin_streak_bonus"])


def format_streak_bonus(bonus: dict) -> str:
    return ", ".join(f"{day}:{points}" for day, points in sorted(bonus.items(), key=lambda i: int(i[0])))


def parse_streak_bonus(text: str) -> dict[str, int]:
    """'3:5, 7:20' -> {'3': 5, '7': 20}."""
    bonus: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in re.split(r"[,，\s]+", text or ""))):
        match = re.fullmatch(r"(\d+)[:：](\d+)", part)
        if not match:
            raise forms.ValidationError(f"“{part}”格式不对，应为 天数:积分，例如 7:20。")
        day, points = int(match[1]), int(match[2])
        if not 1 <= day <= 365:
            raise forms.ValidationError(f"“{part}”的天数应在 1 到 365 之间。")
        if not 1 <= points <= 100_000:
            raise forms.ValidationError(f"“{part}”的积分应在 1 到 100,000 之间。")
        if str(day) in bonus:
            raise forms.ValidationError(f"第 {day} 天重复设置了奖励。")
        bonus[str(day)] = points
    return bonus
