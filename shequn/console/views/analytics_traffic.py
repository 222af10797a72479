"""私域流量价值 page: the monthly trend of members × activity × conversion × lifetime value, overall, per store
and per group, every factor shown; each table downloads as Excel or CSV (`?export=xlsx|csv&table=stores`)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.analytics import exports, traffic
from shequn.core.errors import Problem
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..problems import problem_text

TABLES = ("trend", "stores", "groups")


class TrafficForm(forms.Form):
    store = forms.ChoiceField(label=gettext_lazy("门店"), required=False)
    month = forms.CharField(label=gettext_lazy("月份"), required=False, max_length=7)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", gettext_lazy("全部门店"))] + [(s.code, s.name) for s in stores]


def _columns(first: str) -> list[exports.Column]:
    C = exports.Column
    return [C(first, "label" if first == _("月份") else "text"), C(_("会员数"), "int"), C(_("活跃会员"), "int"),
            C(_("活跃率"), "pct"), C(_("购买会员"), "int"), C(_("转化率"), "pct"), C(_("平均终身价值"), "fen"),
            C(_("计入价值的会员"), "int"), C(_("私域流量价值"), "fen")]


def _factors(c: traffic.Cell) -> list:
    return [c.members, c.active, round(c.activity_rate, 4), c.buyers, round(c.conversion_rate, 4), c.avg_ltv_fen,
            c.ltv_members, c.value_fen]


def tables(tv: traffic.TrafficValue, index: int) -> dict[str, exports.Table]:
    month = tv.months[index]
    return {
        "trend": exports.Table("private-traffic-trend", _("私域流量价值趋势"), _columns(_("月份")),
                               [[c.month] + _factors(c) for c in tv.overall]),
        "stores": exports.Table(f"private-traffic-stores-{month}", _("门店私域流量价值"),
                                [exports.Column(_("门店编码"))] + _columns(_("门店")),
                                [[r.key, r.name] + _factors(r.cells[index]) for r in tv.stores]),
        "groups": exports.Table(f"private-traffic-groups-{month}", _("社群私域流量价值"),
                                [exports.Column(_("门店"))] + _columns(_("社群")),
                                [[r.store, r.name] + _factors(r.cells[index]) for r in tv.groups]),
    }


def chart(tv: traffic.TrafficValue) -> dict:
    return {"months": tv.months, "value": [round(c.value_fen / 100, 2) for c in tv.overall],
            "activity": [round(c.activity_rate * 100, 1) for c in tv.overall],
            "conversion": [round(c.conversion_rate * 100, 1) for c in tv.overall],
            "text": {"value": _("私域流量价值（元）"), "rate": _("比率（%）"), "activity": _("活跃率"),
                     "conversion": _("转化率")}}


@console_view("analytics.view")
def traffic_value(request):
    actor = request.actor
    form = TrafficForm(request.GET or None, stores=stores_visible_to(actor))
    error, tv = None, None
    if form.is_bound and not form.is_valid():
        error = _("请选择你负责的门店。")
    else:
        try:
            tv = traffic.traffic_value(actor, store=(form.cleaned_data.get("store") or "") if form.is_bound else "")
        except Problem as problem:
            error = problem_text(problem)
    if tv is None:
        return render(request, "console/analytics/traffic.html", {"form": form, "error": error, "nav": "analytics"},
                      status=400 if error else 200)
    asked = form.cleaned_data.get("month") if form.is_bound else ""
    # By default the last full month: the current one is still running.
    index = tv.months.index(asked) if asked in tv.months else len(tv.months) - 2
    all_tables = tables(tv, index)
    export = request.GET.get("export")
    if export:
        table = all_tables.get(request.GET.get("table", ""))
        if table is None or export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _(
                "没有这个导出：table 可选 %(tables)s，export 可选 xlsx 或 csv。") % {"tables": ", ".join(TABLES)}},
                status=400)
        return exports.response(table, export)
    params = request.GET.copy()
    for key in ("export", "table"):
        params.pop(key, None)
    return render(request, "console/analytics/traffic.html", {
        "form": form, "error": error, "tv": tv, "index": index, "month": tv.months[index],
        "cell": tv.overall[index], "chart": chart(tv), "nav": "analytics", "query": params.urlencode(),
        "stores": [(r, r.cells[index]) for r in tv.stores], "groups": [(r, r.cells[index]) for r in tv.groups],
        "trend": list(reversed(tv.overall)), "current_month": tv.months[-1]})
