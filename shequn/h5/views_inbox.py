"""Member H5: the message centre (站内信) and notification preferences (通知设置)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequn.core.errors import NotFound, Problem
from shequn.core.pagination import paginate
from shequn.members.services import current_consents
from shequn.messaging import consent, inbox, selectors
from shequn.messaging.models import Channel, ChannelOptOut, EmailAddress

from .session import actor_for, member_required

PAGE_SIZE = 20
PREFERENCE_KINDS = [Channel.Kind.SMS, Channel.Kind.EMAIL, Channel.Kind.IN_APP]


@member_required
def inbox_list(request):
    """消息中心: delivered in-app messages, unread first marked."""
    rows, next_cursor = paginate(selectors.inbox(request.member.pk), request.GET.get("cursor"), PAGE_SIZE)
    return render(request, "h5/inbox/list.html", {
        "rows": rows, "next_cursor": next_cursor, "unread": selectors.unread_count(request.member.pk)})


@member_required
def inbox_detail(request, message_id: int):
    try:
        message = inbox.open_message(request.member.pk, message_id)
    except NotFound as exc:
        raise Http404("No such message.") from exc
    return render(request, "h5/inbox/detail.html", {"message": message})


@require_POST
@member_required
def inbox_read_all(request):
    count = inbox.mark_all_read(request.member.pk)
    if count:
        messages.success(request, _("已全部标为已读。"))
    return redirect("h5:inbox")


def _preferences(member) -> dict:
    opted_out = set(ChannelOptOut.objects.filter(member=member).values_list("kind", flat=True))
    email = EmailAddress.objects.filter(member=member).first()
    return {"marketing": current_consents(member)["marketing"],
            "kinds": [{"kind": k.value, "label": k.label, "on": k.value not in opted_out} for k in PREFERENCE_KINDS],
            "email_masked": email.email_masked if email else ""}


@require_http_methods(["GET", "POST"])
@member_required
def preferences(request):
    """通知设置: marketing messages on or off, per channel; service and order notices always arrive."""
    error = ""
    if request.method == "POST":
        actor = actor_for(request)
        try:
            consent.set_marketing(actor, request.member, bool(request.POST.get("marketing")), source="h5_preferences")
            for kind in PREFERENCE_KINDS:
                consent.set_channel_opt_out(actor, request.member, kind, not request.POST.get(f"kind_{kind}"))
            if request.POST.get("email", "").strip() or request.POST.get("remove_email"):
                consent.set_email(actor, request.member, "" if request.POST.get("remove_email")
                                  else request.POST["email"])
        except Problem as problem:
            error = _("请输入正确的邮箱地址。") if problem.type == "invalid-email" else _("保存失败，请重试。")
        else:
            messages.success(request, _("通知设置已保存。"))
            return redirect("h5:notification_preferences")
    return render(request, "h5/inbox/preferences.html", {**_preferences(request.member), "error": error},
                  status=422 if error else 200)
