"""WeChat Pay API v3 adapter, offline: keys generated here, notifications built and signed as WeChat does."""

import base64
import datetime as dt
import json
import re
import secrets
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from shequn.commerce.providers import (
    InvalidNotification,
    NotPaidNotification,
    PaidNotice,
    PaymentMethodUnavailable,
    PaymentProviderError,
    get_provider,
)
from shequn.commerce.providers.wechatpay import WechatPayConfig, WechatPayProvider, load_config, urllib_transport
from shequn.core.errors import ValidationProblem

MCHID, APPID = "1230000109", "wxd678efh567hg6787"
MERCHANT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_SERIAL = "2D4E8C3F1A6B9D0E7F5A4B3C2D1E0F9A8B7C6D5E"
APIV3_KEY = b"a3F9kQ2mZ7xW4vL8pR1tY6uH0jN5cB3d"
AUTH_RE = re.compile(r'^WECHATPAY2-SHA256-RSA2048 mchid="(?P<mchid>[^"]+)",nonce_str="(?P<nonce>[^"]+)",'
                     r'signature="(?P<signature>[^"]+)",timestamp="(?P<timestamp>\d+)",serial_no="(?P<serial>[^"]+)"$')


def _pem_private(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _pem_public(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.fixture(scope="module")
def merchant_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def platform_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def config(merchant_key, platform_key):
    return WechatPayConfig(
        mchid=MCHID, appid=APPID, merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key_pem=_pem_private(merchant_key), apiv3_key=APIV3_KEY,
        platform_certs={PLATFORM_SERIAL: _pem_public(platform_key)},
        notify_url="https://shop.example.cn/api/v1/payments/wechat/notify")


class FakeWechat:
    """Answers like api.mch.weixin.qq.com: records each request and signs its response with the platform key."""

    def __init__(self, platform_key, status=200, answer=None, sign=True):
        self.platform_key, self.status, self.answer, self.sign = platform_key, status, answer, sign
        self.calls = []

    def __call__(self, method, url, headers, body):
        self.calls.append({"method": method, "url": url, "headers": dict(headers), "body": body})
        out = json.dumps(self.answer).encode() if self.answer is not None else b""
        if not self.sign:
            return self.status, {"Request-ID": "req-1"}, out
        return self.status, signed_headers(self.platform_key, out), out


def signed_headers(platform_key, body: bytes, *, timestamp=None, nonce=None, serial=PLATFORM_SERIAL) -> dict:
    timestamp = timestamp or str(int(dt.datetime.now(dt.UTC).timestamp()))
    nonce = nonce or secrets.token_hex(16)
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    signature = base64.b64encode(platform_key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
            "Wechatpay-Serial": serial, "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}


def transaction(**overrides) -> dict:
    data = {
        "mchid": MCHID, "appid": APPID, "out_trade_no": "SQ20261123000001",
        "transaction_id": "4200002026112312345678901234", "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "bank_type": "CMB_DEBIT", "attach": "",
        "success_time": "2026-11-23T19:20:05+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 12345, "payer_total": 12000, "currency": "CNY", "payer_currency": "CNY"},
    }
    data.update(overrides)
    return data


def notification(platform_key, txn: dict, *, key=APIV3_KEY, event_type="TRANSACTION.SUCCESS", **sign_kw):
    """A notification exactly as WeChat Pay posts it: AES-256-GCM resource, RSA-signed headers."""
    nonce = secrets.token_urlsafe(9)[:12]
    plaintext = json.dumps(txn, ensure_ascii=False).encode()
    ciphertext = base64.b64encode(AESGCM(key).encrypt(nonce.encode(), plaintext, b"transaction")).decode()
    body = json.dumps({
        "id": "EV-2026112319200501", "create_time": "2026-11-23T19:20:06+08:00",
        "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                     "associated_data": "transaction", "nonce": nonce},
    }, ensure_ascii=False).encode()
    return signed_headers(platform_key, body, **sign_kw), body


def _verify_with(public_key, signature_b64: str, message: bytes) -> None:
    public_key.verify(base64.b64decode(signature_b64), message, padding.PKCS1v15(), hashes.SHA256())


# --- notifications --------------------------------------------------------------------------------------


def test_valid_notification_gives_paid_notice(config, platform_key):
    headers, body = notification(platform_key, transaction())
    notice = WechatPayProvider(config).parse_notification(headers, body)
    assert notice == PaidNotice(provider="wechat", order_no="SQ20261123000001",
                                transaction_id="4200002026112312345678901234", amount_fen=12345,
                                paid_at=dt.datetime(2026, 11, 23, 11, 20, 5, tzinfo=dt.UTC))
    assert notice.paid_at.utcoffset() == dt.timedelta(0)


def test_headers_in_any_form_are_read(config, platform_key):
    headers, body = notification(platform_key, transaction())
    provider = WechatPayProvider(config)
    lower = {k.lower(): v for k, v in headers.items()}
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    assert provider.parse_notification(lower, body) == provider.parse_notification(meta, body)


def test_same_notification_twice_gives_the_same_transaction_id(config, platform_key):
    headers, body = notification(platform_key, transaction())
    provider = WechatPayProvider(config)
    assert provider.parse_notification(headers, body) == provider.parse_notification(headers, body)


def test_tampered_body_is_rejected(config, platform_key):
    headers, body = notification(platform_key, transaction())
    tampered = body.replace(b'"summary": "', b'"summary": "x')
    assert tampered != body
    with pytest.raises(InvalidNotification, match="signature does not match"):
        WechatPayProvider(config).parse_notification(headers, tampered)


def test_signature_by_another_key_is_rejected(config):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    headers, body = notification(impostor, transaction())
    with pytest.raises(InvalidNotification) as err:
        WechatPayProvider(config).parse_notification(headers, body)
    assert err.value.status == 400 and err.value.type == "invalid-notification"


@pytest.mark.parametrize("signature", ["", "not base64 at all!", "WECHATPAY/SIGNTEST/" + "A" * 40])
def test_garbage_signature_is_rejected(config, platform_key, signature):
    headers, body = notification(platform_key, transaction())
    headers["Wechatpay-Signature"] = signature
    with pytest.raises(InvalidNotification):
        WechatPayProvider(config).parse_notification(headers, body)


def test_unknown_serial_is_rejected(config, platform_key):
    headers, body = notification(platform_key, transaction(), serial="FFFF0000FFFF0000")
    with pytest.raises(InvalidNotification, match="Unknown WeChat Pay platform certificate serial"):
        WechatPayProvider(config).parse_notification(headers, body)


@pytest.mark.parametrize("age", [-301, 301, 3600])
def test_timestamp_more_than_five_minutes_off_is_rejected(config, platform_key, age):
    stale = str(int(dt.datetime.now(dt.UTC).timestamp()) - age)
    headers, body = notification(platform_key, transaction(), timestamp=stale)
    with pytest.raises(InvalidNotification, match="more than 5 minutes"):
        WechatPayProvider(config).parse_notification(headers, body)


def test_timestamp_within_window_is_accepted(config, platform_key):
    recent = str(int(dt.datetime.now(dt.UTC).timestamp()) - 200)
    headers, body = notification(platform_key, transaction(), timestamp=recent)
    assert WechatPayProvider(config).parse_notification(headers, body).amount_fen == 12345


def test_wrong_apiv3_key_is_rejected(config, platform_key):
    headers, body = notification(platform_key, transaction(), key=b"Z" * 32)
    with pytest.raises(InvalidNotification, match="cannot be decrypted"):
        WechatPayProvider(config).parse_notification(headers, body)


def test_bad_ciphertext_is_rejected(config, platform_key):
    _, body = notification(platform_key, transaction())
    envelope = json.loads(body)
    sealed = bytearray(base64.b64decode(envelope["resource"]["ciphertext"]))
    sealed[5] ^= 0x01  # one flipped bit: the GCM tag no longer matches
    envelope["resource"]["ciphertext"] = base64.b64encode(bytes(sealed)).decode()
    body = json.dumps(envelope).encode()
    with pytest.raises(InvalidNotification, match="cannot be decrypted"):
        WechatPayProvider(config).parse_notification(signed_headers(platform_key, body), body)


@pytest.mark.parametrize("resource", [
    None, "text", {"algorithm": "AES_128_CBC", "nonce": "n", "ciphertext": "c", "associated_data": ""},
    {"algorithm": "AEAD_AES_256_GCM", "nonce": "", "ciphertext": "abc", "associated_data": ""},
    {"algorithm": "AEAD_AES_256_GCM", "nonce": "abcdefabcdef", "ciphertext": "%%%", "associated_data": ""},
])
def test_malformed_resource_is_rejected(config, platform_key, resource):
    body = json.dumps({"event_type": "TRANSACTION.SUCCESS", "resource": resource}).encode()
    with pytest.raises(InvalidNotification):
        WechatPayProvider(config).parse_notification(signed_headers(platform_key, body), body)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", "{\"a\": \"\xff\"}".encode("latin-1"), b""])
def test_unreadable_body_is_rejected(config, platform_key, body):
    with pytest.raises(InvalidNotification):
        WechatPayProvider(config).parse_notification(signed_headers(platform_key, body), body)


def test_missing_headers_are_rejected(config, platform_key):
    headers, body = notification(platform_key, transaction())
    for name in ("Wechatpay-Serial", "Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce"):
        partial = {k: v for k, v in headers.items() if k != name}
        with pytest.raises(InvalidNotification, match="missing"):
            WechatPayProvider(config).parse_notification(partial, body)


@pytest.mark.parametrize("state", ["CLOSED", "REFUND", "NOTPAY", "PAYERROR"])
def test_authentic_but_unpaid_notification_is_not_a_paid_notice(config, platform_key, state):
    headers, body = notification(platform_key, transaction(trade_state=state))
    with pytest.raises(NotPaidNotification) as err:
        WechatPayProvider(config).parse_notification(headers, body)
    assert err.value.type == "notification-not-paid"
    assert err.value.extra == {"order_no": "SQ20261123000001", "trade_state": state}
    assert isinstance(err.value, InvalidNotification)


def test_refund_event_is_not_a_paid_notice(config, platform_key):
    headers, body = notification(platform_key, transaction(), event_type="REFUND.SUCCESS")
    with pytest.raises(NotPaidNotification):
        WechatPayProvider(config).parse_notification(headers, body)


@pytest.mark.parametrize("overrides", [
    {"mchid": "1999999999"},
    {"amount": {"total": 0, "currency": "CNY"}},
    {"amount": {"total": "12345", "currency": "CNY"}},
    {"amount": {"total": 100, "currency": "USD"}},
    {"amount": None},
    {"transaction_id": ""},
    {"transaction_id": "4" * 65},
    {"out_trade_no": None},
    {"success_time": "2026-11-23 19:20:05"},
    {"success_time": "yesterday"},
])
def test_paid_transaction_with_bad_fields_is_rejected(config, platform_key, overrides):
    headers, body = notification(platform_key, transaction(**overrides))
    with pytest.raises(InvalidNotification):
        WechatPayProvider(config).parse_notification(headers, body)


def test_platform_certificate_pem_is_accepted(config, platform_key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(platform_key.public_key())
            .serial_number(int(PLATFORM_SERIAL, 16)).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(platform_key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    provider = WechatPayProvider(WechatPayConfig(**{**config.__dict__, "platform_certs": {PLATFORM_SERIAL: pem}}))
    headers, body = notification(platform_key, transaction())
    assert provider.parse_notification(headers, body).order_no == "SQ20261123000001"


# --- requests -------------------------------------------------------------------------------------------


def test_checkout_signs_the_request_and_returns_jsapi_params(config, merchant_key, platform_key):
    fake = FakeWechat(platform_key, answer={"prepay_id": "wx201410272009395522657a690389285100"})
    checkout = WechatPayProvider(config, transport=fake).checkout(
        order_no="SQ20261123000001", amount_fen=12345, description="社群团购-阳澄湖大闸蟹", payer_openid="oUpF8uMu")
    (call,) = fake.calls
    assert call["method"] == "POST"
    assert call["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/jsapi"
    assert json.loads(call["body"]) == {
        "appid": APPID, "mchid": MCHID, "description": "社群团购-阳澄湖大闸蟹", "out_trade_no": "SQ20261123000001",
        "notify_url": "https://shop.example.cn/api/v1/payments/wechat/notify",
        "amount": {"total": 12345, "currency": "CNY"}, "payer": {"openid": "oUpF8uMu"}}
    auth = AUTH_RE.match(call["headers"]["Authorization"])
    assert auth, call["headers"]["Authorization"]
    assert auth["mchid"] == MCHID and auth["serial"] == MERCHANT_SERIAL and len(auth["nonce"]) == 32
    assert abs(int(auth["timestamp"]) - dt.datetime.now(dt.UTC).timestamp()) < 60
    message = (f"POST\n/v3/pay/transactions/jsapi\n{auth['timestamp']}\n{auth['nonce']}\n".encode()
               + call["body"] + b"\n")
    _verify_with(merchant_key.public_key(), auth["signature"], message)  # raises if it does not verify
    with pytest.raises(InvalidSignature):
        _verify_with(merchant_key.public_key(), auth["signature"], message.replace(b"12345", b"12346"))
    assert call["headers"]["User-Agent"] and call["headers"]["Accept"] == "application/json"

    params = checkout.params
    assert checkout.provider == "wechat"
    assert set(params) == {"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["appId"] == APPID and params["signType"] == "RSA"
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    pay_message = f"{APPID}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n".encode()
    _verify_with(merchant_key.public_key(), params["paySign"], pay_message)


def test_checkout_needs_the_payer_openid(config, platform_key):
    fake = FakeWechat(platform_key, answer={"prepay_id": "wx1"})
    with pytest.raises(ValidationProblem) as err:
        WechatPayProvider(config, transport=fake).checkout(order_no="SQ20261123000001", amount_fen=100,
                                                           description="会员卡")
    assert err.value.type == "payer-openid-required" and fake.calls == []


def test_response_with_a_bad_signature_is_not_trusted(config, platform_key):
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    for fake in (FakeWechat(impostor, answer={"prepay_id": "wx1"}), FakeWechat(platform_key, sign=False)):
        with pytest.raises(PaymentProviderError) as err:
            WechatPayProvider(config, transport=fake).checkout(
                order_no="SQ20261123000001", amount_fen=100, description="会员卡", payer_openid="o1")
        assert err.value.status == 502 and err.value.type == "payment-provider-error"


def test_answer_without_prepay_id_is_an_error(config, platform_key):
    fake = FakeWechat(platform_key, answer={})
    with pytest.raises(PaymentProviderError, match="prepay_id"):
        WechatPayProvider(config, transport=fake).checkout(
            order_no="SQ20261123000001", amount_fen=100, description="会员卡", payer_openid="o1")


def test_wechat_error_code_and_message_reach_the_problem(config, platform_key):
    fake = FakeWechat(platform_key, status=400, sign=False,
                      answer={"code": "ORDER_CLOSED", "message": "该订单已关闭"})
    with pytest.raises(PaymentProviderError) as err:
        WechatPayProvider(config, transport=fake).checkout(
            order_no="SQ20261123000001", amount_fen=100, description="会员卡", payer_openid="o1")
    problem = err.value.body()
    assert problem["status"] == 502 and problem["type"] == "payment-provider-error"
    assert "ORDER_CLOSED" in problem["detail"] and "该订单已关闭" in problem["detail"]
    assert problem["provider_code"] == "ORDER_CLOSED" and problem["provider_status"] == 400
    assert problem["request_id"] == "req-1"


def test_network_failure_is_a_provider_error(config):
    def down(method, url, headers, body):
        raise ConnectionRefusedError("connection refused")

    with pytest.raises(PaymentProviderError, match="Cannot reach WeChat Pay"):
        WechatPayProvider(config, transport=down).refund(order_no="SQ20261123000001", refund_no="R1",
                                                         amount_fen=1, total_fen=2, reason="")


@pytest.mark.parametrize(("status", "mapped"), [("SUCCESS", "succeeded"), ("PROCESSING", "processing")])
def test_refund_request_and_status(config, merchant_key, platform_key, status, mapped):
    fake = FakeWechat(platform_key, answer={"refund_id": "50000000382019052709732678859", "status": status,
                                            "out_refund_no": "RF20261123000001"})
    receipt = WechatPayProvider(config, transport=fake).refund(
        order_no="SQ20261123000001", refund_no="RF20261123000001", amount_fen=2000, total_fen=12345,
        reason="商品缺货")
    assert receipt.provider == "wechat" and receipt.refund_no == "RF20261123000001"
    assert receipt.provider_ref == "50000000382019052709732678859" and receipt.status == mapped
    (call,) = fake.calls
    assert call["url"] == "https://api.mch.weixin.qq.com/v3/refund/domestic/refunds"
    assert json.loads(call["body"]) == {"out_trade_no": "SQ20261123000001", "out_refund_no": "RF20261123000001",
                                        "reason": "商品缺货",
                                        "amount": {"refund": 2000, "total": 12345, "currency": "CNY"}}
    auth = AUTH_RE.match(call["headers"]["Authorization"])
    _verify_with(merchant_key.public_key(), auth["signature"],
                 f"POST\n/v3/refund/domestic/refunds\n{auth['timestamp']}\n{auth['nonce']}\n".encode()
                 + call["body"] + b"\n")


def test_long_description_and_reason_are_cut_to_wechat_limits(config, platform_key):
    fake = FakeWechat(platform_key, answer={"prepay_id": "wx1", "refund_id": "5000", "status": "SUCCESS"})
    provider = WechatPayProvider(config, transport=fake)
    provider.checkout(order_no="SQ20261123000001", amount_fen=100, description="阳澄湖大闸蟹" * 30, payer_openid="o1")
    provider.refund(order_no="SQ20261123000001", refund_no="R1", amount_fen=1, total_fen=2, reason="不想要了" * 50)
    description = json.loads(fake.calls[0]["body"])["description"]
    assert len(description.encode()) <= 127 and description.endswith("…")
    assert len(json.loads(fake.calls[1]["body"])["reason"]) == 80


@pytest.mark.parametrize("status", ["CLOSED", "ABNORMAL", None])
def test_refund_not_accepted_is_an_error(config, platform_key, status):
    fake = FakeWechat(platform_key, answer={"refund_id": "5000", "status": status})
    with pytest.raises(PaymentProviderError, match="did not accept refund"):
        WechatPayProvider(config, transport=fake).refund(order_no="SQ20261123000001", refund_no="R1",
                                                         amount_fen=1, total_fen=2, reason="")


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount_fen": 3, "total_fen": 2}, "amount_fen"),
    ({"amount_fen": 0}, "amount_fen"),
    ({"amount_fen": 1.5}, "amount_fen"),
    ({"refund_no": ""}, "refund_no"),
    ({"order_no": "SQ 1"}, "order_no"),
    ({"refund_no": "退款1"}, "refund_no"),
    ({"refund_no": "late-offline:SQ1"}, "refund_no"),
])
def test_bad_refund_input_sends_nothing(config, platform_key, kwargs, field):
    fake = FakeWechat(platform_key, answer={"refund_id": "5000", "status": "SUCCESS"})
    args = {"order_no": "SQ20261123000001", "refund_no": "R1", "amount_fen": 1, "total_fen": 2, "reason": "", **kwargs}
    with pytest.raises(ValidationProblem) as err:
        WechatPayProvider(config, transport=fake).refund(**args)
    assert err.value.extra["field"] == field and fake.calls == []


# --- reconciling: query, close, refund status ----------------------------------------------------------


def _signed_get(call, merchant_key, path):
    assert call["method"] == "GET" and call["body"] == b""
    assert call["url"] == "https://api.mch.weixin.qq.com" + path
    auth = AUTH_RE.match(call["headers"]["Authorization"])
    _verify_with(merchant_key.public_key(), auth["signature"],
                 f"GET\n{path}\n{auth['timestamp']}\n{auth['nonce']}\n\n".encode())


def test_query_payment_of_a_paid_order(config, merchant_key, platform_key):
    fake = FakeWechat(platform_key, answer=transaction())
    state, notice = WechatPayProvider(config, transport=fake).query_payment("SQ20261123000001")
    assert state == "SUCCESS"
    assert (notice.order_no, notice.transaction_id, notice.amount_fen) == (
        "SQ20261123000001", "4200002026112312345678901234", 12345)
    _signed_get(fake.calls[0], merchant_key, "/v3/pay/transactions/out-trade-no/SQ20261123000001?mchid=1230000109")


@pytest.mark.parametrize("state", ["NOTPAY", "USERPAYING", "CLOSED", "REFUND"])
def test_query_payment_of_an_unpaid_order(config, platform_key, state):
    fake = FakeWechat(platform_key, answer=transaction(trade_state=state))
    assert WechatPayProvider(config, transport=fake).query_payment("SQ20261123000001") == (state, None)


def test_query_payment_of_an_order_wechat_never_saw(config, platform_key):
    fake = FakeWechat(platform_key, status=404, answer={"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
    assert WechatPayProvider(config, transport=fake).query_payment("SQ20261123000001") == ("ORDER_NOT_EXIST", None)


@pytest.mark.parametrize("answer", [transaction(out_trade_no="SQ20261123000999"), transaction(trade_state=None),
                                    transaction(amount={"total": -1, "currency": "CNY"})])
def test_query_payment_with_an_answer_that_does_not_fit(config, platform_key, answer):
    with pytest.raises(PaymentProviderError):
        WechatPayProvider(config, transport=FakeWechat(platform_key, answer=answer)).query_payment("SQ20261123000001")


def test_close_order(config, merchant_key, platform_key):
    fake = FakeWechat(platform_key, status=204)
    assert WechatPayProvider(config, transport=fake).close_order("SQ20261123000001") is None
    (call,) = fake.calls
    assert call["url"] == "https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/SQ20261123000001/close"
    assert json.loads(call["body"]) == {"mchid": MCHID}
    closed = FakeWechat(platform_key, status=400, answer={"code": "ORDERPAID", "message": "订单已支付"})
    with pytest.raises(PaymentProviderError, match="ORDERPAID"):
        WechatPayProvider(config, transport=closed).close_order("SQ20261123000001")


@pytest.mark.parametrize(("status", "mapped"), [("SUCCESS", "succeeded"), ("PROCESSING", "processing"),
                                                ("ABNORMAL", None)])
def test_refund_status(config, merchant_key, platform_key, status, mapped):
    fake = FakeWechat(platform_key, answer={"refund_id": "50000000382019052709732678859", "status": status})
    provider = WechatPayProvider(config, transport=fake)
    if mapped is None:
        with pytest.raises(PaymentProviderError) as err:
            provider.refund_status("RF20261123000001")
        assert err.value.extra["refund_status"] == "ABNORMAL"
    else:
        assert provider.refund_status("RF20261123000001").status == mapped
    _signed_get(fake.calls[0], merchant_key, "/v3/refund/domestic/refunds/RF20261123000001")


def test_path_characters_are_escaped_and_signed_as_sent(config, merchant_key, platform_key):
    fake = FakeWechat(platform_key, answer={"refund_id": "5000", "status": "SUCCESS"})
    WechatPayProvider(config, transport=fake).refund_status("RF|1*@")
    _signed_get(fake.calls[0], merchant_key, "/v3/refund/domestic/refunds/RF%7C1%2A%40")


# --- configuration and the default transport ------------------------------------------------------------

WECHAT_SETTINGS = ("MCHID", "APPID", "SERIAL_NO", "PRIVATE_KEY", "PRIVATE_KEY_FILE", "APIV3_KEY",
                   "PLATFORM_CERTS", "NOTIFY_URL", "BASE_URL")


@pytest.fixture
def no_wechat_env(monkeypatch, settings):
    for name in WECHAT_SETTINGS:
        monkeypatch.delenv(f"SHEQUN_WECHATPAY_{name}", raising=False)
        if hasattr(settings, f"SHEQUN_WECHATPAY_{name}"):
            delattr(settings, f"SHEQUN_WECHATPAY_{name}")
    settings.SHEQUN_PUBLIC_URL = "https://shop.example.cn"
    return monkeypatch


def test_not_configured_says_what_to_set(no_wechat_env):
    with pytest.raises(PaymentMethodUnavailable) as err:
        get_provider("wechat")
    assert err.value.type == "payment-method-unavailable"
    assert "SHEQUN_WECHATPAY_MCHID" in err.value.detail and "SHEQUN_WECHATPAY_APIV3_KEY" in err.value.detail


def test_configured_from_environment_with_files(no_wechat_env, tmp_path, merchant_key, platform_key):
    (tmp_path / "apiclient_key.pem").write_text(_pem_private(merchant_key))
    (tmp_path / "platform.pem").write_text(_pem_public(platform_key))
    env = {"MCHID": MCHID, "APPID": APPID, "SERIAL_NO": MERCHANT_SERIAL.lower(), "APIV3_KEY": APIV3_KEY.decode(),
           "PRIVATE_KEY_FILE": str(tmp_path / "apiclient_key.pem"),
           "PLATFORM_CERTS": f"{PLATFORM_SERIAL.lower()}={tmp_path / 'platform.pem'}"}
    for name, value in env.items():
        no_wechat_env.setenv(f"SHEQUN_WECHATPAY_{name}", value)
    provider = get_provider("wechat")
    assert provider.config.notify_url == "https://shop.example.cn/api/v1/payments/wechat/notify"
    assert provider.config.merchant_serial_no == MERCHANT_SERIAL
    headers, body = notification(platform_key, transaction())
    assert provider.parse_notification(headers, body).amount_fen == 12345


def test_configured_from_settings(no_wechat_env, settings, merchant_key, platform_key):
    settings.SHEQUN_WECHATPAY_MCHID, settings.SHEQUN_WECHATPAY_APPID = MCHID, APPID
    settings.SHEQUN_WECHATPAY_SERIAL_NO, settings.SHEQUN_WECHATPAY_APIV3_KEY = MERCHANT_SERIAL, APIV3_KEY
    settings.SHEQUN_WECHATPAY_PRIVATE_KEY = _pem_private(merchant_key)
    settings.SHEQUN_WECHATPAY_PLATFORM_CERTS = {PLATFORM_SERIAL: _pem_public(platform_key)}
    settings.SHEQUN_WECHATPAY_NOTIFY_URL = "https://pay.example.cn/notify/wechat"
    settings.SHEQUN_WECHATPAY_BASE_URL = "https://api2.mch.weixin.qq.com/"
    config = load_config()
    assert config.notify_url == "https://pay.example.cn/notify/wechat"
    assert config.base_url == "https://api2.mch.weixin.qq.com"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("APIV3_KEY", "too-short", "32-character"),
    ("NOTIFY_URL", "http://shop.example.cn/notify", "https notify URL"),
    ("NOTIFY_URL", "https://shop.example.cn/notify?x=1", "without a query"),
    ("BASE_URL", "http://api.mch.weixin.qq.com", "must be https"),
    ("PRIVATE_KEY", "/nonexistent/key.pem", "cannot be read"),
    ("PRIVATE_KEY", "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----", "merchant private key"),
    ("PRIVATE_KEY_FILE", "/nonexistent/apiclient_key.pem", "cannot be read"),
    ("PLATFORM_CERTS", "no-equals-sign", "SERIAL=/path"),
])
def test_misconfiguration_is_explained(no_wechat_env, merchant_key, platform_key, tmp_path, name, value, message):
    (tmp_path / "platform.pem").write_text(_pem_public(platform_key))
    env = {"MCHID": MCHID, "APPID": APPID, "SERIAL_NO": MERCHANT_SERIAL, "APIV3_KEY": APIV3_KEY.decode(),
           "PRIVATE_KEY": _pem_private(merchant_key),
           "PLATFORM_CERTS": f"{PLATFORM_SERIAL}={tmp_path / 'platform.pem'}"}
    if name == "PRIVATE_KEY_FILE":
        del env["PRIVATE_KEY"]
    env[name] = value
    for key, val in env.items():
        no_wechat_env.setenv(f"SHEQUN_WECHATPAY_{key}", val)
    with pytest.raises(PaymentMethodUnavailable, match=message):
        get_provider("wechat")


class _Handler(BaseHTTPRequestHandler):
    seen: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.seen.append((self.path, dict(self.headers), body))
        status = 200 if self.path.endswith("/ok") else 403
        payload = b'{"ok":true}' if status == 200 else b'{"code":"NO_AUTH","message":"denied"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_urllib_transport_returns_status_headers_and_body_for_success_and_errors():
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        status, headers, body = urllib_transport("POST", base + "/v3/ok", {"Authorization": "x"}, b'{"a":1}')
        assert (status, body) == (200, b'{"ok":true}') and headers["Content-Type"] == "application/json"
        status, _, body = urllib_transport("POST", base + "/v3/denied", {}, b"{}")
        assert status == 403 and b"NO_AUTH" in body
        path, sent_headers, sent_body = _Handler.seen[0]
        assert path == "/v3/ok" and sent_headers["Authorization"] == "x" and sent_body == b'{"a":1}'
    finally:
        server.shutdown()
        server.server_close()
