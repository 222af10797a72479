"""Group content forms: a post (text, image, link, product card, Q&A, topic challenge), a poll, an activity."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequn.communities.models import Activity, Post

LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]
POST_KINDS = [(value, label) for value, label in Post.Kind.choices if value != Post.Kind.POLL]
# What each kind of post cannot go without.
REQUIRED = {"text": "body", "question": "body", "challenge": "title", "image": "image_url", "link": "url",
            "product": "product_ref"}


def local_datetime(label, **kwargs) -> forms.DateTimeField:
    """A date and time typed in the store's local time (the browser's datetime-local input)."""
    return forms.DateTimeField(label=label, input_formats=LOCAL_INPUT,
                               widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                               **kwargs)


class IdPrefixed(forms.Form):
    """The group page holds several forms with fields of the same name: ids must not clash."""

    id_prefix = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class PostForm(IdPrefixed):
    id_prefix = "post"
    kind = forms.ChoiceField(label=_("类型"), choices=POST_KINDS, initial=Post.Kind.TEXT)
    title = forms.CharField(label=_("标题"), max_length=100, required=False)
    body = forms.CharField(label=_("正文"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    url = forms.URLField(label=_("链接地址"), max_length=200, required=False, assume_scheme="https")
    image_url = forms.CharField(label=_("图片地址"), max_length=300, required=False)
    product_ref = forms.CharField(label=_("商品编码"), max_length=64, required=False)
    scheduled_at = local_datetime(_("定时发布（留空立即发布）"), required=False)

    def clean_image_url(self):
        value = self.cleaned_data["image_url"].strip()
        if value and not value.startswith(("https://", "http://", "/")):
            raise forms.ValidationError(_("图片地址需以 https:// 或 / 开头。"))
        return value

    def clean_scheduled_at(self):
        value = self.cleaned_data["scheduled_at"]
        if value is not None:
            now = timezone.now()
            if value <= now:
                raise forms.ValidationError(_("定时发布时间必须晚于现在；要立即发布请留空。"))
            if value > now + dt.timedelta(days=90):
                raise forms.ValidationError(_("最多提前 90 天定时发布。"))
        return value

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        needed = REQUIRED.get(kind)
        if needed and needed in data and not (data.get(needed) or "").strip():
            self.add_error(needed, _("%(kind)s需要填写%(field)s。") % {
                "kind": dict(POST_KINDS)[kind], "field": self.fields[needed].label})
        return data


class PollForm(IdPrefixed):
    id_prefix = "poll"
    title = forms.CharField(label=_("投票主题"), max_length=100)
    options = forms.CharField(label=_("选项（每行一个，2–10 个）"), widget=forms.Textarea(attrs={"rows": 4}),
                              max_length=1200)
    multiple = forms.BooleanField(label=_("允许多选"), required=False)
    deadline = local_datetime(_("截止时间"))

    def clean_options(self):
        options = [line.strip() for line in self.cleaned_data["options"].splitlines() if line.strip()]
        if not 2 <= len(options) <= 10:
            raise forms.ValidationError(_("请填写 2 到 10 个选项，每行一个。"))
        if any(len(o) > 100 for o in options):
            raise forms.ValidationError(_("每个选项最多 100 个字。"))
        if len(set(options)) != len(options):
            raise forms.ValidationError(_("选项不能重复。"))
        return options

    def clean_deadline(self):
        value = self.cleaned_data["deadline"]
        if value <= timezone.now():
            raise forms.ValidationError(_("截止时间必须晚于现在。"))
        return value


class ActivityForm(IdPrefixed):
    id_prefix = "activity"
    title = forms.CharField(label=_("活动名称"), max_length=100)
    kind = forms.ChoiceField(label=_("形式"), choices=Activity.Kind.choices, initial=Activity.Kind.IN_STORE)
    starts_at = local_datetime(_("开始时间"))
    ends_at = local_datetime(_("结束时间"))
    capacity = forms.IntegerField(label=_("名额"), min_value=1, max_value=10_000, initial=30)
    location = forms.CharField(label=_("地点 / 线上链接"), max_length=200, required=False)
    description = forms.CharField(label=_("活动说明"), max_length=5000, required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends:
            if ends <= starts:
                self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
            elif ends <= timezone.now():
                self.add_error("ends_at", _("结束时间不能早于现在。"))
        if data.get("kind") == Activity.Kind.IN_STORE and not (data.get("location") or "").strip():
            self.add_error("location", _("到店活动请填写地点。"))
        return data
