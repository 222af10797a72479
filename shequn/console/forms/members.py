import secrets

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.loyalty.points import MAX_POINTS_PER_ENTRY


def new_form_token() -> str:
    """A one-time token per rendered form: a double submit carries the same token."""
    return secrets.token_hex(16)


class MemberSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label=_("搜索"))
    tier = forms.ChoiceField(required=False, label=_("等级"))
    store = forms.ChoiceField(required=False, label=_("门店"))

    def __init__(self, *args, tiers=(), stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("全部等级"))] + [(t.code, t.name) for t in tiers]
        self.fields["store"].choices = [("", _("全部门店"))] + [(s.code, s.name) for s in stores]


class TokenField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(widget=forms.HiddenInput, min_length=16, max_length=64, **kwargs)
        self.error_messages["required"] = _("表单已过期，请刷新页面后重试。")


class AdjustPointsForm(forms.Form):
    points = forms.IntegerField(
        label=_("积分"), min_value=-MAX_POINTS_PER_ENTRY, max_value=MAX_POINTS_PER_ENTRY,
        help_text=_("正数为增加，负数为扣减"),
        error_messages={"required": _("请填写积分数量。"), "invalid": _("积分必须是整数。"),
                        "min_value": _("单次最多扣减 10,000,000 积分。"),
                        "max_value": _("单次最多增加 10,000,000 积分。")},
        widget=forms.NumberInput(attrs={"placeholder": _("例如 100 或 -50"), "step": 1}))
    reason = forms.CharField(
        label=_("原因"), max_length=200,
        error_messages={"required": _("请填写调整原因。"), "max_length": _("原因最多 200 个字。")},
        widget=forms.TextInput(attrs={"placeholder": _("例如：顾客投诉补偿")}))
    token = TokenField()

    def clean_points(self):
        points = self.cleaned_data["points"]
        if points == 0:
            raise forms.ValidationError(_("积分不能为 0。"))
        return points

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写调整原因。"))
        return reason


class TierChangeForm(forms.Form):
    tier = forms.ChoiceField(label=_("新等级"), error_messages={"required": _("请选择等级。"),
                                                              "invalid_choice": _("没有这个等级。")})
    reason = forms.CharField(label=_("原因"), max_length=150,
                             error_messages={"required": _("请填写调整等级的原因。")},
                             widget=forms.TextInput(attrs={"placeholder": _("例如：大客户特批")}))

    def __init__(self, *args, tiers=(), **kwargs):
        kwargs.setdefault("auto_id", "id_tier_change_%s")  # shares the page with the points form
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [(t.code, t.name) for t in tiers]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写调整等级的原因。"))
        return reason
