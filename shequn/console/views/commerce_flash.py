"""Flash sale console (秒杀): sales with live remaining, a new sale, a sale's totals and per-member figures
(refreshed every few seconds while it runs), and stopping a sale."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce.flash import selectors, services
from shequn.commerce.models import Sku
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.commerce import YuanField
from ..forms.communities_content import local_datetime

VIEW, CAMPAIGNS = "commerce.view", "commerce.campaigns"
PHASE_CLASS = {"upcoming": "pending", "live": "running", "sold_out": "done", "ended": "inactive",
               "cancelled": "failed"}
PHASE_LABEL = {"upcoming": gettext_lazy("未开始"), "live": gettext_lazy("抢购中"), "sold_out": gettext_lazy("已抢光"),
               "ended": gettext_lazy("已结束"), "cancelled": gettext_lazy("已取消")}


class SaleForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("活动名称"), max_length=60)
    sku = forms.CharField(label=gettext_lazy("SKU 编码"), max_length=40)
    store = forms.ModelChoiceField(label=gettext_lazy("库存门店/仓库"), queryset=None)
    flash_price = YuanField(label=gettext_lazy("秒杀价（元）"))
    quantity = forms.IntegerField(label=gettext_lazy("秒杀数量"), min_value=1, max_value=100_000)
    per_member_limit = forms.IntegerField(label=gettext_lazy("每人限购"), min_value=1, max_value=99, initial=1)
    starts_at = local_datetime(gettext_lazy("开始时间"))
    ends_at = local_datetime(gettext_lazy("结束时间"))

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores_visible_to(actor).filter(is_active=True)

    def clean_sku(self):
        sku = Sku.objects.select_related("product").filter(code=self.cleaned_data["sku"].strip()).first()
        if sku is None:
            raise forms.ValidationError(_("没有这个 SKU。"))
        return sku


def _row(sale) -> dict:
    phase = selectors.phase(sale)
    return {"sale": sale, "phase": phase, "phase_label": PHASE_LABEL[phase], "phase_class": PHASE_CLASS[phase],
            "sold_pct": round(100 * (sale.quantity - sale.remaining) / sale.quantity)}


def _list(request, form: SaleForm, status: int = 200):
    rows, next_cursor = paginate(selectors.sales_visible_to(request.actor), request.GET.get("cursor"), 30)
    return render(request, "console/commerce/flash.html", {
        "nav": "commerce_flash", "rows": [_row(s) for s in rows], "next_cursor": next_cursor, "form": form,
        "can_edit": request.actor.can(CAMPAIGNS)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CAMPAIGNS)
def sale_list(request):
    """秒杀活动: every sale with its remaining allotment, and a form for a new one."""
    actor = request.actor
    if request.method != "POST":
        return _list(request, SaleForm(actor=actor))
    form = SaleForm(request.POST, actor=actor)
    if form.is_valid():
        data = form.cleaned_data
        try:
            sale = services.create_sale(
                actor, title=data["title"], sku=data["sku"], store=data["store"],
                flash_price_fen=data["flash_price"], quantity=data["quantity"],
                per_member_limit=data["per_member_limit"], starts_at=data["starts_at"], ends_at=data["ends_at"])
        except Problem as problem:
            form.add_error(None, _("秒杀设置有误：%(detail)s") % {"detail": problem.detail})
        else:
            messages.success(request, _("已创建秒杀「%(title)s」。") % {"title": sale.title})
            return redirect("console:commerce_flash_sale", sale_id=sale.pk)
    return _list(request, form, status=422)


def _detail_context(request, sale_id: int) -> dict:
    sale = selectors.get_sale(request.actor, sale_id)
    return {"nav": "commerce_flash", **_row(sale), "stats": selectors.sale_stats(sale),
            "buyers": selectors.member_stats(sale), "can_edit": request.actor.can(CAMPAIGNS)}


@console_view(VIEW)
def sale_detail(request, sale_id: int):
    return render(request, "console/commerce/flash_sale.html", _detail_context(request, sale_id))


@console_view(VIEW)
def sale_live(request, sale_id: int):
    """The live part of the sale page (remaining, totals, buyers); polled while the sale runs."""
    return render(request, "console/commerce/flash_live.html", _detail_context(request, sale_id))


@require_POST
@console_view(VIEW, write_permission=CAMPAIGNS)
def sale_cancel(request, sale_id: int):
    sale = services.cancel_sale(request.actor, selectors.get_sale(request.actor, sale_id))
    messages.success(request, _("秒杀「%(title)s」已停止，已下的订单不受影响。") % {"title": sale.title})
    return redirect("console:commerce_flash_sale", sale_id=sale.pk)
