"""Group activation from the console: posts, polls and activities (with their check-in QR and
attendance), and the group timeline. The services hold the rules; these views only call them."""

import io

import segno
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from shequn.communities import activities, selectors
from shequn.communities import services as communities
from shequn.core.errors import Problem, ValidationProblem

from ..access import console_view
from ..forms.communities_content import ActivityForm, PollForm, PostForm
from ..problems import problem_text
from .communities import _detail_context
from .communities_sections import timeline_page


def _back(group, anchor: str):
    return redirect(reverse("console:group_detail", args=[group.pk]) + anchor)


def _invalid(request, group, **forms):
    return render(request, "console/communities/group_detail.html", _detail_context(request, group, **forms),
                  status=422)


@console_view("communities.view", write_permission="communities.manage")
def group_post(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    if request.method != "POST":
        return _back(group, "#posts")
    form = PostForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            post = communities.publish_post(request.actor, group, kind=data["kind"], title=data["title"],
                                            body=data["body"], url=data["url"], image_url=data["image_url"],
                                            product_ref=data["product_ref"], scheduled_at=data["scheduled_at"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            if post.published_at is None:
                messages.success(request, _("已安排定时发布 #%(id)s。") % {"id": post.pk})
            else:
                messages.success(request, _("已发布 #%(id)s。") % {"id": post.pk})
            return _back(group, "#posts")
    return _invalid(request, group, post_form=form)


@console_view("communities.view", write_permission="communities.manage")
def group_poll(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    if request.method != "POST":
        return _back(group, "#polls")
    form = PollForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            poll = communities.create_poll(request.actor, group, title=data["title"], options=data["options"],
                                           multiple=data["multiple"], deadline=data["deadline"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已发起投票 #%(id)s。") % {"id": poll.pk})
            return _back(group, "#polls")
    return _invalid(request, group, poll_form=form)


@console_view("communities.view", write_permission="communities.manage")
def group_activity(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    if request.method != "POST":
        return _back(group, "#activities")
    form = ActivityForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            activity = communities.create_activity(
                request.actor, store=group.store, group=group, title=data["title"], kind=data["kind"],
                starts_at=data["starts_at"], ends_at=data["ends_at"], capacity=data["capacity"],
                location=data["location"], description=data["description"])
        except Problem as problem:
            form.add_error(None, problem_text(problem))
        else:
            messages.success(request, _("已创建活动 %(title)s。") % {"title": activity.title})
            # An explicit fragment: the browser would otherwise carry the form's #activities over.
            return redirect(reverse("console:activity_detail", args=[activity.pk]) + "#activity")
    return _invalid(request, group, activity_form=form)


def check_in_url(request, activity) -> str:
    return request.build_absolute_uri(reverse("h5:activity_check_in", args=[activity.checkin_token]))


def check_in_qr_svg(url: str, scale: int = 8) -> str:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


@console_view("communities.view")
def activity_detail(request, activity_id: int):
    activity = activities.get_activity(request.actor, activity_id)
    rows = communities.attendance(activity)
    return render(request, "console/communities/activity.html", {
        "activity": activity, "attendance": rows, "checked_in": sum(1 for r in rows if r["checked_in_at"]),
        "check_in_url": check_in_url(request, activity), "nav": "groups"})


@console_view("communities.view")
def activity_qr(request, activity_id: int):
    activity = activities.get_activity(request.actor, activity_id)
    url = check_in_url(request, activity)
    return render(request, "console/communities/activity_qr.html",
                  {"activity": activity, "check_in_url": url, "qr": check_in_qr_svg(url, scale=10)})


@console_view("communities.view")
def group_timeline(request, group_id: int):
    group = selectors.get_group(request.actor, group_id)
    raw, raw_skip = request.GET.get("before", ""), request.GET.get("skip", "0")
    before = None
    if raw:
        try:
            before = parse_datetime(raw)
        except ValueError:
            before = None
    if (raw and (before is None or before.tzinfo is None)) or not raw_skip.isdigit() or int(raw_skip) > 10_000:
        raise ValidationProblem(_("时间线分页参数无效，请回到群页面重新加载。"), field="before")
    context = {"group": group, **timeline_page(group, before, int(raw_skip))}
    if request.headers.get("HX-Request"):
        return render(request, "console/communities/_timeline_items.html", context)
    return render(request, "console/communities/timeline.html", {**context, "nav": "groups"})
