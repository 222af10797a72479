"""SMS through a provider: Alibaba Cloud (Dysmsapi SendSms), Tencent Cloud (SMS SendSms), or the dev inbox.

Providers only send texts registered with them: the template's `provider_template_code` names the
registered text and `provider_params` fill its variables: "named" (member_name → value, for
Alibaba Cloud's ${member_name}) and "ordered" (values in order of appearance, for Tencent Cloud's {1}).
The rendered body is what Shequn shows in its log and dev inbox.
"""

import json
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlsplit

from shequn.core import pii

from .. import http
from .base import DeliveryResult, Outgoing
from .signing import aliyun_signature, tc3_authorization


class DevSms:
    """开发短信: writes the text to the dev inbox page (/m/dev/inbox/) instead of a provider."""

    def __init__(self, config: dict, secrets: dict) -> None:
        self.config = config

    def send(self, message: Outgoing) -> DeliveryResult:
        from shequn.core.models import DevInboxMessage

        row = DevInboxMessage.objects.create(channel="sms", recipient=pii.mask_phone(message.address),
                                             subject=message.subject[:200], body=message.body)
        return DeliveryResult(ok=True, delivered=True, provider_message_id=f"dev-{row.pk}")


class AliyunSms:
    """阿里云短信 Dysmsapi SendSms (2017-05-25), RPC signature v1 over POST."""

    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.secret = config, secrets.get("access_key_secret", "")

    def params(self, message: Outgoing, *, nonce: str, timestamp: str) -> dict[str, str]:
        params = {
            "AccessKeyId": self.config["access_key_id"], "Action": "SendSms", "Format": "JSON",
            "PhoneNumbers": message.address, "RegionId": self.config.get("region") or "cn-hangzhou",
            "SignName": self.config["sign_name"], "SignatureMethod": "HMAC-SHA1", "SignatureNonce": nonce,
            "SignatureVersion": "1.0", "TemplateCode": message.provider_template_code,
            "TemplateParam": json.dumps(message.provider_params.get("named", {}), ensure_ascii=False,
                                        separators=(",", ":")),
            "Timestamp": timestamp, "Version": "2017-05-25", "OutId": str(message.message_id),
        }
        params["Signature"] = aliyun_signature("POST", params, self.secret)
        return params

    def send(self, message: Outgoing) -> DeliveryResult:
        params = self.params(message, nonce=uuid.uuid4().hex,
                             timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        try:
            response = http.request("POST", self.config.get("endpoint") or "https://dysmsapi.aliyuncs.com/",
                                    data=params, idempotent=False)
            body = response.json()
        except (http.HttpFailure, ValueError) as exc:
            return DeliveryResult.failed(f"阿里云短信接口无响应：{exc}")
        if body.get("Code") == "OK":
            return DeliveryResult(ok=True, provider_message_id=str(body.get("BizId", "")))
        return DeliveryResult.failed(f"阿里云短信拒绝：{body.get('Code')} {body.get('Message', '')}")


class TencentSms:
    """腾讯云短信 SendSms (2021-01-11), signature v3 TC3-HMAC-SHA256."""

    service, version = "sms", "2021-01-11"

    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.secret_key = config, secrets.get("secret_key", "")

    def request_parts(self, message: Outgoing, timestamp: int) -> tuple[str, dict[str, str], str]:
        endpoint = self.config.get("endpoint") or "https://sms.tencentcloudapi.com/"
        host = urlsplit(endpoint).netloc
        payload = json.dumps({
            "PhoneNumberSet": [f"+86{message.address}"], "SmsSdkAppId": self.config["sdk_app_id"],
            "SignName": self.config["sign_name"], "TemplateId": message.provider_template_code,
            "TemplateParamSet": [str(p) for p in message.provider_params.get("ordered", [])],
            "SessionContext": str(message.message_id),
        }, ensure_ascii=False, separators=(",", ":"))
        headers = {
            "Authorization": tc3_authorization(self.config["secret_id"], self.secret_key, service=self.service,
                                               host=host, payload=payload, timestamp=timestamp),
            "Content-Type": "application/json; charset=utf-8", "Host": host, "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp), "X-TC-Version": self.version,
            "X-TC-Region": self.config.get("region") or "ap-guangzhou",
        }
        return endpoint, headers, payload

    def send(self, message: Outgoing) -> DeliveryResult:
        endpoint, headers, payload = self.request_parts(message, int(time.time()))
        try:
            response = http.request("POST", endpoint, content=payload.encode(), headers=headers, idempotent=False)
            body = response.json().get("Response", {})
        except (http.HttpFailure, ValueError) as exc:
            return DeliveryResult.failed(f"腾讯云短信接口无响应：{exc}")
        if "Error" in body:
            error = body["Error"]
            return DeliveryResult.failed(f"腾讯云短信拒绝：{error.get('Code')} {error.get('Message', '')}")
        status = (body.get("SendStatusSet") or [{}])[0]
        if status.get("Code") == "Ok":
            return DeliveryResult(ok=True, provider_message_id=str(status.get("SerialNo", "")))
        return DeliveryResult.failed(f"腾讯云短信拒绝：{status.get('Code')} {status.get('Message', '')}")


PROVIDERS = {"dev": DevSms, "aliyun": AliyunSms, "tencent": TencentSms}
