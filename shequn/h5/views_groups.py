"""Member H5 group pages: join through an entry code, my groups, the group page and its interactions.

Every write goes through the communities services, which check membership and record the GroupEvent."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequn.communities import selectors, services
from shequn.communities.entry_codes import existing_membership
from shequn.communities.models import (
    Activity,
    ActivitySignup,
    EntryCode,
    Group,
    Membership,
    Poll,
    PollVote,
    Post,
    RedPacket,
    RedPacketGrab,
    Reply,
)
from shequn.communities.reports import REPORT_REASONS
from shequn.core.errors import Problem
from shequn.core.money import format_fen

from .session import actor_for, member_required

POSTS_SHOWN = 30
OPENED_KEY = "h5_red_packet_opened"


def problem_text(problem: Problem) -> str:
    """A readable sentence for a refused group action (service details are for operators)."""
    texts = {
        "all-groups-full": _("这个活码下的群都已满员，请联系门店工作人员为你安排新群。"),
        "group-full": _("该群已满员。"),
        "group-archived": _("该群已停止运营。"),
        "rules-changed": _("群规刚刚更新了，请阅读新的群规后再加入。"),
        "blacklisted": _("抱歉，你的账号因违反群规已被限制加入社群。如有疑问请联系门店。"),
        "entry-code-inactive": _("这个入群码已停用，请向门店索取新的入群码。"),
        "not-a-group-member": _("你不在该群中，无法进行此操作。"),
        "last-admin": _("你是该群唯一的管理员，请先移交管理员后再退群。"),
        "already-grabbed": _("你已经抢过这个红包了。"),
        "red-packet-empty": _("手慢了，红包已被抢完。"),
        "red-packet-expired": _("红包已过期。"),
        "poll-closed": _("投票已截止。"),
        "invalid-vote": _("请选择投票选项。"),
        "activity-full": _("活动名额已满。"),
        "activity-ended": _("活动已结束。"),
        "check-in-closed": _("活动开始前 2 小时至结束前可以签到。"),
        "invalid-report": _("请选择举报的成员和原因。"),
    }
    return texts.get(problem.type, problem.detail)


def _entry_code_or_404(code: str) -> EntryCode:
    entry_code = EntryCode.objects.filter(code=code).first()
    if entry_code is None:
        raise Http404("No such entry code.")
    return entry_code


def _join_context(entry_code: EntryCode, member) -> dict:
    group = services.target_group(entry_code, member)
    opens_new = bool(group and group.member_count >= group.capacity)
    rules = selectors.current_rules(group) if group else None
    return {"entry_code": entry_code, "group": group, "rules": rules, "opens_new": opens_new,
            "admins": list(selectors.group_admins(group)[:3]) if group else [],
            "fill_pct": round(100 * group.member_count / group.capacity) if group else 0}


@require_http_methods(["GET", "POST"])
@member_required
def join(request, code: str):
    """扫码入群: see the group and its rules, accept, join."""
    entry_code = _entry_code_or_404(code)
    member = request.member
    existing = existing_membership(entry_code, member)
    if existing is not None:
        messages.info(request, _("你已经在「%(name)s」里了") % {"name": existing.group.name})
        return redirect("h5:group", group_id=existing.group_id)
    error, status = None, 200
    if request.method == "POST":
        if not request.POST.get("accept"):
            error, status = _("请先阅读并勾选同意群规。"), 400
        else:
            version = request.POST.get("rules_version") or None
            try:
                membership, _created = services.join_via_code(
                    actor_for(request), entry_code, member,
                    accepted_rules_version=int(version) if version and version.isdigit() else None)
            except Problem as problem:
                error, status = problem_text(problem), problem.status
            else:
                messages.success(request, _("欢迎加入「%(name)s」") % {"name": membership.group.name})
                return redirect("h5:group", group_id=membership.group_id)
    context = _join_context(entry_code, member)
    context.update(error=error, blacklisted=selectors.is_blacklisted(member))
    if not entry_code.is_active:
        context["error"], status = problem_text(Problem("", type="entry-code-inactive")), 409
    return render(request, "h5/groups/join.html", context, status=status)


@member_required
def my_groups(request):
    memberships = (Membership.objects.filter(member=request.member, left_at__isnull=True)
                   .select_related("group__store").order_by("-joined_at"))
    open_packets = _open_packets_by_group(request.member)
    rows = [{"membership": m, "group": m.group, "open_packets": open_packets.get(m.group_id, 0)} for m in memberships]
    return render(request, "h5/groups/list.html", {"rows": rows})


def _open_packets_by_group(member) -> dict[int, int]:
    counts: dict[int, int] = {}
    packets = (RedPacket.objects.filter(group__memberships__member=member, group__memberships__left_at__isnull=True,
                                        status=RedPacket.Status.OPEN, expires_at__gt=timezone.now())
               .exclude(grabs__member=member).values_list("group_id", flat=True))
    for group_id in packets:
        counts[group_id] = counts.get(group_id, 0) + 1
    return counts


def _member_group(request, group_id: int) -> tuple[Group, Membership | None]:
    group = get_object_or_404(Group.objects.select_related("store"), pk=group_id)
    return group, selectors.current_membership(group, request.member)


def _poll_view(poll: Poll, member, now) -> dict:
    mine = set(PollVote.objects.filter(poll=poll, member=member).values_list("option_id", flat=True))
    closed = poll.deadline <= now
    return {"poll": poll, "mine": mine, "closed": closed, "show_results": bool(mine) or closed,
            "results": services.poll_results(poll), "options": list(poll.options.all())}


def _packet_view(packet: RedPacket, grab: RedPacketGrab | None, now) -> dict:
    if grab is not None:
        state = "grabbed"
    elif packet.status == RedPacket.Status.EXPIRED or packet.expires_at <= now:
        state = "expired"
    elif packet.remaining_count == 0:
        state = "empty"
    else:
        state = "open"
    return {"packet": packet, "grab": grab, "state": state, "total": format_fen(packet.total_fen),
            "amount": format_fen(grab.amount_fen) if grab else ""}


def _group_content(group: Group, member) -> dict:
    now = timezone.now()
    posts = list(Post.objects.filter(group=group, published_at__isnull=False, published_at__lte=now)
                 .select_related("author_member")
                 .prefetch_related(Prefetch("replies", queryset=Reply.objects.order_by("created_at", "id")))
                 .order_by("-published_at", "-id")[:POSTS_SHOWN])
    polls = {p.post_id: p for p in Poll.objects.filter(post__in=posts).prefetch_related("options")}
    items = []
    for post in posts:
        poll = polls.get(post.pk)
        replies = list(post.replies.all())
        items.append({"post": post, "poll": _poll_view(poll, member, now) if poll else None,
                      "answers": [r for r in replies if r.is_answer or r.staff],
                      "replies": replies})
    my_grabs = {g.red_packet_id: g for g in RedPacketGrab.objects.filter(red_packet__group=group, member=member)}
    packets = [_packet_view(p, my_grabs.get(p.pk), now)
               for p in RedPacket.objects.filter(group=group).order_by("-created_at")[:10]
               if p.pk in my_grabs or p.expires_at > now - timezone.timedelta(days=3)]
    signups = {s.activity_id: s for s in ActivitySignup.objects.filter(activity__group=group, member=member)}
    activities = [{"activity": a, "signup": signups.get(a.pk), "ended": a.ends_at <= now,
                   "full": a.signup_count >= a.capacity}
                  for a in Activity.objects.filter(group=group, ends_at__gt=now - timezone.timedelta(days=7))
                  .order_by("starts_at")[:10]]
    return {"items": items, "packets": packets, "activities": activities,
            "rules": selectors.current_rules(group),
            "report_reasons": [(r, Membership.LeaveReason(r).label) for r in REPORT_REASONS],
            "others": [m for m in selectors.current_members(group).exclude(member=member)[:200]]}


@member_required
def group(request, group_id: int):
    """群主页: only current members see the content."""
    group, membership = _member_group(request, group_id)
    if membership is None:
        return render(request, "h5/groups/not_member.html", {"group": group}, status=403)
    context = {"group": group, "membership": membership, **_group_content(group, request.member)}
    opened = request.session.pop(OPENED_KEY, None)
    if opened:
        grab = RedPacketGrab.objects.filter(pk=opened, member=request.member).select_related("red_packet").first()
        if grab is not None:
            context["opened"] = {"grab": grab, "amount": format_fen(grab.amount_fen),
                                 "greeting": grab.red_packet.greeting}
    return render(request, "h5/groups/group.html", context)


def _back(group_id: int, anchor: str = ""):
    response = redirect("h5:group", group_id=group_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
@member_required
def grab(request, packet_id: int):
    packet = get_object_or_404(RedPacket, pk=packet_id)
    try:
        taken = services.grab_red_packet(actor_for(request), packet.pk, request.member)
    except Problem as problem:
        messages.info(request, problem_text(problem))
    else:
        request.session[OPENED_KEY] = taken.pk
    return _back(packet.group_id, f"rp-{packet.pk}")


@require_POST
@member_required
def vote(request, poll_id: int):
    poll = get_object_or_404(Poll.objects.select_related("post__group"), pk=poll_id)
    chosen = [int(v) for v in request.POST.getlist("option") if v.isdigit()]
    try:
        services.vote(actor_for(request), poll, request.member, chosen)
    except Problem as problem:
        messages.info(request, problem_text(problem))
    else:
        messages.success(request, _("投票成功"))
    return _back(poll.post.group_id, f"post-{poll.post_id}")


@require_POST
@member_required
def sign_up(request, activity_id: int):
    activity = get_object_or_404(Activity, pk=activity_id, group__isnull=False)
    try:
        services.sign_up(actor_for(request), activity, request.member)
    except Problem as problem:
        messages.info(request, problem_text(problem))
    else:
        messages.success(request, _("报名成功，活动当天到场扫码签到"))
    return _back(activity.group_id, f"activity-{activity.pk}")


@require_http_methods(["GET", "POST"])
@member_required
def activity_check_in(request, token: str):
    """到场签到: the venue QR opens this; the member confirms."""
    activity = Activity.objects.select_related("store", "group").filter(checkin_token=token).first()
    if activity is None:
        raise Http404("No activity for this check-in code.")
    signup = ActivitySignup.objects.filter(activity=activity, member=request.member).first()
    error, status = None, 200
    if request.method == "POST":
        try:
            signup = services.check_in_activity(actor_for(request), token, request.member)
        except Problem as problem:
            error, status = problem_text(problem), problem.status
    return render(request, "h5/groups/checkin.html",
                  {"activity": activity, "signup": signup, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def leave(request, group_id: int):
    group, membership = _member_group(request, group_id)
    if membership is None:
        return redirect("h5:my_groups")
    error, status = None, 200
    if request.method == "POST":
        try:
            services.leave_group(actor_for(request), group, request.member)
        except Problem as problem:
            error, status = problem_text(problem), problem.status
        else:
            messages.info(request, _("你已退出「%(name)s」") % {"name": group.name})
            return redirect("h5:my_groups")
    return render(request, "h5/groups/leave.html", {"group": group, "error": error}, status=status)


@require_http_methods(["GET", "POST"])
@member_required
def report(request, group_id: int):
    group, membership = _member_group(request, group_id)
    if membership is None:
        return render(request, "h5/groups/not_member.html", {"group": group}, status=403)
    content = _group_content(group, request.member)
    error, status = None, 200
    form = {"offender": request.POST.get("offender", ""), "reason": request.POST.get("reason", ""),
            "note": request.POST.get("note", "")}
    if request.method == "POST":
        offender = next((m.member for m in content["others"] if str(m.member_id) == form["offender"]), None)
        try:
            if offender is None:
                raise Problem("", type="invalid-report", status=400)
            services.report_violation(actor_for(request), group, request.member, offender, form["reason"],
                                      form["note"])
        except Problem as problem:
            error, status = problem_text(problem), problem.status
        else:
            messages.success(request, _("举报已提交，核实属实后将奖励积分"))
            return redirect("h5:group", group_id=group.pk)
    return render(request, "h5/groups/report.html",
                  {"group": group, "others": content["others"], "reasons": content["report_reasons"],
                   "form": form, "error": error}, status=status)
