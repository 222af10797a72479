"""Community console pages: the group matrix, a group's members/rules/red packets, entry codes and posters.
Posts, polls, activities and the timeline live in communities_content."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shequn.communities import selectors
from shequn.communities import services as communities
from shequn.communities.health import metrics_series
from shequn.communities.heatmap import heatmap
from shequn.communities.models import Dimension, GroupDailyMetric, Membership, RedPacket, RedPacketGrab
from shequn.communities.suggestions import accept_suggestion, reject_suggestion, suggestions_visible_to
from shequn.core.errors import Problem
from shequn.loyalty.models import Tier
from shequn.members.models import Member
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.communities import EntryCodeForm, GroupForm, RedPacketForm, RenameEntryCodeForm, RulesForm
from ..problems import problem_text
from .communities_sections import content_context

RED_PACKETS_SHOWN = 20


def health(group, metric: GroupDailyMetric | None) -> str:
    """active: at least a tenth of the members (and 3) active in 7 days; quiet: some activity; dead: none."""
    active = metric.active_members_7d if metric else 0
    if active >= 3 and active * 10 >= group.member_count:
        return "active"
    return "quiet" if active > 0 else "dead"


def _latest_metrics(group_ids) -> dict[int, GroupDailyMetric]:
    latest: dict[int, GroupDailyMetric] = {}
    for metric in GroupDailyMetric.objects.filter(group_id__in=group_ids).order_by("group_id", "-day"):
        latest.setdefault(metric.group_id, metric)
    return latest


@console_view("communities.view", write_permission="communities.manage")
def group_matrix(request):
    actor = request.actor
    stores = stores_visible_to(actor)
    form = GroupForm(request.POST or None, stores=stores, dimensions=Dimension.objects.all())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            group = communities.create_group(actor, name=data["name"], store=data["store"],
                                             capacity=data["capacity"], dimension=data["dimension"],
                                             rules_text=data["rules_text"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已创建社群 %(name)s。") % {"name": group.name})
            return redirect("console:group_detail", group.pk)
    store_code = request.GET.get("store", "")
    wanted_health = request.GET.get("health", "")
    columns = selectors.matrix(actor)
    metrics = _latest_metrics([g.pk for c in columns for g in c["groups"]])
    for column in columns:
        cells = []
        for group in column["groups"]:
            if store_code and group.store.code != store_code:
                continue
            metric = metrics.get(group.pk)
            state = health(group, metric)
            if wanted_health and state != wanted_health:
                continue
            cells.append({"group": group, "metric": metric, "health": state,
                          "fill_pct": round(100 * group.member_count / group.capacity)})
        column["cells"] = cells
    return render(request, "console/communities/matrix.html", {
        "columns": columns, "stores": stores, "store_code": store_code, "wanted_health": wanted_health,
        "form": form, "nav": "groups"})


def _group_context(request, group, **forms) -> dict:
    packets = (RedPacket.objects.filter(group=group)
               .prefetch_related(Prefetch("grabs", RedPacketGrab.objects.select_related("member").order_by("id")))
               [:RED_PACKETS_SHOWN])
    rules = selectors.current_rules(group)
    return {"group": group, "members": selectors.current_members(group), "rules": rules,
            "red_packets": packets, "roles": Membership.Role.choices, "reasons": _removal_reasons(),
            "metric": _latest_metrics([group.pk]).get(group.pk), "nav": "groups",
            "rules_form": forms.get("rules_form") or RulesForm(initial={"text": rules.text if rules else ""}),
            "red_packet_form": forms.get("red_packet_form") or RedPacketForm(),
            **content_context(group, forms)}


def _removal_reasons():
    kept = {"ads", "poaching", "spam", "inactivity", "other"}
    return [(value, label) for value, label in Membership.LeaveReason.choices if value in kept]


WEEKDAYS = [gettext_lazy("周一"), gettext_lazy("周二"), gettext_lazy("周三"), gettext_lazy("周四"),
            gettext_lazy("周五"), gettext_lazy("周六"), gettext_lazy("周日")]


@console_view("communities.view")
def group_detail(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    return render(request, "console/communities/group_detail.html", _detail_context(request, group))


def _detail_context(request, group, **forms) -> dict:
    """Everything the group page shows; a form with errors is shown again inside the whole page."""
    context = _group_context(request, group, **forms)
    days = 90 if request.GET.get("days") == "90" else 30
    series = metrics_series(group, days)
    heat = heatmap(group)
    context.update({
        "health": health(group, context["metric"]), "days": days,
        "chart": {"days": [str(r["day"]) for r in series], "members": [r["members"] for r in series],
                  "active": [r["active_members_7d"] for r in series], "messages": [r["messages"] for r in series],
                  "heat": [[h, w, heat["grid"][w][h]] for w in range(7) for h in range(24)],
                  "weekdays": [str(d) for d in WEEKDAYS]},
        "best_slots": [{"weekday": str(WEEKDAYS[b["weekday"]]), "hour": b["hour"], "count": b["count"]}
                       for b in heat["best"]],
        "suggestions": suggestions_visible_to(request.actor).filter(group=group, status="pending")[:20],
    })
    return context


@console_view("communities.manage")
def suggestion_decide(request, suggestion_id: int):
    if request.method != "POST":
        return redirect("console:groups")
    suggestion = suggestions_visible_to(request.actor).filter(pk=suggestion_id).first()
    if suggestion is None:
        raise Http404
    try:
        if request.POST.get("accept") == "1":
            accept_suggestion(request.actor, suggestion)
        else:
            reject_suggestion(request.actor, suggestion)
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        messages.success(request, _("已处理建议 #%(id)s。") % {"id": suggestion.pk})
    return redirect(reverse("console:group_detail", args=[suggestion.group_id]) + "#suggestions")


@console_view("communities.view", write_permission="communities.manage")
def group_rules(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    form = RulesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rules = communities.set_rules(request.actor, group, form.cleaned_data["text"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("群规已更新为第 %(v)s 版。") % {"v": rules.version})
            return redirect("console:group_detail", group.pk)
    return render(request, "console/communities/group_detail.html",
                  _detail_context(request, group, rules_form=form), status=422 if form.errors else 200)


@console_view("communities.view", write_permission="communities.manage")
def group_red_packet(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    form = RedPacketForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            packet = communities.create_red_packet(request.actor, group, total_fen=data["total_fen"],
                                                   count=data["count"], mode=data["mode"],
                                                   greeting=data["greeting"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已发出红包 #%(id)s。") % {"id": packet.pk})
            return redirect(reverse("console:group_detail", args=[group.pk]) + "#red-packets")
    return render(request, "console/communities/group_detail.html",
                  _detail_context(request, group, red_packet_form=form), status=422 if form.errors else 200)


def _membership_member(group, member_id: int) -> Member:
    membership = selectors.current_members(group).filter(member_id=member_id).first()
    if membership is None:
        raise Http404
    return membership.member


@console_view("communities.view", write_permission="communities.manage")
def member_role(request, group_id: int, member_id: int):
    if request.method != "POST":
        return redirect("console:group_detail", group_id)
    group = selectors.get_group(request.actor, group_id)
    member = _membership_member(group, member_id)
    try:
        if "seed" in request.POST:
            communities.mark_seed(request.actor, group, member, is_seed=request.POST["seed"] == "1")
        else:
            communities.set_role(request.actor, group, member, request.POST.get("role", ""))
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        messages.success(request, _("已更新 %(name)s。") % {"name": member.name or member.member_no})
    return redirect("console:group_detail", group.pk)


@console_view("communities.moderate")
def member_remove(request, group_id: int, member_id: int):
    if request.method != "POST":
        return redirect("console:group_detail", group_id)
    group = selectors.get_group(request.actor, group_id)
    member = _membership_member(group, member_id)
    reason = request.POST.get("reason", "")
    try:
        if request.POST.get("blacklist") == "1":
            communities.blacklist_member(request.actor, member, reason)
        else:
            communities.remove_member(request.actor, group, member, reason=reason,
                                      note=request.POST.get("note", "")[:200])
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        messages.success(request, _("已将 %(name)s 移出。") % {"name": member.name or member.member_no})
    return redirect("console:group_detail", group.pk)


@console_view("communities.view", write_permission="communities.manage")
def entry_codes(request):
    actor = request.actor
    groups = selectors.groups_visible_to(actor).filter(status="active").order_by("store__code", "name")
    form = EntryCodeForm(request.POST or None, groups=groups, stores=stores_visible_to(actor),
                         tiers=Tier.objects.order_by("rank"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            code = communities.create_entry_code(actor, name=data["name"], overflow=data["overflow"],
                                                 routing=data["routing"], slots=data["slots"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已创建活码 %(code)s。") % {"code": code.code})
            return redirect("console:entry_codes")
    codes = list(selectors.entry_codes_visible_to(actor).prefetch_related("slots__store"))
    joins = selectors.entry_code_joins(codes)
    tier_names = dict(Tier.objects.values_list("code", "name"))
    for code in codes:
        code.joins = joins.get(code.pk, {"joined": 0, "current": 0})
        code.slot_rows = [{"slot": s, "tier": tier_names.get(s.tier_code, s.tier_code)} for s in code.slots.all()]
    return render(request, "console/communities/entry_codes.html",
                  {"codes": codes, "form": form, "nav": "entry_codes"},
                  status=422 if form.errors else 200)


@console_view("communities.manage")
def entry_code_active(request, code: str):
    if request.method != "POST":
        return redirect("console:entry_codes")
    entry_code = selectors.get_entry_code(code, request.actor)
    active = request.POST.get("active") == "1"
    communities.set_entry_code_active(request.actor, entry_code, active)
    if active:
        messages.success(request, _("已启用活码 %(name)s。") % {"name": entry_code.name})
    else:
        messages.success(request, _("已停用活码 %(name)s：扫码将提示该码已停用。") % {"name": entry_code.name})
    return redirect("console:entry_codes")


@console_view("communities.manage")
def entry_code_rename(request, code: str):
    if request.method != "POST":
        return redirect("console:entry_codes")
    entry_code = selectors.get_entry_code(code, request.actor)
    form = RenameEntryCodeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("活码名称需要 1 到 60 个字。"))
        return redirect("console:entry_codes")
    try:
        communities.rename_entry_code(request.actor, entry_code, form.cleaned_data["name"])
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        messages.success(request, _("已改名为 %(name)s。") % {"name": entry_code.name})
    return redirect("console:entry_codes")


@console_view("communities.view")
def entry_code_poster(request, code: str):
    entry_code = selectors.get_entry_code(code, request.actor)
    first = entry_code.slots.select_related("group__store").order_by("id").first()
    return render(request, "console/communities/poster.html", {
        "entry_code": entry_code, "group": first.group if first else None,
        "qr": communities.qr_svg(entry_code.code, request.build_absolute_uri("/"), scale=10)})


@console_view("communities.moderate")
def violation_reports(request):
    reports = selectors.reports_visible_to(request.actor)
    status = request.GET.get("status", "pending")
    if status in ("pending", "valid", "invalid"):
        reports = reports.filter(status=status)
    return render(request, "console/communities/reports.html",
                  {"reports": reports[:100], "status": status, "nav": "reports"})


@console_view("communities.moderate")
def violation_report_review(request, report_id: int):
    if request.method != "POST":
        return redirect("console:violation_reports")
    report = selectors.get_report(request.actor, report_id)
    try:
        communities.review_report(request.actor, report, request.POST.get("valid") == "1")
    except Problem as problem:
        messages.error(request, problem_text(problem))
    else:
        messages.success(request, _("已处理举报 #%(id)s。") % {"id": report.pk})
    return redirect("console:violation_reports")
