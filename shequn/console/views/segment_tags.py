"""标签 page: manual and rule tags with member counts; create a manual tag; build or edit a rule tag with the
same condition builder and live count as segments; evaluate a rule now."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shequn.analytics.segments import tags as T
from shequn.analytics.segments.conditions import InvalidConditions
from shequn.core.errors import Problem

from .. import segment_rows as R
from ..access import console_view, forbidden
from ..problems import problem_text
from .segments import options


@console_view("members.view")
def tag_list(request):
    actor = request.actor
    if request.method == "POST":
        if not actor.can("members.write"):
            return forbidden(request, _("你的角色只能查看，不能修改。"))
        try:
            tag = T.create_tag(actor, request.POST.get("name", ""))
            messages.success(request, _("已新建标签“%(name)s”。") % {"name": tag.name})
        except Problem as problem:
            messages.error(request, problem_text(problem))
        return redirect("console:segment_tags")
    return render(request, "console/analytics/tags.html", {
        "tags": T.tags_with_counts(), "can_rule": actor.can("analytics.run") and not actor.scoped,
        "can_write": actor.can("members.write"), "nav": "segment_tags"})


@console_view("analytics.run")
def tag_rule(request, tag_id: int | None = None):
    """New rule tag (no id) or the rule of an existing tag."""
    actor = request.actor
    if actor.scoped:
        return forbidden(request, _("规则标签作用于全部门店，只有总部角色可以设置。"))
    tag = T.get_tag(tag_id) if tag_id else None
    rule = T.TagRule.objects.filter(tag=tag).first() if tag else None
    rows = R.from_conditions(rule.conditions) if rule else [R.Row(n=1)]
    form, errors, status = {"name": tag.name if tag else ""}, [], 200
    if request.method == "POST":
        rows = R.rows_from_post(request.POST)
        form = {"name": request.POST.get("name", "")}
        conditions, where = R.to_conditions(rows)
        try:
            if tag is None:
                tag = T.create_tag(actor, form["name"], conditions)
            else:
                T.set_rule(actor, tag, conditions)
            rule = T.TagRule.objects.get(tag=tag)
            messages.success(request, _("规则标签“%(name)s”已保存并计算：%(n)s 人。") % {
                "name": tag.name, "n": f"{rule.member_count or 0:,}"})
            return redirect("console:segment_tags")
        except InvalidConditions as problem:
            errors = R.attach_errors(problem, where)
        except Problem as problem:
            errors = [problem_text(problem)]
        status = 400
    return render(request, "console/analytics/segment_builder.html", {
        "tag": tag, "form": form, "rows": rows, "next_n": max([r.n for r in rows], default=0) + 1,
        "opt": options(actor), "errors": errors, "nav": "segment_tags", "mode": "tag"}, status=status)


@console_view("analytics.run")
def tag_evaluate(request, tag_id: int):
    if request.method == "POST":
        rule = T.TagRule.objects.filter(tag=T.get_tag(tag_id)).first()
        if rule is None:
            messages.error(request, _("这是手动标签，没有规则可计算。"))
        else:
            r = T.evaluate(rule, request.actor)
            messages.success(request, _("已重新计算：共 %(count)s 人，新增 %(added)s 人，移出 %(removed)s 人。") % {
                k: f"{v:,}" for k, v in r.items()})
    return redirect("console:segment_tags")
