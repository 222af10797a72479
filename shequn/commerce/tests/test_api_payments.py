"""The providers' notification endpoint: signed sandbox notifications, duplicates, refusals."""

import json

import pytest

from shequn.commerce.models import Order, Payment, Refund, StockLevel
from shequn.commerce.providers.sandbox import sign_notification

from .test_api_orders import place

pytestmark = pytest.mark.django_db


def notify(client, provider, headers, body):
    meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
    return client.post(f"/api/v1/payments/{provider}/notify", body, content_type="application/json", **meta)


@pytest.fixture
def order(api, member, sku):
    data = place(api, member, [{"sku": sku.code, "quantity": 2}]).json()
    api.post(f"/orders/{data['id']}/pay", {"method": "sandbox"})
    return Order.objects.get(pk=data["id"])


def test_signed_notification_delivered_twice_makes_one_payment(client, order, sku, store):
    headers, body = sign_notification(order.order_no, order.total_fen)
    first = notify(client, "sandbox", headers, body)
    assert first.status_code == 204, first.content
    headers, body2 = sign_notification(order.order_no, order.total_fen)  # a resend: new nonce, same transaction
    second = notify(client, "sandbox", headers, body2)
    assert second.status_code == 204
    assert Payment.objects.filter(order=order).count() == 1
    order.refresh_from_db()
    assert order.status == "paid" and order.paid_fen == 7980
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (18, 0)
    assert not Refund.objects.exists()


def test_bad_signature_is_refused_with_fail(client, order):
    headers, body = sign_notification(order.order_no, order.total_fen)
    tampered = body.replace(b'"amount_fen":7980', b'"amount_fen":1')
    response = notify(client, "sandbox", headers, tampered)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "FAIL" and "signature" in response.json()["message"]
    assert response.json()["type"] == "invalid-notification"
    assert not Payment.objects.exists()
    response = notify(client, "sandbox", {}, body)
    assert response.status_code == 400 and response.json()["code"] == "FAIL"


def test_wrong_amount_and_unknown_order(client, order):
    headers, body = sign_notification(order.order_no, order.total_fen - 1)
    response = notify(client, "sandbox", headers, body)
    assert response.status_code == 409 and response.json()["code"] == "FAIL"
    headers, body = sign_notification("260101NOSUCHORDER", 100)
    assert notify(client, "sandbox", headers, body).status_code == 404
    assert not Payment.objects.exists()


def test_unknown_or_offline_provider(client, order):
    headers, body = sign_notification(order.order_no, order.total_fen)
    assert notify(client, "paypal", headers, body).status_code == 404
    assert notify(client, "offline", headers, body).status_code == 404
    assert not Payment.objects.exists()


def test_wechat_unconfigured_answers_fail(client, order, settings):
    response = notify(client, "wechat", {"Wechatpay-Serial": "X"}, json.dumps({"id": "1"}).encode())
    assert response.status_code in (400, 503) and response.json()["code"] == "FAIL"


def test_notification_for_cancelled_order_pays_back(client, api, order):
    api.post(f"/orders/{order.pk}/cancel")
    headers, body = sign_notification(order.order_no, order.total_fen)
    assert notify(client, "sandbox", headers, body).status_code == 204
    payment = Payment.objects.get()
    assert payment.status == "late" and Refund.objects.get().amount_fen == order.total_fen
    order.refresh_from_db()
    assert order.status == "cancelled"
