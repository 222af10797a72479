"""Webhook subscription form: URL, description, event types (grouped checkboxes) and the on/off switch."""

from django import forms
from django.utils.translation import gettext_lazy as _

from shequn.core.errors import Problem
from shequn.messaging.webhooks import events as catalogue
from shequn.messaging.webhooks.services import MAX_URL_LENGTH, clean_url

URL_ERRORS = {
    "required": _("请填写接收事件的地址。"),
    "too-long": _("地址太长，最多 500 个字符。"),
    "credentials": _("地址里不要带用户名或密码，我们用签名证明请求来自社群。"),
    "insecure": _("请使用 https:// 地址；只有本机开发地址（127.0.0.1 或 localhost）可以用 http://。"),
    "invalid": _("这不是有效的网址，请以 https:// 开头填写完整地址。"),
}


class SubscriptionForm(forms.Form):
    url = forms.CharField(label=_("接收地址 (URL)"), max_length=MAX_URL_LENGTH,
                          widget=forms.TextInput(attrs={"placeholder": "https://", "autocomplete": "off",
                                                        "spellcheck": "false"}),
                          error_messages={"required": URL_ERRORS["required"],
                                          "max_length": URL_ERRORS["too-long"]})
    description = forms.CharField(label=_("说明"), max_length=200, required=False,
                                  help_text=_("例如：收银系统、CRM、数据仓库"))
    all_events = forms.BooleanField(label=_("全部事件（包括以后新增的事件类型）"), required=False)
    events = forms.MultipleChoiceField(label=_("事件类型"), required=False, widget=forms.CheckboxSelectMultiple,
                                       choices=[(str(group), [(code, f"{label} · {code}") for code, label in items])
                                                for group, items in catalogue.CATALOGUE.items()],
                                       error_messages={"invalid_choice": _("没有 %(value)s 这种事件。")})
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)

    def __init__(self, *args, subscription=None, **kwargs):
        if subscription is not None and not args:
            kwargs.setdefault("initial", {
                "url": subscription.url, "description": subscription.description, "active": subscription.active,
                "all_events": catalogue.ALL in subscription.events,
                "events": [e for e in subscription.events if e != catalogue.ALL]})
        super().__init__(*args, **kwargs)

    def clean_url(self):
        try:
            return clean_url(self.cleaned_data["url"])
        except Problem as problem:
            raise forms.ValidationError(URL_ERRORS.get(problem.extra.get("reason"), URL_ERRORS["invalid"])) from None

    def clean(self):
        data = super().clean()
        if data.get("all_events"):
            data["event_list"] = [catalogue.ALL]
        elif data.get("events"):
            data["event_list"] = catalogue.normalise(data["events"])
        elif "events" not in self.errors:
            self.add_error("events", _("请至少选择一种事件，或勾选“全部事件”。"))
        return data
