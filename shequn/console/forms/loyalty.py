import re

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from shequn.core.errors import Problem
from shequn.core.money import format_fen, yuan_to_fen
from shequn.loyalty.models import LoyaltyProgram, Tier

from ..labels import EXPIRY_POLICIES, WEEKDAYS

THRESHOLDS = {"min_spend_fen": _("近12个月消费"), "min_orders": _("订单数"), "min_growth": _("成长值")}
TIER_FIELDS = ("name", "min_spend_fen", "min_orders", "min_growth", "discount_permille",
               "points_multiplier_pct", "birthday_gift", "birthday_points", "exclusive_service")
PROGRAM_FIELDS = ("points_per_yuan", "expiry_policy", "expiry_days", "checkin_points",
                  "checkin_streak_bonus", "share_points", "share_daily_cap", "member_day_weekday",
                  "member_day_of_month", "member_day_multiplier_pct", "birthday_month_multiplier_pct",
                  "growth_per_yuan", "tier_window_days", "downgrade_grace_days",
                  "points_per_yuan_offset", "offset_cap_pct")


def _message(template: str, label, limit: str | None = None) -> str:
    # Min/max messages are %-formatted by Django with the limit: a "%" in the label must be doubled.
    text = gettext(template)
    if limit is None:
        return text.format(label=label)
    return text.format(label=str(label).replace("%", "%%"), limit=limit)


_lazy_message = lazy(_message, str)


def _int(label, lo: int, hi: int, required: bool = True, **kwargs) -> forms.IntegerField:
    return forms.IntegerField(
        label=label, min_value=lo, max_value=hi, required=required,
        error_messages={"required": _lazy_message(gettext_noop("请填写{label}。"), label),
                        "invalid": _lazy_message(gettext_noop("{label}必须是整数。"), label),
                        "min_value": _lazy_message(gettext_noop("{label}不能小于 {limit}。"), label, f"{lo:,}"),
                        "max_value": _lazy_message(gettext_noop("{label}不能大于 {limit}。"), label, f"{hi:,}")},
        **kwargs)


MAX_FEN = 10**12


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
            raise forms.ValidationError(_("金额格式不对，请填写元，例如 1000 或 1000.50。")) from None
        if fen < 0:
            raise forms.ValidationError(_("金额不能是负数。"))
        if fen > MAX_FEN:
            raise forms.ValidationError(_("金额太大，最多 %(max)s 元。") % {"max": f"{MAX_FEN // 100:,}"})
        return fen


class TierForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput)
    name = forms.CharField(label=_("名称"), max_length=30, error_messages={"required": _("请填写等级名称。")})
    min_spend_fen = YuanField(label=_("近12个月消费(元)"))
    min_orders = _int(_("订单数"), 0, 100_000, required=False)
    min_growth = _int(_("成长值"), 0, 100_000_000, required=False)
    discount_permille = _int(_("折扣‰"), 1, 1000, help_text=_("950 即 95 折，1000 为不打折"))
    points_multiplier_pct = _int(_("积分倍率%"), 0, 1000, help_text=_("150 即 1.5 倍"))
    birthday_gift = forms.CharField(label=_("生日礼"), max_length=100, required=False)
    birthday_points = _int(_("生日积分"), 0, 1_000_000)
    exclusive_service = forms.BooleanField(label=_("专属服务"), required=False)

    @staticmethod
    def initial_for(tier: Tier) -> dict:
        return {"id": tier.pk, **{f: getattr(tier, f) for f in TIER_FIELDS}}


class NewTierForm(TierForm):
    id = None
    code = forms.SlugField(label=_("代码"), max_length=20,
                           help_text=_("英文字母、数字或下划线，例如 platinum"),
                           error_messages={"required": _("请填写等级代码。"),
                                           "invalid": _("代码只能用英文字母、数字、- 或 _。")})
    field_order = ["code", "name"]


TierFormSet = forms.formset_factory(TierForm, extra=0)


class ProgramForm(forms.Form):
    points_per_yuan = _int(_("每消费 1 元得积分"), 0, 1000)
    expiry_policy = forms.ChoiceField(label=_("积分有效期"), choices=list(EXPIRY_POLICIES.items()),
                                      error_messages={"invalid_choice": _("请从列表中选择积分有效期。")})
    expiry_days = _int(_("有效天数"), 1, 3650, help_text=_("仅在“获得后 N 天过期”时使用"))
    checkin_points = _int(_("每日签到积分"), 0, 10_000)
    checkin_streak_bonus = forms.CharField(
        label=_("连续签到奖励"), required=False, max_length=200,
        help_text=_("格式：天数:积分，用逗号分隔，例如 3:5, 7:20"))
    share_points = _int(_("分享得积分"), 0, 10_000)
    share_daily_cap = _int(_("每日分享上限(次)"), 0, 100)
    member_day_weekday = forms.TypedChoiceField(
        label=_("会员日(每周)"), required=False, coerce=int, empty_value=None,
        error_messages={"invalid_choice": _("请从列表中选择会员日。")},
        choices=[("", _("不设置"))] + list(enumerate(WEEKDAYS)))
    member_day_of_month = _int(_("会员日(每月几号)"), 1, 31, required=False,
                               help_text=_("31 号在小月按月末计算"))
    member_day_multiplier_pct = _int(_("会员日积分倍率%"), 100, 1000)
    birthday_month_multiplier_pct = _int(_("生日月积分倍率%"), 100, 1000)
    growth_per_yuan = _int(_("每消费 1 元得成长值"), 0, 1000)
    tier_window_days = _int(_("等级统计周期(天)"), 30, 3650)
    downgrade_grace_days = _int(_("降级宽限期(天)"), 0, 365)
    points_per_yuan_offset = _int(_("多少积分抵 1 元"), 1, 100_000)
    offset_cap_pct = _int(_("积分抵现上限%"), 0, 100)

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
            raise forms.ValidationError(_("“%(part)s”格式不对，应为 天数:积分，例如 7:20。") % {"part": part})
        day, points = int(match[1]), int(match[2])
        if not 1 <= day <= 365:
            raise forms.ValidationError(_("“%(part)s”的天数应在 1 到 365 之间。") % {"part": part})
        if not 1 <= points <= 100_000:
            raise forms.ValidationError(_("“%(part)s”的积分应在 1 到 100,000 之间。") % {"part": part})
        if str(day) in bonus:
            raise forms.ValidationError(_("第 %(day)s 天重复设置了奖励。") % {"day": day})
        bonus[str(day)] = points
    return bonus


_FIELD_LABELS = {name: field.label for form in (NewTierForm, ProgramForm) for name, field in form.base_fields.items()}


def config_error_messages(problem: Problem) -> list[str]:
    """The loyalty settings service's errors, one readable sentence each, in the page's language."""
    messages = []
    for error in problem.extra.get("errors") or []:
        kind, field = error.get("type"), error.get("field") or (error.get("loc") or [""])[-1]
        if kind == "no-threshold":
            messages.append(gettext("「%(tier)s」至少要设置一个门槛（消费、订单数或成长值），否则所有会员都会达到这个等级。")
                            % {"tier": error["tier_name"]})
        elif kind == "threshold-not-higher":
            messages.append(gettext("「%(tier)s」的%(threshold)s门槛应高于「%(below)s」。") % {
                "tier": error["tier_name"], "threshold": THRESHOLDS[field], "below": error["below_name"]})
        elif kind == "threshold-zero":
            messages.append(gettext("「%(tier)s」的%(threshold)s门槛不能为 0（所有会员都会满足），不使用请留空。") % {
                "tier": error["tier_name"], "threshold": THRESHOLDS[field]})
        elif kind == "out-of-range" and field in _FIELD_LABELS:
            messages.append(gettext("%(field)s应在 %(min)s 到 %(max)s 之间。") % {
                "field": _FIELD_LABELS[field], "min": f"{error['min']:,}", "max": f"{error['max']:,}"})
        else:
            messages.append(error.get("msg") or problem.detail)
    return messages or [problem.detail]
