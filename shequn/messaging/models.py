"""Messaging tables: channels (encrypted credentials), templates, messages, short links, unsubscribes."""

from django.db import models


class Purpose(models.TextChoices):
    """Why a message is sent; marketing needs the member's current marketing consent."""

    MARKETING = "marketing", "营销"
    SERVICE = "service", "服务通知"
    TRANSACTIONAL = "transactional", "交易通知"


class Channel(models.Model):
    """渠道: one configured way to reach people (in-app inbox, SMTP, an SMS provider, WeCom)."""

    class Kind(models.TextChoices):
        IN_APP = "in_app", "站内信"
        EMAIL = "email", "邮件"
        SMS = "sms", "短信"
        WECOM_ROBOT = "wecom_robot", "企业微信群机器人"
        WECOM_GROUP = "wecom_group", "企业微信客户群群发"

    name = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.CharField(max_length=16, blank=True)  # sms: dev / aliyun / tencent
    config = models.JSONField(default=dict, blank=True)  # non-secret settings
    secrets_encrypted = models.TextField(blank=True)  # AES-GCM sealed JSON, never shown again
    secret_names = models.JSONField(default=list, blank=True)  # which secrets are set ("已设置")
    callback_token = models.CharField(max_length=40, unique=True)  # inbound SMS callback URL
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def reaches_members(self) -> bool:
        """In-app, email and SMS go to one member; WeCom robots and group sends go to groups."""
        return self.kind in (self.Kind.IN_APP, self.Kind.EMAIL, self.Kind.SMS)


class MessageTemplate(models.Model):
    """消息模板: a channel's text for one purpose, in Chinese and English, with {{ variables }}."""

    name = models.CharField(max_length=80)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="templates")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    subject_zh = models.CharField(max_length=200, blank=True)
    body_zh = models.TextField()
    subject_en = models.CharField(max_length=200, blank=True)
    body_en = models.TextField(blank=True)
    # SMS providers only send texts registered with them: the provider's template code.
    provider_template_code = models.CharField(max_length=40, blank=True)
    track_links = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["channel", "name"], name="uniq_template_name_per_channel")]

    def __str__(self) -> str:
        return self.name


class EmailAddress(models.Model):
    """A member's email address for the email channel (personal data: stored encrypted)."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="email_address")
    email_encrypted = models.TextField()
    email_masked = models.CharField(max_length=120)
    updated_at = models.DateTimeField(auto_now=True)


class ChannelOptOut(models.Model):
    """A member declined marketing on one kind of channel (marketing consent itself stays as it is)."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="channel_opt_outs")
    kind = models.CharField(max_length=16, choices=Channel.Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="uniq_opt_out_per_kind")]


class Message(models.Model):
    """One message to one member (or one group for WeCom); its delivery is claimed once, then recorded."""

    class Status(models.TextChoices):
        QUEUED = "queued", "待发送"
        SENDING = "sending", "发送中"
        SENT = "sent", "已发送"
        DELIVERED = "delivered", "已送达"
        FAILED = "failed", "发送失败"
        CANCELLED = "cancelled", "已取消"

    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="messages")
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="messages")
    template = models.ForeignKey(MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="messages")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    language = models.CharField(max_length=8, default="zh-hans")
    recipient = models.CharField(max_length=120, blank=True)  # masked address or group, for the log
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    provider_params = models.JSONField(default=dict, blank=True)  # SMS template parameters
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    source = models.CharField(max_length=40, blank=True)  # api, console, campaign:<id>, journey:<id>
    provider_message_id = models.CharField(max_length=120, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)  # in-app inbox

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "channel", "-id"], name="msg_member_channel_idx"),
                   models.Index(fields=["channel", "status", "-id"], name="msg_channel_status_idx")]


class ShortLink(models.Model):
    """短链: /l/<code> redirects to the target and records a click for the message's member."""

    code = models.CharField(max_length=12, unique=True)
    target_url = models.URLField(max_length=1000)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="links")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class LinkClick(models.Model):
    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="clicks")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    clicked_at = models.DateTimeField(auto_now_add=True)
    user_agent = models.CharField(max_length=200, blank=True)


class InboundSms(models.Model):
    """上行短信: a member's SMS reply received through a provider callback (e.g. 退订)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inbound")
    phone_masked = models.CharField(max_length=16)
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    content = models.CharField(max_length=500)
    unsubscribed = models.BooleanField(default=False)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
