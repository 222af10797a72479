"""WeChat Pay API v3 adapter (微信支付 JSAPI): checkout, paid notifications and refunds.

Configured from Django settings or the environment (settings win), see docs/payments.md:
SHEQUN_WECHATPAY_MCHID, _APPID, _SERIAL_NO, _PRIVATE_KEY (PEM) or _PRIVATE_KEY_FILE, _APIV3_KEY,
_PLATFORM_CERTS, _NOTIFY_URL (default: SHEQUN_PUBLIC_URL + /api/v1/payments/wechat/notify), _BASE_URL.
HTTP goes through an injectable transport `(method, url, headers, body) -> (status, headers, body)`.
"""

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from shequn.core import clock
from shequn.core.errors import Problem, ValidationProblem

from . import wechatpay_crypto as wxcrypto
from .base import (
    Checkout,
    InvalidNotification,
    NotPaidNotification,
    PaidNotice,
    PaymentMethodUnavailable,
    PaymentProviderError,
    RefundReceipt,
    check_fresh,
    check_order_no,
    check_transaction_id,
    header_map,
    parse_time,
    validate_checkout,
    validate_refund,
)

Transport = Callable[[str, str, Mapping[str, str], bytes], tuple[int, Mapping[str, str], bytes]]
DEFAULT_BASE_URL = "https://api.mch.weixin.qq.com"
NOTIFY_PATH = "/api/v1/payments/wechat/notify"
TIMEOUT_SECONDS = 10
MAX_NOTIFICATION_BODY = 64 * 1024
REFUND_NO_RE = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
REFUND_STATUS = {"SUCCESS": "succeeded", "PROCESSING": "processing"}


@dataclass(frozen=True)
class WechatPayConfig:
    """A merchant's WeChat Pay API v3 credentials (商户号、APIv3 密钥、商户证书与平台证书)."""

    mchid: str
    appid: str
    merchant_serial_no: str
    merchant_private_key_pem: str
    apiv3_key: bytes
    platform_certs: dict[str, str] = field(default_factory=dict)  # serial -> certificate or public key PEM
    notify_url: str = ""
    base_url: str = DEFAULT_BASE_URL


def _setting(name: str) -> Any:
    value = getattr(settings, name, None)
    return value if value not in (None, "", {}) else os.environ.get(name, "")


def _read_pem(value: str, what: str) -> str:
    """PEM text as given, or the contents of the file it names."""
    if "-----BEGIN" in value:
        return value
    try:
        return Path(value).expanduser().read_text()
    except OSError as exc:
        raise PaymentMethodUnavailable(f"WeChat Pay {what} file {value!r} cannot be read: {exc.strerror}.") from exc


def _platform_certs(raw: Any) -> dict[str, str]:
    """A dict serial -> PEM or path (settings), or "SERIAL=/path.pem,SERIAL2=/path2.pem" (environment)."""
    if isinstance(raw, str):
        pairs = [item.partition("=") for item in raw.split(",") if item.strip()]
        if any(not sep or not serial.strip() for serial, sep, _ in pairs):
            raise PaymentMethodUnavailable("SHEQUN_WECHATPAY_PLATFORM_CERTS must look like SERIAL=/path/cert.pem,…")
        raw = {serial.strip(): value.strip() for serial, _, value in pairs}
    if not isinstance(raw, dict):
        raise PaymentMethodUnavailable("SHEQUN_WECHATPAY_PLATFORM_CERTS must map certificate serials to PEMs.")
    return {str(serial).upper(): _read_pem(str(value), f"platform certificate {serial}")
            for serial, value in raw.items()}


def load_config() -> WechatPayConfig:
    """The configured merchant, or PaymentMethodUnavailable saying what is missing."""
    values = {name: _setting(f"SHEQUN_WECHATPAY_{name}") for name in (
        "MCHID", "APPID", "SERIAL_NO", "PRIVATE_KEY", "PRIVATE_KEY_FILE", "APIV3_KEY", "PLATFORM_CERTS",
        "NOTIFY_URL", "BASE_URL")}
    needed = ["MCHID", "APPID", "SERIAL_NO", "APIV3_KEY", "PLATFORM_CERTS"]
    missing = [f"SHEQUN_WECHATPAY_{n}" for n in needed if not values[n]]
    if not values["PRIVATE_KEY"] and not values["PRIVATE_KEY_FILE"]:
        missing.append("SHEQUN_WECHATPAY_PRIVATE_KEY (or _PRIVATE_KEY_FILE)")
    if missing:
        raise PaymentMethodUnavailable("WeChat Pay is not configured: set " + ", ".join(missing) + ".",
                                       provider="wechat")
    apiv3_key = values["APIV3_KEY"]
    apiv3_key = apiv3_key.encode() if isinstance(apiv3_key, str) else bytes(apiv3_key)
    if len(apiv3_key) != 32:
        raise PaymentMethodUnavailable("SHEQUN_WECHATPAY_APIV3_KEY must be the 32-character APIv3 key.")
    notify_url = values["NOTIFY_URL"] or (getattr(settings, "SHEQUN_PUBLIC_URL", "") or "").rstrip("/") + NOTIFY_PATH
    if not notify_url.startswith("https://") or "?" in notify_url:
        raise PaymentMethodUnavailable(f"WeChat Pay needs an https notify URL without a query, not {notify_url!r}: "
                                       "set SHEQUN_WECHATPAY_NOTIFY_URL or SHEQUN_PUBLIC_URL.")
    base_url = (values["BASE_URL"] or DEFAULT_BASE_URL).rstrip("/")
    if not base_url.startswith("https://"):
        raise PaymentMethodUnavailable(f"SHEQUN_WECHATPAY_BASE_URL must be https, not {base_url!r}.")
    return WechatPayConfig(
        mchid=str(values["MCHID"]), appid=str(values["APPID"]), merchant_serial_no=str(values["SERIAL_NO"]).upper(),
        merchant_private_key_pem=_read_pem(values["PRIVATE_KEY"] or values["PRIVATE_KEY_FILE"], "private key"),
        apiv3_key=apiv3_key, platform_certs=_platform_certs(values["PLATFORM_CERTS"]), notify_url=notify_url,
        base_url=base_url,
    )


def urllib_transport(method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict, bytes]:
    """HTTP with the standard library; an HTTP error status is returned, not raised."""
    request = urllib.request.Request(url, data=body or None, headers=dict(headers), method=method)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


class WechatPayProvider:
    name = "wechat"

    def __init__(self, config: WechatPayConfig, transport: Transport | None = None) -> None:
        self.config = config
        self.transport = transport or urllib_transport
        try:
            self._private_key = wxcrypto.load_private_key(config.merchant_private_key_pem)
            self._platform_keys = {serial.upper(): wxcrypto.load_public_key(pem)
                                   for serial, pem in config.platform_certs.items()}
        except wxcrypto.UnusableKey as exc:
            raise PaymentMethodUnavailable(f"WeChat Pay is misconfigured: {exc}.") from exc
        if not self._platform_keys:
            raise PaymentMethodUnavailable("WeChat Pay needs at least one platform certificate or public key.")

    # --- the provider contract ----------------------------------------------------------------------

    def checkout(self, *, order_no: str, amount_fen: int, description: str, payer_openid: str = "") -> Checkout:
        """Place a JSAPI order (JSAPI下单) and return the parameters for wx.requestPayment / WeixinJSBridge."""
        description = validate_checkout(order_no, amount_fen, description)
        if not isinstance(payer_openid, str) or not payer_openid.strip():
            raise ValidationProblem("WeChat Pay needs the payer's openid (the member must open the page in WeChat).",
                                    type="payer-openid-required", field="payer_openid")
        data = self.request("POST", "/v3/pay/transactions/jsapi", {
            "appid": self.config.appid,
            "mchid": self.config.mchid,
            "description": description,
            "out_trade_no": order_no,
            "notify_url": self.config.notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
            "payer": {"openid": payer_openid},
        })
        prepay_id = data.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise PaymentProviderError("WeChat Pay answered the order without a prepay_id.")
        return Checkout(provider=self.name, params=self.jsapi_params(prepay_id))

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PaidNotice:
        """Verify a payment notification (支付结果通知), decrypt it and read the paid transaction."""
        if not isinstance(body, bytes) or not body or len(body) > MAX_NOTIFICATION_BODY:
            raise InvalidNotification("The WeChat Pay notification body is missing or too large.")
        self._verify_signed(header_map(headers), body, InvalidNotification)
        envelope = _json_object(body, "notification")
        transaction = self._decrypt(envelope)
        event_type, state = envelope.get("event_type"), transaction.get("trade_state")
        order_no = transaction.get("out_trade_no")
        if event_type != "TRANSACTION.SUCCESS" or state != "SUCCESS":
            raise NotPaidNotification(f"WeChat Pay event {event_type!r} with trade_state {state!r} is not a payment.",
                                      order_no=order_no if isinstance(order_no, str) else "", trade_state=state)
        if transaction.get("mchid") != self.config.mchid:
            raise InvalidNotification("The notification is for another merchant (mchid does not match).")
        return self._paid_notice(transaction)

    def refund(self, *, order_no: str, refund_no: str, amount_fen: int, total_fen: int,
               reason: str) -> RefundReceipt:
        """Apply for a refund (申请退款); money goes back to where the member paid from."""
        reason = validate_refund(order_no, refund_no, amount_fen, total_fen, reason)
        if not REFUND_NO_RE.match(refund_no):
            raise ValidationProblem("WeChat Pay refund numbers are 1-64 letters, digits or _-|*@.", field="refund_no")
        payload: dict[str, Any] = {"out_trade_no": order_no, "out_refund_no": refund_no}
        if reason:
            payload["reason"] = reason
        payload["amount"] = {"refund": amount_fen, "total": total_fen, "currency": "CNY"}
        return self._receipt(refund_no, self.request("POST", "/v3/refund/domestic/refunds", payload))

    # --- beyond the contract: reconciling with WeChat Pay -----------------------------------------------

    def query_payment(self, order_no: str) -> tuple[str, PaidNotice | None]:
        """Query an order (查询订单): WeChat's trade_state and, when it is SUCCESS, the paid notice.

        For an order whose notification never came, and before cancelling an unpaid order: USERPAYING
        means the member is paying right now. An order WeChat never saw is ("ORDER_NOT_EXIST", None)."""
        check_order_no(order_no)
        try:
            data = self.request("GET", f"/v3/pay/transactions/out-trade-no/{_quote(order_no)}"
                                       f"?mchid={_quote(self.config.mchid)}")
        except PaymentProviderError as exc:
            if exc.extra.get("provider_code") == "ORDER_NOT_EXIST":
                return "ORDER_NOT_EXIST", None
            raise
        state = data.get("trade_state")
        if not isinstance(state, str) or data.get("out_trade_no") != order_no:
            raise PaymentProviderError(f"WeChat Pay answered the query for {order_no} with another order or "
                                       "without a trade_state.")
        if state != "SUCCESS":
            return state, None
        try:
            return state, self._paid_notice(data)
        except InvalidNotification as exc:
            raise PaymentProviderError(exc.detail) from exc

    def close_order(self, order_no: str) -> None:
        """Close an unpaid order (关闭订单): the member can no longer pay it. Close before cancelling."""
        check_order_no(order_no)
        self.request("POST", f"/v3/pay/transactions/out-trade-no/{_quote(order_no)}/close",
                     {"mchid": self.config.mchid})

    def refund_status(self, refund_no: str) -> RefundReceipt:
        """Query a refund (查询单笔退款), to follow one that was "processing"."""
        if not isinstance(refund_no, str) or not REFUND_NO_RE.match(refund_no):
            raise ValidationProblem("WeChat Pay refund numbers are 1-64 letters, digits or _-|*@.", field="refund_no")
        return self._receipt(refund_no, self.request("GET", f"/v3/refund/domestic/refunds/{_quote(refund_no)}"))

    def _receipt(self, refund_no: str, data: dict) -> RefundReceipt:
        status = REFUND_STATUS.get(data.get("status", ""))
        refund_id = data.get("refund_id")
        if status is None or not isinstance(refund_id, str) or not refund_id:
            raise PaymentProviderError(f"WeChat Pay did not accept refund {refund_no}: status "
                                       f"{data.get('status')!r}; check it in the merchant platform.",
                                       refund_status=data.get("status"))
        return RefundReceipt(provider=self.name, refund_no=refund_no, provider_ref=refund_id, status=status)

    # --- HTTP -----------------------------------------------------------------------------------------

    def request(self, method: str, path_with_query: str, payload: dict | None = None) -> dict:
        """A signed API call; returns the verified JSON answer or raises PaymentProviderError."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode() if payload is not None else b""
        headers = {
            "Authorization": self.authorization(method, path_with_query, body),
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": "Shequn/1.0",
        }
        try:
            status, resp_headers, resp_body = self.transport(method, self.config.base_url + path_with_query,
                                                             headers, body)
        except OSError as exc:
            raise PaymentProviderError(f"Cannot reach WeChat Pay ({exc}); try again shortly.") from exc
        if not 200 <= status < 300:
            raise _provider_error(status, header_map(resp_headers), resp_body)
        self._verify_signed(header_map(resp_headers), resp_body, PaymentProviderError)
        return _json_object(resp_body, "response", PaymentProviderError) if resp_body else {}

    def authorization(self, method: str, path_with_query: str, body: bytes, *, timestamp: str | None = None,
                      nonce: str | None = None) -> str:
        return wxcrypto.authorization(
            mchid=self.config.mchid, serial_no=self.config.merchant_serial_no, private_key=self._private_key,
            method=method, path_with_query=path_with_query, body=body,
            timestamp=timestamp or str(int(clock.now().timestamp())), nonce=nonce or wxcrypto.new_nonce())

    def jsapi_params(self, prepay_id: str, *, timestamp: str | None = None, nonce: str | None = None) -> dict:
        timestamp = timestamp or str(int(clock.now().timestamp()))
        nonce = nonce or wxcrypto.new_nonce()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": self.config.appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package,
            "signType": "RSA",
            "paySign": wxcrypto.jsapi_pay_sign(self._private_key, self.config.appid, timestamp, nonce, package),
        }

    # --- helpers ----------------------------------------------------------------------------------------

    def _verify_signed(self, h: dict[str, str], body: bytes, error: type[Problem]) -> None:
        serial, signature = h.get("wechatpay-serial", "").strip(), h.get("wechatpay-signature", "")
        timestamp, nonce = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", "")
        if not (serial and signature and timestamp and nonce):
            raise error("The WeChat Pay signature headers (Wechatpay-Serial, -Signature, -Timestamp, -Nonce) "
                        "are missing.")
        key = self._platform_keys.get(serial.upper())
        if key is None:
            raise error(f"Unknown WeChat Pay platform certificate serial {serial!r}: add it to "
                        "SHEQUN_WECHATPAY_PLATFORM_CERTS if WeChat Pay rotated its certificate.")
        if not wxcrypto.verify(key, wxcrypto.response_message(timestamp, nonce, body), signature):
            raise error("The WeChat Pay signature does not match the message.")
        check_fresh(timestamp, error)

    def _decrypt(self, envelope: dict) -> dict:
        resource = envelope.get("resource")
        if not isinstance(resource, dict) or resource.get("algorithm") != "AEAD_AES_256_GCM":
            raise InvalidNotification("The notification has no AEAD_AES_256_GCM resource.")
        nonce, associated_data, ciphertext = (resource.get(k) for k in ("nonce", "associated_data", "ciphertext"))
        if not (isinstance(nonce, str) and isinstance(associated_data, str) and isinstance(ciphertext, str)
                and nonce and ciphertext):
            raise InvalidNotification("The notification resource lacks nonce or ciphertext.")
        try:
            plaintext = wxcrypto.decrypt_resource(self.config.apiv3_key, nonce, associated_data, ciphertext)
        except wxcrypto.DecryptError as exc:
            raise InvalidNotification("The notification resource cannot be decrypted: the APIv3 key differs from "
                                      "the one set in the merchant platform, or the message was altered.") from exc
        return _json_object(plaintext, "notification resource")

    def _paid_notice(self, transaction: dict) -> PaidNotice:
        order_no, transaction_id = transaction.get("out_trade_no"), transaction.get("transaction_id")
        amount = transaction.get("amount")
        if not isinstance(order_no, str) or not order_no:
            raise InvalidNotification("The paid transaction lacks out_trade_no.")
        if not isinstance(amount, dict):
            raise InvalidNotification("The paid transaction has no amount.")
        total = amount.get("total")
        if isinstance(total, bool) or not isinstance(total, int) or total <= 0:
            raise InvalidNotification("The paid transaction has no positive amount.total.")
        if amount.get("currency", "CNY") != "CNY":
            raise InvalidNotification(f"The paid transaction is in {amount.get('currency')!r}, not CNY.")
        return PaidNotice(provider=self.name, order_no=order_no, transaction_id=check_transaction_id(transaction_id),
                          amount_fen=total, paid_at=parse_time(transaction.get("success_time")))


def _json_object(raw: bytes, what: str, error: type[Exception] = InvalidNotification) -> dict:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise error(f"The WeChat Pay {what} is not JSON.") from exc
    if not isinstance(data, dict):
        raise error(f"The WeChat Pay {what} is not a JSON object.")
    return data


def _quote(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _provider_error(status: int, headers: dict[str, str], body: bytes) -> PaymentProviderError:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    code, message = data.get("code", f"HTTP_{status}"), data.get("message", "no message")
    return PaymentProviderError(f"WeChat Pay refused the request: {code}: {message}", provider_code=code,
                                provider_status=status, request_id=headers.get("request-id", ""))
