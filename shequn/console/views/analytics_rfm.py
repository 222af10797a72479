"""RFM 客群 and 流失挽回 pages: the cells of a run, movement since the previous run of the same scope, a cell's
members; the members of the latest lifetime-value run at risk of churning, most valuable first. Every table
downloads as Excel or CSV (`?export=xlsx|csv&table=...`)."""

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.analytics import exports
from shequn.analytics.cells import CELLS
from shequn.analytics.rfm_store import (
    CELL_ORDER,
    cell_members,
    cell_rows,
    cell_scores,
    direction,
    get_run,
    movement_rows,
    previous_run,
    runs_visible_to,
)
from shequn.core import clock
from shequn.core.errors import Problem
from shequn.stores.models import Store
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..problems import problem_text

C = exports.Column
PAGE_SIZE = 50


class RunForm(forms.Form):
    as_of = forms.DateField(label=gettext_lazy("统计日期"),
                            widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    store = forms.ChoiceField(label=gettext_lazy("门店"), required=False)

    def __init__(self, *args, stores, scoped, **kwargs):
        super().__init__(*args, **kwargs)
        overall = [] if scoped else [("", gettext_lazy("全部门店"))]
        self.fields["store"].choices = overall + [(s.code, s.name) for s in stores]


def _scope(request, stores) -> str:
    """The store code in view ("" for overall); a store manager always looks at one of their stores."""
    code = request.GET.get("store", "")
    codes = [s.code for s in stores]
    if request.actor.scoped and code not in codes:
        return codes[0] if codes else ""
    return code if code in codes else ""


@console_view("analytics.view", write_permission="analytics.run")
def rfm_page(request):
    actor = request.actor
    stores = list(stores_visible_to(actor).filter(kind=Store.Kind.STORE).order_by("code"))  # not warehouses
    if request.method == "POST":
        return _run_now(request, stores)
    run_id = request.GET.get("run", "")
    run = get_run(actor, int(run_id)) if run_id.isdigit() else None
    scope = (run.store.code if run.store_id else "") if run else _scope(request, stores)
    runs = runs_visible_to(actor).filter(**({"store__code": scope} if scope else {"store__isnull": True}))
    run = run or runs.first()
    context = {"nav": "analytics", "stores": stores, "scope": scope, "runs": runs[:60], "run": run,
               "form": RunForm(initial={"as_of": clock.local_date() - dt.timedelta(days=1), "store": scope},
                               stores=stores, scoped=actor.scoped)}
    if run is None:
        return render(request, "console/analytics/rfm.html", context)
    previous = previous_run(run)
    cells, flows = cell_rows(run), movement_rows(run, previous)
    cell = request.GET.get("cell") or None
    page = request.GET.get("page", "1")
    members = cell_members(run, cell, page=int(page) if page.isdigit() and int(page) > 0 else 1,
                           page_size=PAGE_SIZE) if cell else None
    export = request.GET.get("export")
    if export:
        table = {"cells": lambda: _cells_table(run, cells), "movement": lambda: _movement_table(run, flows),
                 "members": lambda: _members_table(run, cell)}.get(request.GET.get("table", ""))
        if table is None or export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _(
                "没有这个导出：table 可选 cells、movement、members，export 可选 xlsx 或 csv。")}, status=400)
        return exports.response(table(), export)
    top = max((c["avg_monetary_fen"] for c in cells), default=0)
    for c in cells:
        c["heat"] = round(100 * c["avg_monetary_fen"] / top) if top else 0
    context.update(previous=previous, cell_rows=cells, matrix=_matrix(flows), cell=cell, members=members,
                   cell_label=CELLS[cell] if cell else "",
                   query=_query(request), moved=sum(f["members"] for f in flows if f["direction"] in ("up", "down")),
                   upgrades=sum(f["members"] for f in flows if f["direction"] == "up"),
                   downgrades=sum(f["members"] for f in flows if f["direction"] == "down"))
    return render(request, "console/analytics/rfm.html", context)


def _run_now(request, stores):
    form = RunForm(request.POST, stores=stores, scoped=request.actor.scoped)
    base = reverse("console:analytics_rfm")
    if not form.is_valid():
        messages.error(request, _("请用日期选择器选择统计日期，并选择你负责的门店。"))
        return redirect(f"{base}?{urlencode({'store': request.POST.get('store', '')})}")
    store = form.cleaned_data["store"] or None
    try:
        from shequn.analytics.rfm import run_rfm  # loads the analytics engines only when a run is asked for

        summary = run_rfm("duckdb", form.cleaned_data["as_of"], store, actor=request.actor)
    except Problem as problem:
        messages.error(request, problem_text(problem))
        return redirect(f"{base}?{urlencode({'store': store or ''})}")
    messages.success(request, _("已完成 %(day)s 的 RFM 计算：%(n)s 位会员。") % {
        "day": summary["as_of"], "n": summary["members"]})
    return redirect(f"{base}?{urlencode({'store': store or '', 'run': summary['run_id']})}")


def _matrix(flows: list[dict]) -> dict:
    """From-cell rows × to-cell columns (most valuable first; None: newly scored / no longer scored)."""
    counts = {(f["from_cell"], f["to_cell"]): f["members"] for f in flows}
    order = [*CELL_ORDER, None]
    rows = []
    for src in order:
        row = [{"n": counts.get((src, dst), 0), "direction": direction(src, dst) if src or dst else ""}
               for dst in order]
        if any(x["n"] for x in row):
            rows.append({"cell": src, "label": CELLS[src] if src else _("新进入"), "counts": row,
                         "total": sum(x["n"] for x in row)})
    columns = [{"cell": dst, "label": CELLS[dst] if dst else _("流出")} for dst in order]
    return {"rows": rows, "columns": columns}


def _cells_table(run, cells) -> exports.Table:
    return exports.Table(f"rfm-{run.as_of}-cells", _("RFM 客群"),
                         [C(_("客群")), C(_("人数"), "int"), C(_("占比"), "pct"), C(_("平均净消费"), "fen")],
                         [[c["label"], c["members"], c["share"], c["avg_monetary_fen"]] for c in cells])


def _movement_table(run, flows) -> exports.Table:
    def name(cell, none):
        return str(CELLS[cell]) if cell else none

    return exports.Table(f"rfm-{run.as_of}-movement", _("客群迁移"),
                         [C(_("原客群"), "label"), C(_("现客群"), "label"), C(_("人数"), "int"), C(_("变化"), "label")],
                         [[name(f["from_cell"], _("新进入")), name(f["to_cell"], _("流出")), f["members"],
                           _direction_label(f["direction"])] for f in flows])


def _direction_label(value: str) -> str:
    return {"up": _("升级"), "down": _("降级"), "same": _("不变"), "in": _("新进入"), "out": _("流出")}[value]


def _members_table(run, cell) -> exports.Table:
    rows = [[s.member.member_no, s.member.name, s.member.home_store.code if s.member.home_store_id else "",
             str(CELLS[s.cell]), s.recency_days, s.frequency, s.monetary_fen, s.r_score, s.f_score, s.m_score]
            for s in cell_scores(run, cell).iterator(chunk_size=2000)]
    return exports.Table(f"rfm-{run.as_of}-{cell or 'all'}", _("客群会员"),
                         [C(_("会员号")), C(_("姓名")), C(_("门店")), C(_("客群"), "label"), C(_("距今天数"), "int"),
                          C(_("购买天数"), "int"), C(_("净消费"), "fen"), C("R", "int"), C("F", "int"), C("M", "int")],
                         rows)


def _query(request) -> str:
    params = request.GET.copy()
    for key in ("export", "table", "page"):
        params.pop(key, None)
    return params.urlencode()


RISKS = {"": ("high", "medium"), "high": ("high",), "medium": ("medium",)}


@console_view("analytics.view")
def winback_page(request):
    """流失挽回: members of a lifetime-value run at high or medium churn risk, highest 12-month value first."""
    from shequn.analytics.clv.scoring import win_back
    from shequn.analytics.models import ClvRun

    actor = request.actor
    runs = ClvRun.objects.select_related("store").order_by("-created_at", "-id")
    runs = runs.filter(store_id__in=actor.store_ids) if actor.scoped else runs
    run_id = request.GET.get("run", "")
    run = runs.filter(pk=int(run_id)).first() if run_id.isdigit() else runs.first()
    context = {"nav": "analytics", "runs": runs[:30], "run": run, "risk": request.GET.get("risk", "")}
    if run is None:
        return render(request, "console/analytics/winback.html", context)
    values = win_back(run, risks=RISKS.get(context["risk"], RISKS[""]), limit=None, by="value")
    rfm_run = runs_visible_to(actor).filter(store_id=run.store_id).first()
    export = request.GET.get("export")
    if export:
        if export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _(
                "没有这个导出：export 可选 xlsx 或 csv。")}, status=400)
        return exports.response(_winback_table(run, values, rfm_run), export)
    total = values.count()
    pages = max(1, -(-total // PAGE_SIZE))
    page = request.GET.get("page", "1")
    page = min(int(page), pages) if page.isdigit() and int(page) > 0 else 1
    shown = list(values[(page - 1) * PAGE_SIZE:page * PAGE_SIZE])
    cells = _rfm_cells(rfm_run, [v.member_id for v in shown])
    for v in shown:
        v.rfm_cell = cells.get(v.member_id)
    context.update(values=shown, total=total, page=page, pages=pages, rfm_run=rfm_run, query=_query(request),
                   prev_page=page - 1 if page > 1 else None, next_page=page + 1 if page < pages else None)
    return render(request, "console/analytics/winback.html", context)


def _rfm_cells(rfm_run, member_ids) -> dict[int, str]:
    from shequn.analytics.models import RfmScore

    if rfm_run is None:
        return {}
    found = RfmScore.objects.filter(run=rfm_run, member_id__in=member_ids).values_list("member_id", "cell")
    return {member_id: str(CELLS[cell]) for member_id, cell in found}


def _winback_table(run, values, rfm_run) -> exports.Table:
    rows = []
    for start in range(0, values.count(), 2000):
        chunk = list(values[start:start + 2000])
        cells = _rfm_cells(rfm_run, [v.member_id for v in chunk])
        rows += [[v.member.member_no, v.member.name, v.get_churn_risk_display(), v.clv_12m_fen, v.value_decile,
                  round(v.p_alive, 4), v.days_since_last, v.frequency + 1, cells.get(v.member_id, "")]
                 for v in chunk]
    return exports.Table(f"win-back-{run.calibration_end}", _("流失挽回"),
                         [C(_("会员号")), C(_("姓名")), C(_("流失风险"), "label"), C(_("未来 12 个月价值"), "fen"),
                          C(_("价值十分位"), "int"), C(_("存活概率"), "pct"), C(_("距上次购买天数"), "int"),
                          C(_("购买天数"), "int"), C(_("RFM 客群"), "label")], rows)
