"""Offline and sandbox providers, get_provider and the input checks every provider shares."""

import datetime as dt
import json

import pytest

from shequn.commerce.providers import (
    Checkout,
    InvalidNotification,
    PaidNotice,
    RefundReceipt,
    UnknownPaymentMethod,
    get_provider,
)
from shequn.commerce.providers.sandbox import SandboxProvider, sign_notification, signature, transaction_id_for
from shequn.core import clock
from shequn.core.errors import ValidationProblem

ORDER = "SQ20261123000001"


@pytest.fixture(autouse=True)
def sandbox_secret(settings):
    settings.SHEQUN_SANDBOX_PAY_SECRET = "sandbox-test-secret"


def test_get_provider_by_name():
    assert get_provider("offline").name == "offline"
    assert get_provider("sandbox").name == "sandbox"


@pytest.mark.parametrize("name", ["alipay", "", "Sandbox", None])
def test_unknown_payment_method(name):
    with pytest.raises(UnknownPaymentMethod) as err:
        get_provider(name)
    assert err.value.status == 422 and err.value.type == "unknown-payment-method"
    assert "offline, sandbox, wechat" in err.value.detail


# --- offline --------------------------------------------------------------------------------------------


def test_offline_checkout_and_refund():
    provider = get_provider("offline")
    assert provider.checkout(order_no=ORDER, amount_fen=990, description="到店自提") == Checkout("offline", {})
    receipt = provider.refund(order_no=ORDER, refund_no="RF1", amount_fen=990, total_fen=990, reason="")
    assert receipt == RefundReceipt(provider="offline", refund_no="RF1", provider_ref="RF1",
                                    status="succeeded")


def test_offline_has_no_notifications():
    headers, body = sign_notification(ORDER, 990)
    with pytest.raises(InvalidNotification, match="no notifications"):
        get_provider("offline").parse_notification(headers, body)


# --- sandbox --------------------------------------------------------------------------------------------


def test_sandbox_checkout_gives_the_pay_page():
    checkout = get_provider("sandbox").checkout(order_no=ORDER, amount_fen=12345, description="大闸蟹礼盒")
    assert checkout == Checkout("sandbox", {"pay_url": f"/m/pay/sandbox/{ORDER}/"})


def test_sign_then_parse_round_trip():
    paid_at = dt.datetime(2026, 11, 23, 19, 20, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    headers, body = sign_notification(ORDER, 12345, transaction_id="SBX-T-1", paid_at=paid_at)
    assert set(headers) >= {"X-Sandbox-Signature", "X-Sandbox-Timestamp", "X-Sandbox-Nonce"}
    assert json.loads(body)["amount_fen"] == 12345
    notice = SandboxProvider().parse_notification(headers, body)
    assert notice == PaidNotice(provider="sandbox", order_no=ORDER, transaction_id="SBX-T-1", amount_fen=12345,
                                paid_at=dt.datetime(2026, 11, 23, 11, 20, 5, tzinfo=dt.UTC))


def test_default_transaction_id_is_stable_per_order():
    first = SandboxProvider().parse_notification(*sign_notification(ORDER, 100))
    again = SandboxProvider().parse_notification(*sign_notification(ORDER, 100))
    other = SandboxProvider().parse_notification(*sign_notification("SQ20261123000002", 100))
    assert first.transaction_id == again.transaction_id == transaction_id_for(ORDER)
    assert other.transaction_id != first.transaction_id
    assert abs(first.paid_at - clock.now()) < dt.timedelta(seconds=5)


def test_request_headers_and_meta_are_both_read():
    headers, body = sign_notification(ORDER, 100)
    meta = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}
    assert SandboxProvider().parse_notification(meta, body).order_no == ORDER


@pytest.mark.parametrize("change", [
    lambda h, b: (h, b.replace(b"12345", b"99999")),
    lambda h, b: ({**h, "X-Sandbox-Nonce": "other"}, b),
    lambda h, b: ({**h, "X-Sandbox-Timestamp": str(int(h["X-Sandbox-Timestamp"]) + 1)}, b),
    lambda h, b: ({**h, "X-Sandbox-Signature": "0" * 64}, b),
    lambda h, b: ({k: v for k, v in h.items() if k != "X-Sandbox-Signature"}, b),
    lambda h, b: ({k: v for k, v in h.items() if k != "X-Sandbox-Nonce"}, b),
])
def test_tampered_notification_is_rejected(change):
    headers, body = change(*sign_notification(ORDER, 12345))
    with pytest.raises(InvalidNotification):
        SandboxProvider().parse_notification(headers, body)


def test_signature_with_another_secret_is_rejected(settings):
    headers, body = sign_notification(ORDER, 12345)
    settings.SHEQUN_SANDBOX_PAY_SECRET = "rotated-secret"
    with pytest.raises(InvalidNotification, match="signature does not match"):
        SandboxProvider().parse_notification(headers, body)


def test_default_secret_comes_from_secret_key(settings):
    del settings.SHEQUN_SANDBOX_PAY_SECRET
    headers, body = sign_notification(ORDER, 100)
    assert SandboxProvider().parse_notification(headers, body).order_no == ORDER
    settings.SECRET_KEY = "another-installation"
    with pytest.raises(InvalidNotification):
        SandboxProvider().parse_notification(headers, body)


@pytest.mark.parametrize("seconds", [-301, 301, 86400])
def test_stale_or_future_notification_is_rejected(monkeypatch, seconds):
    real_now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real_now - dt.timedelta(seconds=seconds))
    headers, body = sign_notification(ORDER, 100)
    monkeypatch.setattr(clock, "now", lambda: real_now)
    with pytest.raises(InvalidNotification, match="more than 5 minutes"):
        SandboxProvider().parse_notification(headers, body)


def test_notification_four_minutes_old_is_accepted(monkeypatch):
    real_now = clock.now()
    monkeypatch.setattr(clock, "now", lambda: real_now - dt.timedelta(minutes=4))
    headers, body = sign_notification(ORDER, 100)
    monkeypatch.setattr(clock, "now", lambda: real_now)
    assert SandboxProvider().parse_notification(headers, body).amount_fen == 100


def _signed(body: bytes) -> tuple[dict, bytes]:
    timestamp = str(int(clock.now().timestamp()))
    return {"X-Sandbox-Timestamp": timestamp, "X-Sandbox-Nonce": "n1",
            "X-Sandbox-Signature": signature(timestamp, "n1", body)}, body


@pytest.mark.parametrize("body", [
    b"not json", b"[]", b"\xff\xfe", json.dumps({"order_no": ORDER}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "T", "amount_fen": 100, "paid_at": "2026-11-23T11:00:00Z",
                "status": "failed"}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "T", "amount_fen": 1.5, "paid_at": "2026-11-23T11:00:00Z",
                "status": "paid"}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "T", "amount_fen": True, "paid_at": "2026-11-23T11:00:00Z",
                "status": "paid"}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "", "amount_fen": 100, "paid_at": "2026-11-23T11:00:00Z",
                "status": "paid"}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "T" * 65, "amount_fen": 100, "paid_at": "2026-11-23T11:00:00Z",
                "status": "paid"}).encode(),
    json.dumps({"order_no": ORDER, "transaction_id": "T", "amount_fen": 100, "paid_at": "2026-11-23 11:00:00",
                "status": "paid"}).encode(),
    b"{" + b" " * 5000 + b"}",
])
def test_malformed_but_signed_body_is_rejected(body):
    with pytest.raises(InvalidNotification):
        SandboxProvider().parse_notification(*_signed(body))


@pytest.mark.parametrize("timestamp", ["soon", "", "-1", "1.5e9", "９９９", "999999999999", "1" * 400])
def test_garbage_timestamp_is_rejected(timestamp):
    body = b"{}"
    headers = {"X-Sandbox-Timestamp": timestamp, "X-Sandbox-Nonce": "n",
               "X-Sandbox-Signature": signature(timestamp, "n", body)}
    with pytest.raises(InvalidNotification, match="Unix seconds"):
        SandboxProvider().parse_notification(headers, body)


def test_sandbox_refund_succeeds_at_once_with_a_stable_reference():
    first = SandboxProvider().refund(order_no=ORDER, refund_no="RF1", amount_fen=100, total_fen=12345, reason="缺货")
    again = SandboxProvider().refund(order_no=ORDER, refund_no="RF1", amount_fen=100, total_fen=12345, reason="缺货")
    assert first == again and first.status == "succeeded" and first.provider_ref.startswith("SBXR")


# --- input checks shared by every provider --------------------------------------------------------------


@pytest.mark.parametrize("name", ["offline", "sandbox"])
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"order_no": "SQ1"}, "order_no"),
    ({"order_no": "SQ 2026 1123"}, "order_no"),
    ({"order_no": "订单20261123"}, "order_no"),
    ({"order_no": "S" * 33}, "order_no"),
    ({"amount_fen": 0}, "amount_fen"),
    ({"amount_fen": -100}, "amount_fen"),
    ({"amount_fen": 12.3}, "amount_fen"),
    ({"amount_fen": "100"}, "amount_fen"),
    ({"amount_fen": True}, "amount_fen"),
    ({"amount_fen": 10**11}, "amount_fen"),
    ({"description": ""}, "description"),
    ({"description": "   "}, "description"),
    ({"description": None}, "description"),
])
def test_bad_checkout_input(name, kwargs, field):
    args = {"order_no": ORDER, "amount_fen": 100, "description": "会员年卡", **kwargs}
    with pytest.raises(ValidationProblem) as err:
        get_provider(name).checkout(**args)
    assert err.value.status == 422 and err.value.extra["field"] == field


def test_long_description_is_cut_not_refused():
    from shequn.commerce.providers.base import validate_checkout

    assert validate_checkout(ORDER, 1, "大" * 42) == "大" * 42  # 126 bytes: fits
    cut = validate_checkout(ORDER, 1, "大" * 43)
    assert cut == "大" * 41 + "…" and len(cut.encode()) == 126
    assert len(validate_checkout(ORDER, 1, "a大" * 10_000).encode()) <= 127
    assert validate_checkout(ORDER, 1, " 大闸蟹\n礼盒  ") == "大闸蟹 礼盒"
    assert get_provider("sandbox").checkout(order_no=ORDER, amount_fen=1, description="大" * 300).params


def test_long_reason_is_cut_not_refused():
    from shequn.commerce.providers.base import validate_refund

    assert validate_refund(ORDER, "RF1", 1, 1, "缺" * 80) == "缺" * 80
    assert validate_refund(ORDER, "RF1", 1, 1, "缺" * 200) == "缺" * 79 + "…"
    assert validate_refund(ORDER, "late-offline:SQ1", 1, 1, "") == ""


@pytest.mark.parametrize("name", ["offline", "sandbox"])
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"amount_fen": 101, "total_fen": 100}, "amount_fen"),
    ({"total_fen": 0}, "total_fen"),
    ({"refund_no": ""}, "refund_no"),
    ({"refund_no": "R" * 65}, "refund_no"),
    ({"refund_no": "RF 1"}, "refund_no"),
    ({"refund_no": None}, "refund_no"),
    ({"reason": None}, "reason"),
])
def test_bad_refund_input(name, kwargs, field):
    args = {"order_no": ORDER, "refund_no": "RF1", "amount_fen": 100, "total_fen": 100, "reason": "", **kwargs}
    with pytest.raises(ValidationProblem) as err:
        get_provider(name).refund(**args)
    assert err.value.extra["field"] == field
