"""消息记录 console: every message with its status, filtered by channel, status, purpose or member."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequn.core.errors import Problem
from shequn.core.pagination import paginate
from shequn.messaging import selectors, sending
from shequn.messaging.models import Channel, Message, Purpose

from ..access import console_view

VIEW, SEND = "messaging.view", "messaging.send"


class LogFilter(forms.Form):
    channel = forms.ModelChoiceField(label=gettext_lazy("渠道"), queryset=Channel.objects.order_by("id"),
                                     required=False, empty_label=gettext_lazy("全部"))
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False,
                               choices=[("", gettext_lazy("全部"))] + list(Message.Status.choices))
    purpose = forms.ChoiceField(label=gettext_lazy("用途"), required=False,
                                choices=[("", gettext_lazy("全部"))] + list(Purpose.choices))
    member_no = forms.CharField(label=gettext_lazy("会员号"), required=False, max_length=20)


@console_view(VIEW)
def message_log(request):
    form = LogFilter(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {}
    channel = d.get("channel")
    qs = selectors.message_log(request.actor, channel_id=channel.pk if channel else None,
                               status=d.get("status", ""), purpose=d.get("purpose", ""),
                               member_no=d.get("member_no", ""))
    rows, next_cursor = paginate(qs, request.GET.get("cursor"), 50)
    return render(request, "console/messaging/log.html", {
        "nav": "messaging_log", "form": form, "rows": rows, "next_cursor": next_cursor,
        "counts": selectors.status_counts(request.actor, channel.pk if channel else None),
        "can_requeue": request.actor.can(SEND)})


@require_POST
@console_view(SEND)
def message_requeue(request, message_id: int):
    message = selectors.get_message(request.actor, message_id)
    try:
        sending.requeue(request.actor, message)
    except Problem:
        messages.error(request, _("只有发送失败的消息可以重新发送。"))
    else:
        messages.success(request, _("已重新排队发送。"))
    return redirect(request.META.get("HTTP_REFERER") or "console:messaging_log")
