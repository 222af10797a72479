"""WeCom (企业微信): group robot webhook (群机器人) and customer-group mass messages (客户群群发).

A robot posts text or markdown into one internal group chat through its webhook key. A mass message
creates a task with externalcontact/add_msg_template that the sending member confirms in WeCom; its
access token comes from gettoken and is cached until shortly before it expires.
"""

import hashlib

from django.core.cache import cache

from .. import http
from .base import DeliveryResult, Outgoing

TOKEN_EXPIRED = {40014, 42001}  # invalid / expired access_token: fetch a new one once


class WeComRobot:
    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.key = config, secrets.get("webhook_key", "")

    def payload(self, message: Outgoing) -> dict:
        text = f"{message.subject}\n{message.body}" if message.subject else message.body
        if (self.config.get("msgtype") or "text") == "markdown":
            title = f"**{message.subject}**\n" if message.subject else ""
            return {"msgtype": "markdown", "markdown": {"content": f"{title}{message.body}"[:4096]}}
        return {"msgtype": "text", "text": {"content": text[:2048]}}

    def send(self, message: Outgoing) -> DeliveryResult:
        url = self.config.get("endpoint") or "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
        try:
            body = http.request("POST", url, params={"key": self.key}, json=self.payload(message),
                                idempotent=False).json()
        except (http.HttpFailure, ValueError) as exc:
            return DeliveryResult.failed(f"企业微信机器人无响应：{exc}")
        if body.get("errcode") == 0:
            return DeliveryResult(ok=True, delivered=True)
        return DeliveryResult.failed(f"企业微信机器人拒绝：{body.get('errcode')} {body.get('errmsg', '')}")


class WeComGroupMass:
    def __init__(self, config: dict, secrets: dict) -> None:
        self.config, self.secret = config, secrets.get("corp_secret", "")
        self.base = (config.get("endpoint") or "https://qyapi.weixin.qq.com/cgi-bin").rstrip("/")

    def _cache_key(self) -> str:
        secret_id = hashlib.sha256(self.secret.encode()).hexdigest()[:16]
        return f"messaging:wecom-token:{self.config.get('corp_id')}:{secret_id}"

    def access_token(self, *, refresh: bool = False) -> str:
        key = self._cache_key()
        token = None if refresh else cache.get(key)
        if token:
            return token
        body = http.request("GET", f"{self.base}/gettoken",
                            params={"corpid": self.config["corp_id"], "corpsecret": self.secret}).json()
        if body.get("errcode") != 0 or not body.get("access_token"):
            raise http.HttpFailure(f"gettoken {body.get('errcode')} {body.get('errmsg', '')}")
        cache.set(key, body["access_token"], max(60, int(body.get("expires_in", 7200)) - 300))
        return body["access_token"]

    def payload(self, message: Outgoing) -> dict:
        text = f"{message.subject}\n{message.body}" if message.subject else message.body
        return {"chat_type": "group", "sender": self.config["sender"], "text": {"content": text[:4000]}}

    def send(self, message: Outgoing) -> DeliveryResult:
        try:
            for refresh in (False, True):
                body = http.request("POST", f"{self.base}/externalcontact/add_msg_template",
                                    params={"access_token": self.access_token(refresh=refresh)},
                                    json=self.payload(message), idempotent=False).json()
                if body.get("errcode") not in TOKEN_EXPIRED:
                    break
        except (http.HttpFailure, ValueError) as exc:
            return DeliveryResult.failed(f"企业微信群发接口无响应：{exc}")
        if body.get("errcode") == 0:
            return DeliveryResult(ok=True, provider_message_id=str(body.get("msgid", "")))
        return DeliveryResult.failed(f"企业微信群发拒绝：{body.get('errcode')} {body.get('errmsg', '')}")
