"""Commerce forms: products with SKUs and member prices, stock moves, order filters, refunds, settings.
Money is typed in yuan (元) and turned into fen here."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shequn.commerce.configuration import LIMITS
from shequn.commerce.models import Order
from shequn.core.money import yuan_to_fen

from .members import new_form_token

__all__ = ["new_form_token"]


class YuanField(forms.CharField):
    """An amount in yuan with at most two decimals (12.3 → 1230 fen)."""

    def __init__(self, *args, min_fen: int = 1, max_fen: int = 10_000_000, **kwargs):
        self.min_fen, self.max_fen = min_fen, max_fen
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}))
        super().__init__(*args, max_length=14, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        if value in ("", None):
            return None
        try:
            fen = yuan_to_fen(value)
        except ValueError:
            raise ValidationError(_("请输入金额，例如 12.80（最多两位小数）。")) from None
        if not self.min_fen <= fen <= self.max_fen:
            raise ValidationError(_("金额需在 %(low)s 到 %(high)s 元之间。") % {
                "low": f"{self.min_fen / 100:.2f}", "high": f"{self.max_fen / 100:,.2f}"})
        return fen


class ProductSearchForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("分类"), required=False)
    status = forms.ChoiceField(label=_("状态"), required=False,
                               choices=[("", _("全部")), ("active", _("在售")), ("inactive", _("已下架"))])

    def __init__(self, *args, categories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("全部分类"))] + [(c, c) for c in categories]


class ProductForm(forms.Form):
    name = forms.CharField(label=_("商品名称"), max_length=100)
    category = forms.CharField(label=_("分类（场景）"), max_length=40, required=False,
                               help_text=_("例如 早餐、宝宝辅食；新名称会自动创建分类"))
    tags = forms.CharField(label=_("标签"), max_length=200, required=False, help_text=_("用逗号或空格分隔"))
    description = forms.CharField(label=_("描述"), max_length=2000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    image_url = forms.CharField(label=_("图片地址"), max_length=300, required=False)

    def clean_tags(self):
        raw = self.cleaned_data["tags"].replace("，", ",").replace(",", " ")
        return [t for t in raw.split() if t]


class SkuRowForm(forms.Form):
    """One SKU row of the new-product form; member price fields are added per tier."""

    code = forms.CharField(label=_("SKU 编码"), max_length=40, required=False)
    spec = forms.CharField(label=_("规格"), max_length=60, required=False)
    price = YuanField(label=_("售价（元）"), required=False)

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        for tier in tiers:
            self.fields[f"tier_{tier.code}"] = YuanField(label=_("%(tier)s价") % {"tier": tier.name}, required=False)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("code") and data.get("price") is None

    def clean(self):
        data = super().clean()
        if data.get("code") and data.get("price") is None:
            self.add_error("price", _("请填写售价。"))
        if data.get("price") is not None and not data.get("code"):
            self.add_error("code", _("请填写 SKU 编码。"))
        return data

    def sku(self) -> dict:
        data = self.cleaned_data
        return {"code": data["code"].strip(), "spec": data["spec"], "price_fen": data["price"],
                "tier_prices": {t.code: data[f"tier_{t.code}"] for t in self.tiers
                                if data.get(f"tier_{t.code}") is not None}}


SKU_ROWS = 4


def sku_rows(data, tiers) -> list[SkuRowForm]:
    rows = [SkuRowForm(data, prefix=f"sku{i}", tiers=tiers) for i in range(SKU_ROWS)]
    for number, row in enumerate(rows, start=1):  # the table shows labels once, in its header
        for field in row.fields.values():
            field.widget.attrs["aria-label"] = f"{field.label} {number}"
    return rows


class PriceForm(forms.Form):
    """List price and member prices of one SKU; an empty member price removes it."""

    price = YuanField(label=_("售价（元）"))

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.tiers = tiers
        for tier in tiers:
            self.fields[f"tier_{tier.code}"] = YuanField(label=_("%(tier)s价") % {"tier": tier.name}, required=False)

    def tier_prices(self) -> dict[str, int]:
        return {t.code: self.cleaned_data.get(f"tier_{t.code}") or 0 for t in self.tiers}


class StockMoveForm(forms.Form):
    """Receive (入库) or adjust (盘点调整) stock of one SKU at one store."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    sku = forms.ChoiceField(label=_("SKU"))
    store = forms.ModelChoiceField(label=_("门店/仓库"), queryset=None, to_field_name="code")
    quantity = forms.IntegerField(label=_("数量"), min_value=-1_000_000, max_value=1_000_000)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)

    def __init__(self, *args, skus, stores, adjust: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.adjust = adjust
        self.fields["sku"].choices = [(s.code, f"{s.code} {s.spec}".strip()) for s in skus]
        self.fields["store"].queryset = stores
        self.fields["store"].empty_label = None
        if adjust:
            self.fields["quantity"].label = _("调整数量")
            self.fields["quantity"].help_text = _("盘盈填正数，盘亏或损耗填负数")
            self.fields["reason"].required = True

    def clean_quantity(self):
        quantity = self.cleaned_data["quantity"]
        if quantity == 0:
            raise ValidationError(_("数量不能为 0。"))
        if not self.adjust and quantity < 1:
            raise ValidationError(_("入库数量至少为 1。"))
        return quantity


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("订单号/会员"), required=False, max_length=40)
    status = forms.ChoiceField(label=_("状态"), required=False)
    store = forms.ChoiceField(label=_("门店"), required=False)
    channel = forms.ChoiceField(label=_("渠道"), required=False)
    date_from = forms.DateField(label=_("下单日期从"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stores, channels, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("全部状态"))] + list(Order.Status.choices)
        self.fields["store"].choices = [("", _("全部门店"))] + [(s.code, s.name) for s in stores]
        self.fields["channel"].choices = [("", _("全部渠道"))] + list(channels)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data


class RefundForm(forms.Form):
    """Refund an amount, or some units of some lines (qty_<line id>), or both."""

    token = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)
    amount = YuanField(label=_("退款金额（元）"), required=False,
                       help_text=_("只退部分商品时可不填，按所选商品的实付金额退"))
    reason = forms.CharField(label=_("退款原因"), max_length=200)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = [ln for ln in lines if ln.quantity > ln.refunded_quantity]
        for line in self.lines:
            left = line.quantity - line.refunded_quantity
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name} {line.spec}".strip(), required=False, min_value=0, max_value=left,
                help_text=_("最多 %(left)s 件") % {"left": left})

    def refund_lines(self) -> list[dict]:
        return [{"line_id": ln.pk, "quantity": self.cleaned_data[f"qty_{ln.pk}"]} for ln in self.lines
                if self.cleaned_data.get(f"qty_{ln.pk}")]


class PickupVerifyForm(forms.Form):
    code = forms.RegexField(label=_("取货码"), regex=r"^\s*\d{8}\s*$", max_length=12,
                            error_messages={"invalid": _("取货码是 8 位数字。")})
    place = forms.ChoiceField(label=_("自提地点"))

    def __init__(self, *args, stores, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].choices = ([(f"store:{s.code}", s.name) for s in stores]
                                        + [(f"point:{p.pk}", f"{p.name}（{_('自提点')}）") for p in points])


class SettingsForm(forms.Form):
    points_per_yuan = forms.IntegerField(label=_("多少积分抵 1 元"), min_value=LIMITS["points_per_yuan"][0],
                                         max_value=LIMITS["points_per_yuan"][1])
    points_offset_max_percent = forms.IntegerField(
        label=_("积分最多抵订单金额的百分比"), min_value=0, max_value=100, help_text=_("0 表示不能用积分抵现"))
    unpaid_timeout_minutes = forms.IntegerField(label=_("未支付自动取消（分钟）"), min_value=1, max_value=1440)
    complete_after_days = forms.IntegerField(label=_("提货/发货后自动完成（天）"), min_value=1, max_value=60)
    delivery_fee = YuanField(label=_("配送费（元）"), min_fen=0, max_fen=LIMITS["delivery_fee_fen"][1])
    free_delivery_from = YuanField(label=_("满多少元免配送费"), min_fen=0,
                                   max_fen=LIMITS["free_delivery_from_fen"][1], help_text=_("0 表示不免配送费"))

    def values(self) -> dict:
        data = self.cleaned_data
        return {"points_per_yuan": data["points_per_yuan"],
                "points_offset_max_percent": data["points_offset_max_percent"],
                "unpaid_timeout_minutes": data["unpaid_timeout_minutes"],
                "complete_after_days": data["complete_after_days"],
                "delivery_fee_fen": data["delivery_fee"], "free_delivery_from_fen": data["free_delivery_from"]}
