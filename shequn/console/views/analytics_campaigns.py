"""活动效果 pages: every campaign's cost against sales, ROI and uplift against its control group (or 无对照组),
a campaign's detail with the two arms, and the section the analytics overview loads (`?fragment=1`).
Tables download as Excel or CSV (`?export=xlsx|csv&table=campaigns`)."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from shequn.analytics import campaigns, exports

from ..access import console_view
from .analytics import for_period

CHART_TOP = 15


def kind_label(kind: str) -> str:
    return {"coupon": _("优惠券"), "flash": _("秒杀"), "team": _("拼团"), "groupbuy": _("社群团购")}[kind]


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}"


def _signed_yuan(fen: float) -> str:
    return f"{'-' if fen < 0 else '+'}¥{abs(fen) / 100:.2f}"


def uplift_text(r: campaigns.CampaignResult) -> dict:
    """The uplift as the page shows it: percentage points and yuan per member, each with its 95% interval."""
    u = r.uplift
    if u is None:
        return {"none": True, "label": _("无对照组")}
    conv_ci = _("%(lo)s ~ %(hi)s 个百分点") % {"lo": _pct(u.conversion_ci[0]), "hi": _pct(u.conversion_ci[1])} \
        if u.conversion_ci else _("样本太少")
    spend_ci = f"¥{u.spend_ci[0] / 100:.2f} ~ ¥{u.spend_ci[1] / 100:.2f}" if u.spend_ci else _("样本太少")
    return {"none": False, "conversion": _("%(n)s 个百分点") % {"n": _pct(u.conversion_diff)}, "conversion_ci": conv_ci,
            "conversion_significant": u.conversion_significant, "spend": _signed_yuan(u.spend_diff),
            "spend_ci": spend_ci, "spend_significant": u.spend_significant,
            "incremental_fen": u.incremental_sales_fen, "treated": u.treated.members, "held_out": u.held_out.members}


def table(rows: list[campaigns.CampaignResult]) -> exports.Table:
    C = exports.Column
    cols = [C(_("活动")), C(_("类型"), "label"), C(_("券归属活动")), C(_("开始"), "label"), C(_("结束"), "label"),
            C(_("成本"), "fen"), C(_("销售额"), "fen"), C(_("订单数"), "int"), C(_("购买人数"), "int"),
            C(_("触达人数"), "int"), C(_("ROI（销售额÷成本）"), "label"), C(_("实验组人数"), "int"),
            C(_("对照组人数"), "int"), C(_("实验组转化率"), "pct"), C(_("对照组转化率"), "pct"),
            C(_("转化率提升（百分点）"), "label"), C(_("人均消费提升（元）"), "label"), C(_("增量销售额"), "fen"),
            C(_("说明"), "label")]
    out = []
    for r in rows:
        u, t = r.uplift, uplift_text(r)
        out.append([r.name, kind_label(r.kind), r.label, r.start.strftime("%Y-%m-%d"),
                    r.end.strftime("%Y-%m-%d") if r.end else "", r.cost_fen, r.sales_fen, r.orders, r.buyers,
                    r.reached, "" if r.roi is None else f"{r.roi:.2f}",
                    u.treated.members if u else None, u.held_out.members if u else None,
                    round(u.treated.conversion, 4) if u else None, round(u.held_out.conversion, 4) if u else None,
                    "" if t["none"] else f"{t['conversion']} ({t['conversion_ci']})",
                    "" if t["none"] else f"{t['spend']} ({t['spend_ci']})", u.incremental_sales_fen if u else None,
                    t["label"] if t["none"] else ""])
    return exports.Table("campaign-results", _("活动效果"), cols, out)


def chart(rows: list[campaigns.CampaignResult]) -> dict:
    top = rows[:CHART_TOP]
    return {"names": [r.name for r in top], "cost": [round(r.cost_fen / 100, 2) for r in top],
            "sales": [round(r.sales_fen / 100, 2) for r in top],
            "text": {"cost": _("成本（元）"), "sales": _("销售额（元）")}}


@console_view("analytics.view")
def campaign_results(request):
    form, found, error = for_period(request, campaigns.results)
    p, rows = found or (None, [])
    export = request.GET.get("export")
    if export and p is not None:
        if request.GET.get("table", "campaigns") != "campaigns" or export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _(
                "没有这个导出：table 只能是 campaigns，export 可选 xlsx 或 csv。")}, status=400)
        return exports.response(table(rows), export)
    params = request.GET.copy()
    for key in ("export", "table", "fragment"):
        params.pop(key, None)
    context = {"form": form, "error": error, "period": p, "rows": [(r, uplift_text(r), kind_label(r.kind))
                                                                   for r in rows],
               "chart": chart(rows), "query": params.urlencode(), "nav": "analytics"}
    if request.GET.get("fragment"):
        return render(request, "console/analytics/_campaigns.html", context, status=400 if error else 200)
    return render(request, "console/analytics/campaigns.html", context, status=400 if error else 200)


@console_view("analytics.view")
def campaign_detail(request, key: str):
    r = campaigns.result(request.actor, key)
    u = r.uplift
    arms = [] if u is None else [(_("实验组（发券）"), u.treated), (_("对照组（未发券）"), u.held_out)]
    if request.GET.get("export") in exports.FORMATS and u is not None:
        C = exports.Column
        t = exports.Table(f"campaign-{r.key}-arms", _("实验组与对照组"),
                          [C(_("组别"), "label"), C(_("人数"), "int"), C(_("购买人数"), "int"), C(_("转化率"), "pct"),
                           C(_("消费合计"), "fen"), C(_("人均消费"), "fen")],
                          [[name, a.members, a.buyers, round(a.conversion, 4), a.spend_fen, round(a.spend_per_member)]
                           for name, a in arms])
        return exports.response(t, request.GET["export"])
    return render(request, "console/analytics/campaign_detail.html", {
        "r": r, "u": u, "text": uplift_text(r), "kind": kind_label(r.kind), "arms": arms, "nav": "analytics"})
