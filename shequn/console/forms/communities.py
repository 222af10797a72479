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


def _group_label(group) -> str:
    return f"{group.name}（{group.store.name}）"


class EntryCodeForm(forms.Form):
    """A new entry code: its groups in order (one row each); with attribute routing a row may be limited
    to members of one store and/or tier. Blank rows are skipped."""

    ROWS = 6

    name = forms.CharField(label=_("名称"), max_length=60)
    routing = forms.ChoiceField(label=_("分配方式"), choices=EntryCode.Routing.choices, initial=EntryCode.Routing.ORDER)
    overflow = forms.ChoiceField(label=_("全部满员时"), choices=EntryCode.Overflow.choices)

    def __init__(self, *args, groups, stores, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(self.ROWS):
            self.fields[f"group_{i}"] = forms.ModelChoiceField(label=_("第 %(n)s 个群") % {"n": i + 1},
                                                               queryset=groups, required=False)
            self.fields[f"store_{i}"] = forms.ModelChoiceField(label=_("限门店"), queryset=stores,
                                                               to_field_name="code", required=False)
            self.fields[f"tier_{i}"] = forms.ModelChoiceField(label=_("限等级"), queryset=tiers,
                                                              to_field_name="code", required=False)
            self.fields[f"group_{i}"].empty_label = _("（不用）")
            self.fields[f"group_{i}"].label_from_instance = _group_label
            self.fields[f"store_{i}"].empty_label = _("任意门店")
            self.fields[f"tier_{i}"].empty_label = _("任意等级")

    def rows(self):
        return [(self[f"group_{i}"], self[f"store_{i}"], self[f"tier_{i}"]) for i in range(self.ROWS)]

    def clean(self):
        data = super().clean()
        slots, seen = [], set()
        for i in range(self.ROWS):
            group, store, tier = data.get(f"group_{i}"), data.get(f"store_{i}"), data.get(f"tier_{i}")
            if group is None:
                if store or tier:
                    self.add_error(f"group_{i}", _("选了门店或等级，也请选一个群。"))
                continue
            if group.pk in seen:
                self.add_error(f"group_{i}", _("同一个群只能出现一次。"))
                continue
            seen.add(group.pk)
            if (store or tier) and data.get("routing") != EntryCode.Routing.ATTRIBUTES:
                self.add_error(f"group_{i}", _("按门店/等级限定时，分配方式请选“按会员门店/等级”。"))
            slots.append({"group_id": group.pk, "store_code": store.code if store else "",
                          "tier_code": tier.code if tier else ""})
        if not slots and not self.errors:
            raise forms.ValidationError(_("请至少选择一个群。"))
        data["slots"] = slots
        return data


class RenameEntryCodeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
