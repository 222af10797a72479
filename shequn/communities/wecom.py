"""WeCom (企业微信) callback: signature check, AES-CBC message crypto and group-chat events.

The scheme is WeCom's documented callback encryption:
- msg_signature = SHA1 of the sorted concatenation of [token, timestamp, nonce, encrypt];
- AES-256-CBC, key = base64decode(EncodingAESKey + "="), IV = the first 16 bytes of the key,
  PKCS#7 padding to a 32-byte block;
- plaintext = 16 random bytes + 4-byte big-endian message length + message + receive id (corp id)."""

import base64
import binascii
import hashlib
import hmac
import logging
import os
import struct
import xml.etree.ElementTree as ET

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

from shequn.core.actor import Actor
from shequn.core.errors import Problem

from .models import Group, GroupEvent

log = logging.getLogger("shequn.wecom")
BLOCK = 32
WECOM_ACTOR = Actor(kind="system", id="wecom", label="WeCom callback")


class BadSignature(Problem):
    status, type, title = 403, "wecom-bad-signature", "Bad WeCom signature"


class BadMessage(Problem):
    status, type, title = 400, "wecom-bad-message", "Unreadable WeCom message"


class NotConfigured(Problem):
    status, type, title = 404, "wecom-not-configured", "WeCom is not configured"


def signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypt])).encode()).hexdigest()


def _pad(data: bytes) -> bytes:
    n = BLOCK - len(data) % BLOCK
    return data + bytes([n]) * n


def _unpad(data: bytes) -> bytes:
    n = data[-1] if data else 0
    if not 1 <= n <= BLOCK or data[-n:] != bytes([n]) * n:
        raise BadMessage("The message padding is invalid.")
    return data[:-n]


class WeComCrypto:
    def __init__(self, token: str, encoding_aes_key: str, receive_id: str) -> None:
        if not token or len(encoding_aes_key) != 43:
            raise NotConfigured("Set SHEQUN_WECOM_TOKEN and a 43-character SHEQUN_WECOM_AES_KEY.")
        try:
            self.key = base64.b64decode(encoding_aes_key + "=", validate=True)
        except binascii.Error:
            raise NotConfigured("SHEQUN_WECOM_AES_KEY is not valid base64.") from None
        if len(self.key) != 32:
            raise NotConfigured("SHEQUN_WECOM_AES_KEY must decode to 32 bytes.")
        self.token = token
        self.receive_id = receive_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def encrypt(self, message: str, *, random16: bytes | None = None) -> str:
        body = message.encode()
        plain = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.receive_id.encode()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(_pad(plain)) + encryptor.finalize()).decode()

    def decrypt(self, encrypt: str) -> str:
        try:
            raw = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError):
            raise BadMessage("The encrypted message is not base64.") from None
        if not raw or len(raw) % 16:
            raise BadMessage("The encrypted message has a bad length.")
        decryptor = self._cipher().decryptor()
        plain = _unpad(decryptor.update(raw) + decryptor.finalize())
        if len(plain) < 20:
            raise BadMessage("The decrypted message is too short.")
        (length,) = struct.unpack(">I", plain[16:20])
        body, receive_id = plain[20:20 + length], plain[20 + length:]
        if len(body) != length or receive_id.decode(errors="replace") != self.receive_id:
            raise BadMessage("The message was not encrypted for this corp id.")
        try:
            return body.decode()
        except UnicodeDecodeError:
            raise BadMessage("The decrypted message is not UTF-8.") from None

    def check(self, msg_signature: str, timestamp: str, nonce: str, encrypt: str) -> None:
        expected = signature(self.token, timestamp, nonce, encrypt)
        if not hmac.compare_digest(expected, (msg_signature or "").lower()):
            raise BadSignature("msg_signature does not match.")

    def verify_url(self, msg_signature: str, timestamp: str, nonce: str, echostr: str) -> str:
        """URL verification (GET): the decrypted echostr, to be answered as plain text."""
        self.check(msg_signature, timestamp, nonce, echostr)
        return self.decrypt(echostr)

    def open_message(self, msg_signature: str, timestamp: str, nonce: str, body: bytes | str) -> str:
        """Message receipt (POST): the inner XML of a signed <Encrypt> envelope."""
        encrypt = _xml_text(parse_xml(body), "Encrypt")
        if not encrypt:
            raise BadMessage("The callback body has no <Encrypt> element.")
        self.check(msg_signature, timestamp, nonce, encrypt)
        return self.decrypt(encrypt)


def configured_crypto() -> WeComCrypto:
    return WeComCrypto(settings.WECOM_TOKEN, settings.WECOM_AES_KEY, settings.WECOM_CORP_ID)


def parse_xml(data: bytes | str) -> ET.Element:
    if isinstance(data, str):
        data = data.encode()
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:  # no entity expansion from outside input
        raise BadMessage("XML with DOCTYPE or ENTITY declarations is refused.")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise BadMessage(f"The XML cannot be read: {exc}.") from None


def _xml_text(root: ET.Element, tag: str) -> str:
    node = root.find(tag)
    return (node.text or "").strip() if node is not None else ""


def events_from_message(inner_xml: str) -> list[dict]:
    """GroupEvent items (for ingest_events) from one decrypted callback message.

    Group messages carry ChatId, FromUserName (the sender's external user id) and MsgId;
    change_external_chat events (members added or removed) become join/leave timeline entries."""
    import datetime as dt

    from shequn.members.models import Member

    root = parse_xml(inner_xml)
    chat_id = _xml_text(root, "ChatId")
    if not chat_id:
        return []
    group_id = Group.objects.filter(external_chat_id=chat_id).values_list("pk", flat=True).first()
    if group_id is None:
        log.info("WeCom message for unknown chat %s ignored", chat_id)
        return []
    try:
        occurred_at = dt.datetime.fromtimestamp(int(_xml_text(root, "CreateTime")), tz=dt.UTC)
    except ValueError:
        raise BadMessage("CreateTime is not a Unix timestamp.") from None
    msg_type = _xml_text(root, "MsgType")
    sender = _xml_text(root, "FromUserName")
    member_id = Member.objects.filter(external_id=sender).values_list("pk", flat=True).first() if sender else None
    if msg_type == "event":
        if _xml_text(root, "Event") != "change_external_chat":
            return []
        detail = _xml_text(root, "UpdateDetail")
        kind = {"add_member": GroupEvent.Kind.JOIN, "del_member": GroupEvent.Kind.LEAVE}.get(detail)
        if kind is None:
            return []
        users = [(item.text or "").strip() for item in root.iter("Item")]
        key = hashlib.sha1(f"{chat_id}:{_xml_text(root, 'CreateTime')}:{detail}:{','.join(users)}".encode())
        return [{"event_id": f"chat:{key.hexdigest()}", "kind": kind, "group_id": group_id,
                 "occurred_at": occurred_at, "payload": {"wecom_users": users, "chat_id": chat_id}}]
    msg_id = _xml_text(root, "MsgId")
    if not msg_id:
        raise BadMessage("A group message needs a MsgId.")
    return [{"event_id": f"msg:{msg_id}", "kind": GroupEvent.Kind.MESSAGE, "group_id": group_id,
             "member_id": member_id, "occurred_at": occurred_at,
             "payload": {"msg_type": msg_type, "wecom_user": sender}}]


def receive(msg_signature: str, timestamp: str, nonce: str, body: bytes) -> dict:
    """Check, decrypt and store one callback message; {accepted, duplicates}."""
    from .ingest import ALL_KINDS, ingest_events

    inner = configured_crypto().open_message(msg_signature, timestamp, nonce, body)
    items = events_from_message(inner)
    if not items:
        return {"accepted": 0, "duplicates": 0, "errors": []}
    return ingest_events(WECOM_ACTOR, items, source="wecom", check_permission=False, kinds=ALL_KINDS)
