"""Sandbox gateway (沙箱支付): a local stand-in for a real gateway, for the demo and for tests.

The member's page (`/m/pay/sandbox/<order_no>/`) "pays" by posting a notification signed the way a real
gateway signs: `X-Sandbox-Signature` = hex HMAC-SHA256 over `timestamp\\nnonce\\nbody` with
`settings.SHEQUN_SANDBOX_PAY_SECRET` (derived from SECRET_KEY when unset), plus `X-Sandbox-Timestamp`
(Unix seconds) and `X-Sandbox-Nonce`. The body is JSON:
`{"order_no", "transaction_id", "amount_fen", "paid_at" (ISO 8601 UTC), "status": "paid"}`.
"""

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping

from django.conf import settings

from shequn.core import clock

from .base import (
    Checkout,
    InvalidNotification,
    PaidNotice,
    RefundReceipt,
    check_fresh,
    check_transaction_id,
    header_map,
    parse_time,
    validate_checkout,
    validate_refund,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
TIMESTAMP_HEADER = "X-Sandbox-Timestamp"
NONCE_HEADER = "X-Sandbox-Nonce"
MAX_BODY = 4096


def sandbox_secret() -> bytes:
    configured = getattr(settings, "SHEQUN_SANDBOX_PAY_SECRET", "")
    if configured:
        return configured.encode() if isinstance(configured, str) else bytes(configured)
    return hmac.new(settings.SECRET_KEY.encode(), b"shequn-sandbox-pay", hashlib.sha256).digest()


def signature(timestamp: str, nonce: str, body: bytes, secret: bytes | None = None) -> str:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body
    return hmac.new(secret if secret is not None else sandbox_secret(), message, hashlib.sha256).hexdigest()


def transaction_id_for(order_no: str) -> str:
    """The sandbox takes one payment per order, so its transaction id follows from the order number."""
    return "SBX" + hashlib.sha256(order_no.encode()).hexdigest()[:24].upper()


def sign_notification(order_no: str, amount_fen: int, transaction_id: str | None = None,
                      paid_at: dt.datetime | None = None) -> tuple[dict[str, str], bytes]:
    """Headers and body of a "paid" notification, as the sandbox gateway sends it."""
    paid_at = (paid_at or clock.now()).astimezone(dt.UTC)
    body = json.dumps({
        "order_no": order_no,
        "transaction_id": transaction_id or transaction_id_for(order_no),
        "amount_fen": amount_fen,
        "paid_at": paid_at.isoformat(),
        "status": "paid",
    }, separators=(",", ":")).encode()
    timestamp = str(int(clock.now().timestamp()))
    nonce = secrets.token_hex(16)
    headers = {
        TIMESTAMP_HEADER: timestamp,
        NONCE_HEADER: nonce,
        SIGNATURE_HEADER: signature(timestamp, nonce, body),
        "Content-Type": "application/json",
    }
    return headers, body


class SandboxProvider:
    name = "sandbox"

    def checkout(self, *, order_no: str, amount_fen: int, description: str, payer_openid: str = "") -> Checkout:
        validate_checkout(order_no, amount_fen, description)
        from django.urls import reverse
        return Checkout(provider=self.name, params={"pay_url": reverse("h5:pay_sandbox", args=[order_no])})

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaidNotice:
        h = header_map(headers)
        given = h.get(SIGNATURE_HEADER.lower(), "")
        timestamp = h.get(TIMESTAMP_HEADER.lower(), "")
        nonce = h.get(NONCE_HEADER.lower(), "")
        if not given or not nonce:
            raise InvalidNotification("The sandbox notification has no signature or nonce header.")
        if not isinstance(body, bytes) or len(body) > MAX_BODY:
            raise InvalidNotification("The sandbox notification body is missing or too large.")
        if not hmac.compare_digest(signature(timestamp, nonce, body).encode(), given.strip().lower().encode()):
            raise InvalidNotification("The sandbox notification signature does not match.")
        check_fresh(timestamp)
        return _notice(self.name, body)

    def refund(self, *, order_no: str, refund_no: str, amount_fen: int, total_fen: int,
               reason: str) -> RefundReceipt:
        validate_refund(order_no, refund_no, amount_fen, total_fen, reason)
        ref = "SBXR" + hashlib.sha256(f"{order_no}/{refund_no}".encode()).hexdigest()[:24].upper()
        return RefundReceipt(provider=self.name, refund_no=refund_no, provider_ref=ref, status="succeeded")


def _notice(provider: str, body: bytes) -> PaidNotice:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidNotification("The sandbox notification body is not JSON.") from exc
    if not isinstance(data, dict):
        raise InvalidNotification("The sandbox notification body is not a JSON object.")
    if data.get("status") != "paid":
        raise InvalidNotification(f"The sandbox notification status is {data.get('status')!r}, not 'paid'.")
    order_no, transaction_id, amount = data.get("order_no"), data.get("transaction_id"), data.get("amount_fen")
    if not isinstance(order_no, str) or not order_no:
        raise InvalidNotification("The sandbox notification lacks order_no.")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise InvalidNotification("The sandbox notification amount_fen is not a positive whole number.")
    return PaidNotice(provider=provider, order_no=order_no, transaction_id=check_transaction_id(transaction_id),
                      amount_fen=amount, paid_at=parse_time(data.get("paid_at")))

