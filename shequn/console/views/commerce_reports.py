"""爆品 report page: products ranked by net sales in a period, with a Pareto chart."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.commerce import reports
from shequn.core.errors import Problem
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from .commerce import commerce_problem_text

CHART_BARS = 30


class HotProductsForm(forms.Form):
    store = forms.ChoiceField(label=gettext_lazy("门店"), required=False)
    date_from = forms.DateField(label=gettext_lazy("从"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", gettext_lazy("全部门店"))] + [(s.code, s.name) for s in stores]


@console_view("commerce.view")
def hot_products(request):
    actor = request.actor
    form = HotProductsForm(request.GET or None, stores=stores_visible_to(actor))
    data = form.cleaned_data if form.is_valid() else {}
    report, error = None, None
    try:
        report = reports.hot_products(actor, store=data.get("store") or "", date_from=data.get("date_from"),
                                      date_to=data.get("date_to"), limit=200)
    except Problem as problem:
        error = _("开始日期不能晚于结束日期，且最多统计两年。") if problem.type == "invalid-period" \
            else commerce_problem_text(problem)
    chart = None
    if report and report.items:
        top = report.items[:CHART_BARS]
        chart = {"names": [i.name for i in top], "sales": [round(i.sales_fen / 100, 2) for i in top],
                 "cumulative": [round(i.cumulative_share * 100, 1) for i in top], "hot": [i.is_hot for i in top],
                 "text": {"sales": _("销售额（元）"), "cumulative": _("累计占比"), "line": _("80% 线")}}
    days = (report.date_to - report.date_from).days + 1 if report else 0
    return render(request, "console/commerce/hot_products.html", {
        "form": form, "report": report, "error": error, "chart": chart, "days": days,
        "nav": "commerce_hot"})
