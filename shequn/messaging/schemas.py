"""API shapes for channels, templates and messages. Channel secrets go in and never come out."""

import datetime as dt

from ninja import Field, Schema


class ChannelIn(Schema):
    name: str = Field(max_length=60)
    kind: str = Field(description="in_app | email | sms | wecom_robot | wecom_group")
    provider: str = Field("", description="email: smtp; sms: dev | aliyun | tencent; otherwise empty")
    settings: dict[str, str] = Field(default_factory=dict,
                                     description="Server, keys… (see GET /messaging/channel-kinds); secrets are "
                                                 "stored encrypted and never returned")
    is_active: bool = True


class ChannelPatch(Schema):
    name: str | None = Field(None, max_length=60)
    settings: dict[str, str] | None = Field(None, description="Only the settings to change; an empty secret "
                                                              "keeps the stored one")
    is_active: bool | None = None


class ChannelOut(Schema):
    id: int
    name: str
    kind: str
    provider: str
    config: dict[str, str]
    secrets_set: list[str] = Field(description="Names of the secrets that are set (their values are never shown)")
    is_active: bool
    sms_reply_callback_url: str = Field("", description="For SMS channels: where the provider posts replies")


class SettingOut(Schema):
    name: str
    label: str
    required: bool
    secret: bool
    default: str


class ChannelKindOut(Schema):
    kind: str
    provider: str
    settings: list[SettingOut]


class TemplateIn(Schema):
    channel_id: int
    name: str = Field(max_length=80)
    purpose: str = Field(description="marketing | service | transactional")
    subject_zh: str = Field("", max_length=200)
    body_zh: str = Field(max_length=4000)
    subject_en: str = Field("", max_length=200)
    body_en: str = Field("", max_length=4000)
    provider_template_code: str = Field("", max_length=40, description="SMS: the code registered with the provider")
    track_links: bool = True
    is_active: bool = True


class TemplateOut(Schema):
    id: int
    channel_id: int
    name: str
    purpose: str
    subject_zh: str
    body_zh: str
    subject_en: str
    body_en: str
    provider_template_code: str
    track_links: bool
    is_active: bool
    variables: list[str]


class PreviewIn(Schema):
    member_id: int
    language: str = "zh-hans"


class PreviewOut(Schema):
    subject: str
    body: str
    variables: dict[str, str]


class MessageIn(Schema):
    channel_id: int
    member_id: int | None = Field(None, description="Required for in_app, email and sms; none for WeCom groups")
    template_id: int | None = None
    subject: str = Field("", max_length=200)
    body: str = Field("", max_length=4000, description="Used when no template is given")
    purpose: str = Field("service", description="Without a template: marketing | service | transactional")
    language: str = "zh-hans"
    coupon_id: int | None = Field(None, description="The coupon the coupon.* variables describe")


class MessageOut(Schema):
    id: int
    channel_id: int
    member_id: int | None
    template_id: int | None
    purpose: str
    language: str
    recipient: str
    subject: str
    body: str
    status: str
    provider_message_id: str
    error: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    opened_at: dt.datetime | None
    clicked_at: dt.datetime | None
    read_at: dt.datetime | None


class MessagePage(Schema):
    items: list[MessageOut]
    next_cursor: str | None
