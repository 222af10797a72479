"""发消息 console: send one message to a member (store managers: members of their stores)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shequn.core.errors import Problem
from shequn.members.selectors import members_visible_to
from shequn.messaging import sending
from shequn.messaging.models import Channel, MessageTemplate, Purpose

from ..access import console_view

SEND = "messaging.send"
REFUSALS = {
    "no-marketing-consent": gettext_lazy(
        "这位会员没有同意营销触达（或关闭了这个渠道），营销消息不能发送；服务通知不受影响。"),
    "no-address": gettext_lazy("这位会员没有这个渠道的联系方式（邮箱或手机号）。"),
    "template-value-missing": gettext_lazy("这位会员缺少模板需要的信息（例如没有可用的优惠券）。"),
    "channel-inactive": gettext_lazy("这个渠道已停用。"),
}


class SendForm(forms.Form):
    member_no = forms.CharField(label=gettext_lazy("会员号"), max_length=20)
    channel = forms.ModelChoiceField(label=gettext_lazy("渠道"), queryset=Channel.objects.filter(
        is_active=True, kind__in=["in_app", "email", "sms"]).order_by("id"))
    template = forms.ModelChoiceField(label=gettext_lazy("模板"), required=False,
                                      queryset=MessageTemplate.objects.filter(is_active=True).select_related("channel"),
                                      help_text=gettext_lazy("选了模板就按模板发送，下面的标题和内容不用填"))
    purpose = forms.ChoiceField(label=gettext_lazy("用途"), choices=Purpose.choices, initial=Purpose.SERVICE)
    subject = forms.CharField(label=gettext_lazy("标题"), max_length=200, required=False)
    body = forms.CharField(label=gettext_lazy("内容"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


@require_http_methods(["GET", "POST"])
@console_view(SEND)
def send_message(request):
    form = SendForm(request.POST or None, initial={"member_no": request.GET.get("member_no", "")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        member = members_visible_to(request.actor).filter(member_no=d["member_no"].strip()).first()
        if member is None:
            form.add_error("member_no", _("找不到这个会员号（或不在你的门店）。"))
        elif d["template"] is None and not d["body"].strip():
            form.add_error("body", _("请选择模板或填写内容。"))
        else:
            try:
                sending.compose(request.actor, channel=d["channel"], member=member, template=d["template"],
                                subject=d["subject"], body=d["body"], purpose=d["purpose"], source="console")
            except Problem as problem:
                text = REFUSALS.get(problem.type) or _("无法发送：%(detail)s") % {"detail": problem.detail}
                form.add_error(None, text)
            else:
                messages.success(request, _("消息已排队发送给 %(name)s。") % {"name": member.name or member.member_no})
                return redirect(f"{request.path}?member_no={member.member_no}")
    return render(request, "console/messaging/send.html", {"nav": "messaging_log", "form": form},
                  status=422 if form.errors else 200)
