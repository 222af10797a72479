"""消息渠道 console: channels and their credentials (secrets never shown again), test sends."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from shequn.core.errors import Problem
from shequn.members.models import Member
from shequn.messaging import selectors, services, testsend
from shequn.messaging.channels import PROVIDER_LABELS, PROVIDERS, spec
from shequn.messaging.links import public_url
from shequn.messaging.models import Channel

from ..access import console_view

VIEW, CONFIGURE = "messaging.view", "messaging.configure"


def channel_types() -> list[dict]:
    return [{"value": f"{kind}:{provider}", "label": Channel.Kind(kind).label
             + (f" · {PROVIDER_LABELS[provider]}" if provider and kind == "sms" else "")}
            for kind, providers in PROVIDERS.items() for provider in providers]


class ChannelForm(forms.Form):
    """Name, on/off, and the settings of one kind of channel; secrets are write-only."""

    name = forms.CharField(label=gettext_lazy("渠道名称"), max_length=60)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)

    def __init__(self, *args, kind: str, provider: str, channel: Channel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.settings_fields = []
        for setting in spec(kind, provider):
            is_set = channel is not None and setting.name in channel.secret_names
            if setting.secret:
                field = forms.CharField(label=setting.label, required=setting.required and not is_set,
                                        widget=forms.PasswordInput(render_value=False, attrs={
                                            "placeholder": _("已设置，留空则不修改") if is_set else "",
                                            "autocomplete": "new-password"}),
                                        help_text=setting.help)
            else:
                initial = (channel.config.get(setting.name) if channel else None) or setting.default
                field = forms.CharField(label=setting.label, required=setting.required, initial=initial,
                                        help_text=setting.help)
            self.fields[f"s_{setting.name}"] = field
            self.settings_fields.append(f"s_{setting.name}")

    def settings(self) -> dict:
        return {name[2:]: self.cleaned_data[name] for name in self.settings_fields
                if self.cleaned_data.get(name) not in (None, "")}


def _apply_problem(form: forms.Form, problem: Problem) -> None:
    field = problem.extra.get("field", "")
    target = f"s_{field}" if f"s_{field}" in form.fields else (field if field in form.fields else None)
    text = _("这一项必填或格式不对。") if target and target != "name" else (
        _("已有同名渠道。") if problem.type == "channel-exists" else problem.detail)
    form.add_error(target, text)


@console_view(VIEW)
def channel_list(request):
    """消息渠道: every channel with its kind, provider and what is set, plus links to add one."""
    return render(request, "console/messaging/channels.html", {
        "nav": "messaging_channels", "channels": selectors.channels(), "types": channel_types(),
        "can_configure": request.actor.can(CONFIGURE)})


@require_http_methods(["GET", "POST"])
@console_view(CONFIGURE)
def channel_new(request):
    kind, _sep, provider = request.GET.get("type", "in_app:").partition(":")
    if kind not in PROVIDERS or provider not in PROVIDERS[kind]:
        return redirect("console:messaging_channels")
    form = ChannelForm(request.POST or None, kind=kind, provider=provider,
                       initial={"name": Channel.Kind(kind).label})
    if request.method == "POST" and form.is_valid():
        try:
            channel = services.create_channel(request.actor, name=form.cleaned_data["name"], kind=kind,
                                              provider=provider, settings=form.settings(),
                                              is_active=form.cleaned_data["is_active"])
        except Problem as problem:
            _apply_problem(form, problem)
        else:
            messages.success(request, _("已添加渠道「%(name)s」。") % {"name": channel.name})
            return redirect("console:messaging_channel", channel_id=channel.pk)
    label = next(t["label"] for t in channel_types() if t["value"] == f"{kind}:{provider}")
    return render(request, "console/messaging/channel_new.html", {
        "nav": "messaging_channels", "form": form, "type_label": label}, status=422 if form.errors else 200)


class TestForm(forms.Form):
    member_no = forms.CharField(label=gettext_lazy("会员号"), max_length=20, required=False)
    address = forms.CharField(label=gettext_lazy("或直接填写地址"), max_length=120, required=False,
                              help_text=gettext_lazy("邮箱或手机号"))
    subject = forms.CharField(label=gettext_lazy("标题"), max_length=200, required=False)
    body = forms.CharField(label=gettext_lazy("内容"), widget=forms.Textarea(attrs={"rows": 3}),
                           initial=gettext_lazy("这是一条测试消息。"))


def _detail(request, channel: Channel, form: ChannelForm, test_form: TestForm, status: int = 200):
    return render(request, "console/messaging/channel_detail.html", {
        "nav": "messaging_channels", "channel": channel, "form": form, "test_form": test_form,
        "can_configure": request.actor.can(CONFIGURE), "counts": selectors.status_counts(request.actor, channel.pk),
        "recent": selectors.message_log(request.actor, channel_id=channel.pk)[:10],
        "callback_url": public_url(f"/hooks/sms/{channel.callback_token}/") if channel.kind == "sms" else "",
        "templates": selectors.templates(channel.pk)}, status=status)


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CONFIGURE)
def channel_detail(request, channel_id: int):
    channel = selectors.get_channel(channel_id)
    form = ChannelForm(request.POST or None, kind=channel.kind, provider=channel.provider, channel=channel,
                       initial={"name": channel.name, "is_active": channel.is_active})
    if request.method == "POST" and form.is_valid():
        try:
            services.update_channel(request.actor, channel, name=form.cleaned_data["name"],
                                    settings=form.settings(), is_active=form.cleaned_data["is_active"])
        except Problem as problem:
            _apply_problem(form, problem)
        else:
            messages.success(request, _("渠道设置已保存。"))
            return redirect("console:messaging_channel", channel_id=channel.pk)
    return _detail(request, channel, form, TestForm(), status=422 if form.errors else 200)


@require_POST
@console_view(CONFIGURE)
def channel_test(request, channel_id: int):
    """测试发送: deliver one service message now and show what the channel answered."""
    channel = selectors.get_channel(channel_id)
    test_form = TestForm(request.POST)
    if test_form.is_valid():
        d = test_form.cleaned_data
        member = None
        if d["member_no"].strip():
            member = Member.objects.filter(member_no=d["member_no"].strip()).first()
            if member is None:
                test_form.add_error("member_no", _("找不到这个会员号。"))
        if not test_form.errors:
            try:
                message = testsend.send_test(request.actor, channel, member=member, address=d["address"],
                                             subject=d["subject"], body=d["body"])
            except Problem as problem:
                test_form.add_error(None, _("无法发送：%(detail)s") % {"detail": problem.detail})
            else:
                if message.status in ("sent", "delivered"):
                    status = message.get_status_display()
                    messages.success(request, _("测试消息已发出（%(status)s）。") % {"status": status})
                else:
                    messages.error(request, _("测试发送失败：%(error)s") % {"error": message.error})
                return redirect("console:messaging_channel", channel_id=channel.pk)
    form = ChannelForm(kind=channel.kind, provider=channel.provider, channel=channel,
                       initial={"name": channel.name, "is_active": channel.is_active})
    return _detail(request, channel, form, test_form, status=422)
