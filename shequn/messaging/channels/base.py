"""The channel interface: `send(message) -> DeliveryResult`, and what each kind of channel needs configured."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    """What a channel sends: already rendered, with the address resolved (decrypted only here)."""

    message_id: int
    address: str  # email address, phone number, or "" (in-app, WeCom)
    subject: str
    body: str
    provider_params: dict = field(default_factory=dict)
    provider_template_code: str = ""
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    delivered: bool = False  # the channel confirmed delivery (in-app); otherwise "sent"
    provider_message_id: str = ""
    error: str = ""

    @classmethod
    def failed(cls, error: str) -> "DeliveryResult":
        return cls(ok=False, error=error[:500])


class Sender(Protocol):
    def send(self, message: Outgoing) -> DeliveryResult: ...


@dataclass(frozen=True)
class Setting:
    name: str
    label: str  # Chinese label for the console
    required: bool = True
    secret: bool = False
    default: str = ""
    help: str = ""


# (kind, provider) → the settings an operator fills in. Secrets are sealed with shequn.core.pii.
SPECS: dict[tuple[str, str], list[Setting]] = {
    ("in_app", ""): [],
    ("email", "smtp"): [
        Setting("host", "SMTP 服务器"), Setting("port", "端口", default="465"),
        Setting("security", "加密方式", default="ssl", help="ssl / starttls / none"),
        Setting("username", "用户名", required=False), Setting("password", "密码", required=False, secret=True),
        Setting("from_email", "发件地址"), Setting("from_name", "发件人名称", required=False),
    ],
    ("sms", "dev"): [],
    ("sms", "aliyun"): [
        Setting("access_key_id", "AccessKey ID"), Setting("access_key_secret", "AccessKey Secret", secret=True),
        Setting("sign_name", "短信签名"), Setting("region", "地域", default="cn-hangzhou"),
        Setting("endpoint", "接口地址", default="https://dysmsapi.aliyuncs.com/"),
    ],
    ("sms", "tencent"): [
        Setting("secret_id", "SecretId"), Setting("secret_key", "SecretKey", secret=True),
        Setting("sdk_app_id", "SmsSdkAppId"), Setting("sign_name", "短信签名"),
        Setting("region", "地域", default="ap-guangzhou"),
        Setting("endpoint", "接口地址", default="https://sms.tencentcloudapi.com/"),
    ],
    ("wecom_robot", ""): [
        Setting("webhook_key", "机器人 Webhook key", secret=True, help="机器人地址中 key= 后面的部分"),
        Setting("msgtype", "消息格式", default="text", help="text / markdown"),
        Setting("endpoint", "接口地址", default="https://qyapi.weixin.qq.com/cgi-bin/webhook/send"),
    ],
    ("wecom_group", ""): [
        Setting("corp_id", "企业 ID (corpid)"), Setting("corp_secret", "应用 Secret", secret=True),
        Setting("sender", "发送成员 userid", help="群发由这位成员在企业微信里确认发送"),
        Setting("endpoint", "接口地址", default="https://qyapi.weixin.qq.com/cgi-bin"),
    ],
}

PROVIDERS = {"in_app": [""], "email": ["smtp"], "sms": ["dev", "aliyun", "tencent"],
             "wecom_robot": [""], "wecom_group": [""]}
PROVIDER_LABELS = {"smtp": "SMTP", "dev": "开发收件箱", "aliyun": "阿里云短信", "tencent": "腾讯云短信", "": "—"}


def spec(kind: str, provider: str) -> list[Setting]:
    return SPECS.get((kind, provider), [])
