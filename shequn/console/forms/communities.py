"""Community forms: a new group, new rules, a red packet, an entry code."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.communities.models import EntryCode, RedPacket


class GroupForm(forms.Form):
    name = forms.CharField(label=_("群名称"), max_length=60)
    store = forms.ModelChoiceField(label=_("门店"), queryset=None, to_field_name="code")
    dimension = forms.ModelChoiceField(label=_("维度"), queryset=None, required=False)
    capacity = forms.IntegerField(label=_("容量"), min_value=1, max_value=500, initial=200)
    rules_text = forms.CharField(label=_("群规"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                                 max_length=5000)

    def __init__(self, *args, stores, dimensions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores
        self.fields["store"].empty_label = _("请选择门店")
        self.fields["dimension"].queryset = dimensions
        self.fields["dimension"].empty_label = _("不分维度")


class RulesForm(forms.Form):
    text = forms.CharField(label=_("群规"), widget=forms.Textarea(attrs={"rows": 6}), max_length=5000)


class RedPacketForm(forms.Form):
    total_yuan = forms.DecimalField(label=_("总金额（元）"), min_value=0.01, max_value=2000, decimal_places=2)
    count = forms.IntegerField(label=_("份数"), min_value=1, max_value=200)
    mode = forms.ChoiceField(label=_("类型"), choices=RedPacket.Mode.choices, initial=RedPacket.Mode.RANDOM)
    greeting = forms.CharField(label=_("祝福语"), max_length=60, required=False)

    def clean(self):
        data = super().clean()
        total, count = data.get("total_yuan"), data.get("count")
        if total is not None:
            data["total_fen"] = int(total * 100)
            if count and data["total_fen"] < count:
                self.add_error("count", _("每份至少 1 分：份数不能多于总金额的分数。"))
        return data


class EntryCodeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    groups = forms.ModelMultipleChoiceField(label=_("群（按顺序分配）"), queryset=None)
    overflow = forms.ChoiceField(label=_("全部满员时"), choices=EntryCode.Overflow.choices)

    def __init__(self, *args, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups
