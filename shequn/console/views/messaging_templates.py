"""消息模板 console: templates per channel and purpose, edit with variable checks, preview with a member."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from shequn.core.errors import Problem
from shequn.members.selectors import members_visible_to
from shequn.messaging import previews, selectors, services
from shequn.messaging.models import Channel, MessageTemplate, Purpose
from shequn.messaging.templating import VARIABLES

from ..access import console_view

VIEW, CONFIGURE = "messaging.view", "messaging.configure"


class TemplateForm(forms.Form):
    channel = forms.ModelChoiceField(label=gettext_lazy("渠道"), queryset=Channel.objects.order_by("id"))
    name = forms.CharField(label=gettext_lazy("模板名称"), max_length=80)
    purpose = forms.ChoiceField(label=gettext_lazy("用途"), choices=Purpose.choices,
                                help_text=gettext_lazy("营销消息只发给当前同意营销触达的会员"))
    subject_zh = forms.CharField(label=gettext_lazy("标题（中文）"), max_length=200, required=False)
    body_zh = forms.CharField(label=gettext_lazy("正文（中文）"), widget=forms.Textarea(attrs={"rows": 5}))
    subject_en = forms.CharField(label=gettext_lazy("标题（英文）"), max_length=200, required=False)
    body_en = forms.CharField(label=gettext_lazy("正文（英文）"), widget=forms.Textarea(attrs={"rows": 5}),
                              required=False)
    provider_template_code = forms.CharField(label=gettext_lazy("短信服务商模板编号"), max_length=40,
                                             required=False,
                                             help_text=gettext_lazy("阿里云 / 腾讯云短信必填，如 SMS_154950909"))
    track_links = forms.BooleanField(label=gettext_lazy("链接自动转为可追踪短链"), required=False, initial=True)
    is_active = forms.BooleanField(label=gettext_lazy("启用"), required=False, initial=True)


def _save(request, form: TemplateForm, template: MessageTemplate | None):
    d = form.cleaned_data
    try:
        return services.save_template(
            request.actor, template=template, channel=d["channel"], name=d["name"], purpose=d["purpose"],
            subject_zh=d["subject_zh"], body_zh=d["body_zh"], subject_en=d["subject_en"], body_en=d["body_en"],
            provider_template_code=d["provider_template_code"], track_links=d["track_links"],
            is_active=d["is_active"])
    except Problem as problem:
        field = problem.extra.get("field")
        if problem.type == "unknown-template-variables":
            text = _("不认识的变量：%(names)s。可用变量见右侧列表。") % {"names": "、".join(problem.extra["unknown"])}
        elif problem.type == "invalid-template-syntax":
            text = _("变量请写成 {{ member.name }} 的形式，不支持其他花括号写法。")
        elif problem.type == "template-exists":
            text = _("这个渠道已有同名模板。")
        else:
            text = _("请填写这一项。")
        form.add_error(field if field in form.fields else None, text)
        return None


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CONFIGURE)
def template_list(request):
    channel_id = request.GET.get("channel")
    channel_id = int(channel_id) if channel_id and channel_id.isdigit() else None
    default_channel = channel_id or Channel.objects.order_by("id").values_list("pk", flat=True).first()
    form = TemplateForm(request.POST or None, initial={"channel": default_channel})
    if request.method == "POST" and form.is_valid():
        template = _save(request, form, None)
        if template is not None:
            messages.success(request, _("已创建模板「%(name)s」。") % {"name": template.name})
            return redirect("console:messaging_template", template_id=template.pk)
    return render(request, "console/messaging/templates.html", {
        "nav": "messaging_templates", "rows": selectors.templates(channel_id), "form": form,
        "variables": VARIABLES, "can_configure": request.actor.can(CONFIGURE)},
        status=422 if form.errors else 200)


def _preview(request, template: MessageTemplate) -> dict:
    member_no = request.GET.get("member_no", "").strip()
    if not member_no:
        return {"member_no": ""}
    member = members_visible_to(request.actor).filter(member_no=member_no).first()
    if member is None:
        return {"member_no": member_no, "error": _("找不到这个会员号（或不在你的门店）。")}
    try:
        out = previews.preview(template, member, request.GET.get("language", "zh-hans"))
    except Problem as problem:
        missing = "、".join(problem.extra.get("missing", [])) or problem.detail
        return {"member_no": member_no, "member": member, "error": _("这位会员缺少：%(m)s") % {"m": missing}}
    return {"member_no": member_no, "member": member, **out}


@require_http_methods(["GET", "POST"])
@console_view(VIEW, write_permission=CONFIGURE)
def template_edit(request, template_id: int):
    """Edit a template; preview it with a real member (?member_no=)."""
    template = selectors.get_template(template_id)
    initial = {f: getattr(template, f) for f in ("name", "purpose", "subject_zh", "body_zh", "subject_en", "body_en",
                                                 "provider_template_code", "track_links", "is_active")}
    form = TemplateForm(request.POST or None, initial={**initial, "channel": template.channel_id})
    form.fields["channel"].disabled = True
    if request.method == "POST" and form.is_valid():
        if _save(request, form, template) is not None:
            messages.success(request, _("模板已保存。"))
            return redirect("console:messaging_template", template_id=template.pk)
    preview = _preview(request, template)
    return render(request, "console/messaging/template_edit.html", {
        "nav": "messaging_templates", "t": template, "form": form, "variables": VARIABLES, "preview": preview,
        "can_configure": request.actor.can(CONFIGURE)}, status=422 if form.errors else 200)
