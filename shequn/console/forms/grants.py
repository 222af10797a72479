from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.loyalty.points import MAX_POINTS_PER_ENTRY

from .members import TokenField


class BulkGrantForm(forms.Form):
    LIST, FILTER = "list", "filter"

    target = forms.ChoiceField(label=_("发放对象"), widget=forms.RadioSelect, initial=LIST,
                               choices=[(LIST, _("按名单（会员号或手机号）")), (FILTER, _("按筛选条件"))])
    members_text = forms.CharField(
        label=_("会员名单"), required=False, max_length=2_000_000,
        widget=forms.Textarea(attrs={"rows": 6,
                                     "placeholder": _("每行一个会员号或手机号，例如\nM00000012\n13800138000")}))
    members_file = forms.FileField(label=_("或上传名单文件 (.csv/.txt)"), required=False)
    tier = forms.ChoiceField(label=_("等级"), required=False,
                             error_messages={"invalid_choice": _("请从列表中选择等级。")})
    store = forms.ChoiceField(label=_("门店"), required=False,
                              error_messages={"invalid_choice": _("请从列表中选择门店。")})
    points = forms.IntegerField(
        label=_("每人积分"), min_value=1, max_value=MAX_POINTS_PER_ENTRY,
        error_messages={"required": _("请填写每人发放的积分。"), "invalid": _("积分必须是整数。"),
                        "min_value": _("积分必须大于 0。"), "max_value": _("每人最多 10,000,000 积分。")})
    reason = forms.CharField(label=_("原因"), max_length=200,
                             error_messages={"required": _("请填写发放原因。")},
                             widget=forms.TextInput(attrs={"placeholder": _("例如：店庆回馈")}))
    token = TokenField()

    def __init__(self, *args, tiers=(), stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("全部等级"))] + [(t.code, t.name) for t in tiers]
        self.fields["store"].choices = [("", _("全部门店"))] + [(s.code, s.name) for s in stores]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请填写发放原因。"))
        return reason

    def clean(self):
        data = super().clean()
        if data.get("target") == self.LIST:
            upload = data.get("members_file")
            if upload is not None:
                raw = upload.read()
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    text = raw.decode("gb18030", errors="replace")
                data["members_text"] = "\n".join(
                    filter(None, [data.get("members_text", ""), text.replace(",", "\n")]))
            if not (data.get("members_text") or "").strip():
                self.add_error("members_text", _("请填写会员名单或上传名单文件。"))
        return data
