"""客群 pages: the list, the builder with a live count (HTMX), a segment's members with export, materialise,
coupon grant and tagging everyone in it."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.analytics.cells import CELLS
from shequn.analytics.segments import actions
from shequn.analytics.segments import services as S
from shequn.analytics.segments import tags as T
from shequn.analytics.segments.api import can_build, export_table
from shequn.analytics.segments.conditions import CHURN_RISKS, InvalidConditions
from shequn.commerce.coupons.models import CouponTemplate
from shequn.communities.models import Group
from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.loyalty.models import Tier
from shequn.members.models import Tag
from shequn.stores.selectors import stores_visible_to

from ...analytics import exports
from .. import segment_rows as R
from ..access import console_view, forbidden
from ..problems import problem_text

RISKS = {"low": gettext_lazy("稳定"), "medium": gettext_lazy("有流失风险"), "high": gettext_lazy("高流失风险")}
PURPOSES = (("marketing", gettext_lazy("营销触达")), ("profiling", gettext_lazy("画像分析")),
            ("third_party", gettext_lazy("第三方共享")))


def options(actor) -> dict:
    """What the value widgets offer: only the actor's stores and groups when store-scoped."""
    groups = Group.objects.filter(archived_at__isnull=True).select_related("store").order_by("store__code", "name")
    if actor.scoped:
        groups = groups.filter(store_id__in=actor.store_ids)
    return {"tiers": list(Tier.objects.values_list("code", "name")),
            "stores": [(s.code, s.name) for s in stores_visible_to(actor)],
            "groups": [(str(g.pk), f"{g.store.name} · {g.name}") for g in groups[:300]],
            "tags": list(Tag.objects.order_by("name").values_list("name", "name")),
            "cells": [(k, str(v)) for k, v in CELLS.items()],
            "risks": [(k, str(RISKS[k])) for k in CHURN_RISKS], "purposes": [(k, str(v)) for k, v in PURPOSES],
            "deciles": [(str(n), str(n)) for n in range(1, 11)], "fields": R.field_choices(), "groups_any": R.GROUPS}


def described_rows(conditions: list, actor) -> list[R.Row]:
    """Rows of saved conditions with their values named (门店 names, tier names, cell labels …)."""
    opt = options(actor)
    names = {k: v for key in ("tiers", "stores", "groups", "cells", "risks", "purposes") for k, v in opt[key]}
    rows = R.from_conditions(conditions)
    for row in rows:
        row.shown = [names.get(v, v) for v in row.values]
    return rows


def _preview_context(request) -> dict:
    rows = R.rows_from_post(request.POST)
    conditions, where = R.to_conditions(rows)
    stores = request.POST.getlist("stores")
    try:
        result = S.preview(conditions, request.actor, stores=stores)
        return {"preview": result, "rows": rows}
    except InvalidConditions as problem:
        loose = R.attach_errors(problem, where)
        return {"preview": None, "errors": loose,
                "row_errors": [(i, r.error) for i, r in enumerate(rows, 1) if r.error]}
    except Problem as problem:
        return {"preview": None, "errors": [problem_text(problem)]}


@console_view("analytics.view")
def segment_list(request):
    segments = S.segments_visible_to(request.actor).prefetch_related("stores")
    return render(request, "console/analytics/segments.html", {
        "segments": segments, "can_build": can_build(request.actor), "nav": "segments"})


@console_view("analytics.view")
def segment_row(request):
    """One condition row for a field (HTMX: adding a row or changing its field)."""
    n = request.GET.get("n", "1")
    row = R.Row(n=int(n) if n.isdigit() else 1, field=request.GET.get("field") or "tier")
    if row.field not in R.FIELDS:
        row.field = "tier"
    row.op = R.FIELDS[row.field].ops[0]
    return render(request, "console/analytics/_segment_row.html", {"row": row, "opt": options(request.actor)})


@console_view("analytics.view")
def segment_preview(request):
    if request.method != "POST":
        return redirect("console:segments")
    return render(request, "console/analytics/_segment_preview.html", _preview_context(request))


@console_view("analytics.view")
def segment_builder(request, segment_id: int | None = None):
    actor = request.actor
    if not can_build(actor):
        return forbidden(request, _("你的角色只能查看客群，不能新建或修改。"))
    segment = S.get_segment(actor, segment_id) if segment_id else None
    errors, form = [], {"name": segment.name if segment else "", "description": segment.description if segment else "",
                        "stores": list(segment.stores.values_list("code", flat=True)) if segment else []}
    rows = R.from_conditions(segment.conditions) if segment else [R.Row(n=1)]
    status = 200
    if request.method == "POST":
        rows = R.rows_from_post(request.POST)
        form = {"name": request.POST.get("name", ""), "description": request.POST.get("description", ""),
                "stores": request.POST.getlist("stores")}
        conditions, where = R.to_conditions(rows)
        try:
            saved = S.save_segment(actor, name=form["name"], description=form["description"], conditions=conditions,
                                   stores=form["stores"], segment=segment)
            messages.success(request, _("客群已保存。点“立即计算”生成会员名单。"))
            return redirect("console:segment_detail", segment_id=saved.pk)
        except InvalidConditions as problem:
            errors = R.attach_errors(problem, where)
        except Problem as problem:
            errors = [problem_text(problem)]
        status = 400
    return render(request, "console/analytics/segment_builder.html", {
        "segment": segment, "form": form, "rows": rows, "next_n": max([r.n for r in rows], default=0) + 1,
        "opt": options(actor), "errors": errors, "nav": "segments", "mode": "segment"}, status=status)


@console_view("analytics.view")
def segment_detail(request, segment_id: int):
    actor = request.actor
    segment = S.get_segment(actor, segment_id)
    export = request.GET.get("export")
    if export:
        if export not in exports.FORMATS:
            return render(request, "console/error.html", {"status": 400, "message": _("导出格式只能是 xlsx 或 csv。")},
                          status=400)
        return exports.response(export_table(segment), export)
    try:
        members, next_cursor = paginate(S.segment_members(segment).select_related("home_store", "loyalty__tier"),
                                        request.GET.get("cursor"), 50)
    except Problem:
        return redirect("console:segment_detail", segment_id=segment.pk)
    return render(request, "console/analytics/segment_detail.html", {
        "segment": segment, "members": members, "next_cursor": next_cursor, "can_build": can_build(actor),
        "rows": described_rows(segment.conditions, actor), "stores": list(segment.stores.all()),
        "templates": CouponTemplate.objects.filter(status="active").order_by("-pk")[:100]
        if actor.can("commerce.campaigns") else [],
        "manual_tags": Tag.objects.filter(rule__isnull=True).order_by("name") if actor.can("members.write") else [],
        "idem": uuid.uuid4().hex, "nav": "segments"})


def _post_action(request, segment_id: int, run):
    if request.method != "POST":
        return redirect("console:segment_detail", segment_id=segment_id)
    segment = S.get_segment(request.actor, segment_id)
    try:
        messages.success(request, run(segment))
    except Problem as problem:
        messages.error(request, problem_text(problem))
    return redirect("console:segment_detail", segment_id=segment.pk)


@console_view("analytics.view")
def segment_materialise(request, segment_id: int):
    if not can_build(request.actor):
        return forbidden(request)

    def run(segment):
        r = S.materialise(segment, request.actor)
        return _("已计算：共 %(count)s 人，新增 %(added)s 人，移出 %(removed)s 人。") % {
            k: f"{v:,}" for k, v in r.items()}
    return _post_action(request, segment_id, run)


@console_view("analytics.view")
def segment_delete(request, segment_id: int):
    if not can_build(request.actor):
        return forbidden(request)
    if request.method == "POST":
        S.delete_segment(request.actor, S.get_segment(request.actor, segment_id))
        messages.success(request, _("客群已删除。"))
    return redirect("console:segments")


@console_view("commerce.campaigns")
def segment_grant(request, segment_id: int):
    def run(segment):
        template = request.POST.get("template", "")
        ref = f"segment:{segment.pk}:{request.POST.get('idem', '')[:40]}"
        r = actions.grant_coupon(request.actor, segment, int(template) if template.isdigit() else 0, ref=ref)
        return _("已发券：发出 %(issued)s 张，已领过 %(already)s 人，达上限 %(over_limit)s 人，"
                 "库存不足 %(sold_out)s 人。") % r
    return _post_action(request, segment_id, run)


@console_view("members.write")
def segment_tag(request, segment_id: int):
    def run(segment):
        tag = T.get_tag(int(request.POST.get("tag") or 0))
        return _("已给 %(n)s 位会员打上“%(tag)s”。") % {"n": f"{T.tag_segment(request.actor, tag, segment):,}",
                                                   "tag": tag.name}
    return _post_action(request, segment_id, run)
