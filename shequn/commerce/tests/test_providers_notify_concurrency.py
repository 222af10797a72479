"""Notifications through the order core: a verified notification delivered many times, even all at once,
pays the order once; a forged copy pays nothing."""

import base64
import datetime as dt
import json
import secrets

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.utils import timezone

from shequn.commerce import orders, payments
from shequn.commerce.models import Order, Payment, StockLevel
from shequn.commerce.providers import InvalidNotification
from shequn.commerce.providers.sandbox import sign_notification
from shequn.core.tests.threads import run_together

WORKERS = 30
MCHID, SERIAL, APIV3_KEY = "1230000109", "PUB_KEY_ID_0112345678", "a3F9kQ2mZ7xW4vL8pR1tY6uH0jN5cB3d"


@pytest.fixture(scope="module")
def platform_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def wechat_configured(settings, platform_key):
    merchant = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    settings.SHEQUN_WECHATPAY_MCHID, settings.SHEQUN_WECHATPAY_APPID = MCHID, "wxd678efh567hg6787"
    settings.SHEQUN_WECHATPAY_SERIAL_NO, settings.SHEQUN_WECHATPAY_APIV3_KEY = "5157F09E", APIV3_KEY
    settings.SHEQUN_WECHATPAY_PRIVATE_KEY = merchant.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    settings.SHEQUN_WECHATPAY_PLATFORM_CERTS = {SERIAL: platform_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()}
    settings.SHEQUN_WECHATPAY_NOTIFY_URL = "https://shop.example.cn/api/v1/payments/wechat/notify"


def wechat_notification(platform_key, order_no: str, amount_fen: int) -> tuple[dict, bytes]:
    nonce = secrets.token_hex(6)
    txn = {"mchid": MCHID, "out_trade_no": order_no, "transaction_id": "4200002026112300000000000001",
           "trade_state": "SUCCESS", "success_time": timezone.now().isoformat(),
           "amount": {"total": amount_fen, "payer_total": amount_fen, "currency": "CNY"}}
    ciphertext = AESGCM(APIV3_KEY.encode()).encrypt(nonce.encode(), json.dumps(txn).encode(), b"transaction")
    body = json.dumps({"event_type": "TRANSACTION.SUCCESS", "resource": {
        "algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": "transaction", "nonce": nonce}}).encode()
    timestamp, sign_nonce = str(int(timezone.now().timestamp())), secrets.token_hex(16)
    signature = platform_key.sign(f"{timestamp}\n{sign_nonce}\n".encode() + body + b"\n", padding.PKCS1v15(),
                                  hashes.SHA256())
    return {"Wechatpay-Serial": SERIAL, "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": sign_nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode()}, body


def _order(system_actor, store, make_sku, code):
    from shequn.members.services import create_member

    item = make_sku(code, 2590, quantity=5)
    buyer = create_member(system_actor, store=store, phone=f"139{secrets.randbelow(10**8):08d}", name="付款会员")
    order = orders.place_order(system_actor, member=buyer, fulfilment="pickup", store=store,
                               items=[{"sku": item.code, "quantity": 2}])
    return order, item


def _assert_paid_once(order, item):
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_fen == order.total_fen
    assert Payment.objects.filter(order=order).count() == 1
    level = StockLevel.objects.get(sku=item, store=order.store)
    assert (level.on_hand, level.reserved) == (3, 0)


@pytest.mark.django_db
def test_sandbox_notification_delivered_twice_pays_once(system_actor, store, make_sku):
    order, item = _order(system_actor, store, make_sku, "NOTE-1")
    headers, body = sign_notification(order.order_no, order.total_fen)
    payments.handle_notification("sandbox", headers, body)
    payments.handle_notification("sandbox", headers, body)
    _assert_paid_once(order, item)
    tampered = body.replace(str(order.total_fen).encode(), b"1")
    with pytest.raises(InvalidNotification):
        payments.handle_notification("sandbox", headers, tampered)
    _assert_paid_once(order, item)


@pytest.mark.django_db
def test_wechat_notification_delivered_twice_pays_once(system_actor, store, make_sku, wechat_configured,
                                                       platform_key):
    order, item = _order(system_actor, store, make_sku, "NOTE-2")
    headers, body = wechat_notification(platform_key, order.order_no, order.total_fen)
    payments.handle_notification("wechat", headers, body)
    payments.handle_notification("wechat", headers, body)
    _assert_paid_once(order, item)
    assert Payment.objects.get(order=order).transaction_id == "4200002026112300000000000001"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", ["sandbox", "wechat"])
def test_same_notification_at_once_pays_once(system_actor, store, make_sku, wechat_configured, platform_key,
                                             provider):
    order, item = _order(system_actor, store, make_sku, f"RUSH-{provider}")
    if provider == "sandbox":
        headers, body = sign_notification(order.order_no, order.total_fen)
    else:
        headers, body = wechat_notification(platform_key, order.order_no, order.total_fen)
    forged = body.replace(b"}", b" }", 1)

    def deliver(i: int):
        return payments.handle_notification(provider, headers, forged if i % 10 == 9 else body)

    results = run_together(WORKERS, deliver, timeout=120)

    refused = [r for r in results if isinstance(r, InvalidNotification)]
    assert len(refused) == 3
    assert all(isinstance(r, Order) for r in results if r not in refused), results
    _assert_paid_once(order, item)
    assert order.paid_at <= timezone.now() + dt.timedelta(seconds=1)
