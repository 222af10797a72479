"""数据分析 overview page: KPIs against the previous period, trend, cohorts, funnel, group and store tables,
hot products; every table downloads as Excel or CSV (`?export=xlsx|csv&table=cohorts`)."""

from django import forms
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.analytics import exports, overview
from shequn.core.errors import Problem
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..problems import problem_text

RANGES = (("30", gettext_lazy("近 30 天")), ("90", gettext_lazy("近 90 天")), ("365", gettext_lazy("近 365 天")),
          ("custom", gettext_lazy("自定义")))
TABLES = ("kpis", "daily", "cohorts", "funnel", "groups", "stores", "hot")


class OverviewForm(forms.Form):
    range = forms.ChoiceField(label=gettext_lazy("时间"), choices=RANGES, required=False)
    date_from = forms.DateField(label=gettext_lazy("从"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("至"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.ChoiceField(label=gettext_lazy("门店"), required=False)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].choices = [("", gettext_lazy("全部门店"))] + [(s.code, s.name) for s in stores]

    def period_args(self) -> dict:
        data = self.cleaned_data
        if data.get("range") == "custom":
            if not data.get("date_from") or not data.get("date_to"):
                raise forms.ValidationError(_("自定义时间请同时选择开始和结束日期。"))
            return {"date_from": data["date_from"], "date_to": data["date_to"]}
        return {"days": int(data.get("range") or 30)}


def _pct(ratio: float | None) -> float | None:
    return None if ratio is None else round(ratio * 100, 1)


def _change(now: float, before: float) -> float | None:
    return None if not before else round((now - before) / abs(before), 4)


def kpi_cards(ov: overview.Overview) -> list[dict]:
    k, p = ov.kpis, ov.previous
    specs = [
        ("gmv", _("GMV（净额）"), "fen", k.gmv_fen, p.gmv_fen, _("实付金额减退款")),
        ("orders", _("订单数"), "int", k.orders, p.orders, _("付款订单，含导入历史")),
        ("aov", _("客单价"), "fen", k.avg_order_fen, p.avg_order_fen, _("GMV ÷ 订单数")),
        ("members", _("会员数"), "int", k.members, p.members, _("期末会员总数")),
        ("new", _("新增会员"), "int", k.new_members, p.new_members, _("期内入会")),
        ("active", _("活跃会员"), "int", k.active_members, p.active_members, _("期内至少下单一次")),
        ("repurchase", _("复购率"), "pct", k.repurchase_rate, p.repurchase_rate,
         _("两个及以上购买日的会员 ÷ 有购买的会员")),
    ]
    return [{"key": key, "label": label, "kind": kind, "value": value, "previous": before,
             "change": _change(value, before), "change_pct": _pct(_change(value, before)),
             "points": _pct(value - before) if kind == "pct" else None, "hint": hint}
            for key, label, kind, value, before, hint in specs]


def _step_label(step: str) -> str:
    return {"joined": _("入群"), "first_order": _("首单"), "repeat_order": _("复购")}[step]


def tables(ov: overview.Overview, cards: list[dict]) -> dict[str, exports.Table]:
    C = exports.Column
    width = ov.cohort_width
    cohort_cols = [C(_("首购月份")), C(_("人数"), "int")] + [
        C(_("第 %(n)s 月") % {"n": k}, "pct") for k in range(width)]
    hot_items = ov.hot.items if ov.hot else []
    return {
        "kpis": exports.Table("overview-kpis", _("核心指标"),
                              [C(_("指标")), C(_("本期"), "label"), C(_("上期"), "label"), C(_("变化"), "label")],
                              [[c["label"], _plain(c["value"], c["kind"]), _plain(c["previous"], c["kind"]),
                                _change_text(c)] for c in cards]),
        "daily": exports.Table("overview-daily", _("每日趋势"),
                               [C(_("日期")), C(_("GMV"), "fen"), C(_("订单数"), "int")],
                               [[str(d["day"]), d["gmv_fen"], d["orders"]] for d in ov.daily]),
        "cohorts": exports.Table("overview-cohorts", _("月度留存"), cohort_cols,
                                 [[r["month"], r["members"]] + r["rates"] + [None] * (width - len(r["rates"]))
                                  for r in ov.cohorts]),
        "funnel": exports.Table("overview-funnel", _("转化漏斗"),
                                [C(_("环节")), C(_("人数"), "int"), C(_("转化率"), "pct")],
                                [[_step_label(s["step"]), s["members"], s["rate"]] for s in ov.funnel]),
        "groups": exports.Table("overview-groups", _("社群销售"),
                                [C(_("社群")), C(_("门店")), C(_("销售额"), "fen"), C(_("订单数"), "int"),
                                 C(_("购买人数"), "int"), C(_("客单价"), "fen")],
                                [[g["name"], g["store"], g["sales_fen"], g["orders"], g["buyers"], g["avg_order_fen"]]
                                 for g in ov.groups]),
        "stores": exports.Table("overview-stores", _("门店对比"),
                                [C(_("门店编码")), C(_("门店")), C(_("GMV"), "fen"), C(_("订单数"), "int"),
                                 C(_("购买人数"), "int"), C(_("客单价"), "fen"), C(_("新增会员"), "int")],
                                [[s["code"], s["name"], s["gmv_fen"], s["orders"], s["buyers"], s["avg_order_fen"],
                                  s["new_members"]] for s in ov.stores]),
        "hot": exports.Table("overview-hot-products", _("爆品"),
                             [C(_("排名"), "int"), C(_("商品")), C(_("销量"), "int"), C(_("销售额"), "fen"),
                              C(_("占比"), "pct"), C(_("累计占比"), "pct")],
                             [[i.rank, i.name, i.quantity, i.sales_fen, i.share, i.cumulative_share]
                              for i in hot_items]),
    }


def cohort_cells(ov: overview.Overview) -> list[dict]:
    """Cohort rows for the page: each cell the retained share in percent and the members behind it."""
    return [{"month": r["month"], "members": r["members"],
             "cells": [{"pct": round(rate * 100, 1), "n": n}
                       for rate, n in zip(r["rates"], r["retained"], strict=True)],
             "blank": range(ov.cohort_width - len(r["rates"]))} for r in ov.cohorts]


def _change_text(card: dict) -> str:
    """Money and counts change in percent of the previous period; the rate in percentage points."""
    if card["points"] is not None:
        return _("%(n)+.1f 个百分点") % {"n": card["points"]}
    if card["change_pct"] is None:
        return _("无可比")
    return f"{card['change_pct']:+.1f}%"


def _plain(value, kind: str):
    """KPI values in an export: yuan as a string for money, the ratio as a percentage string."""
    if kind == "fen":
        return f"{exports.yuan(value):.2f}"
    if kind == "pct":
        return f"{value * 100:.2f}%"
    return value


def charts(ov: overview.Overview) -> dict:
    return {
        "daily": {"days": [d["day"].strftime("%m-%d") for d in ov.daily],
                  "gmv": [round(d["gmv_fen"] / 100, 2) for d in ov.daily], "orders": [d["orders"] for d in ov.daily]},
        "funnel": [{"name": _step_label(s["step"]), "value": s["members"], "rate": s["rate"]} for s in ov.funnel],
        "groups": {"names": [g["name"] for g in ov.groups],
                   "sales": [round(g["sales_fen"] / 100, 2) for g in ov.groups]},
        "stores": {"names": [s["name"] for s in ov.stores], "gmv": [round(s["gmv_fen"] / 100, 2) for s in ov.stores]},
        "text": {"gmv": _("GMV（元）"), "orders": _("订单数"), "sales": _("销售额（元）")},
    }


def for_period(request, compute):
    """The filter form of the request and `compute(actor, store=…, days=… | date_from=…, date_to=…)` run on
    its period (the last 30 days when nothing is chosen); returns (form, result or None, error text or None)."""
    actor = request.actor
    form = OverviewForm(request.GET or None, stores=stores_visible_to(actor))
    if form.is_bound and not form.is_valid():
        return form, None, _("筛选条件不对：请用日期选择器选择日期，并选择你负责的门店。")
    data = form.cleaned_data if form.is_bound else {}
    try:
        args = form.period_args() if form.is_bound else {"days": 30}
        return form, compute(actor, store=data.get("store") or "", **args), None
    except forms.ValidationError as invalid:
        return form, None, invalid.messages[0]
    except Problem as problem:
        return form, None, (_("开始日期不能晚于结束日期，且最多统计两年。") if problem.type == "invalid-period"
                            else problem_text(problem))


@console_view("dashboard.view")
def analytics_overview(request):
    form, ov, error = for_period(request, overview.overview)
    cards = kpi_cards(ov) if ov else []
    all_tables = tables(ov, cards) if ov else {}
    export = request.GET.get("export")
    if export and ov:
        table = all_tables.get(request.GET.get("table", ""))
        if table is None or export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _(
                "没有这个导出：table 可选 %(tables)s，export 可选 xlsx 或 csv。") % {"tables": ", ".join(TABLES)}},
                status=400)
        return exports.response(table, export)
    status = 400 if error else 200
    return render(request, "console/analytics/overview.html", {
        "form": form, "ov": ov, "error": error, "cards": cards, "charts": charts(ov) if ov else None,
        "query": _query(request), "cohort_cells": cohort_cells(ov) if ov else [], "nav": "analytics"}, status=status)


def _query(request) -> str:
    """The current filters, to carry into the export links."""
    params = request.GET.copy()
    params.pop("export", None)
    params.pop("table", None)
    return params.urlencode()
