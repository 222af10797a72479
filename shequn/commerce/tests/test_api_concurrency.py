"""PostgreSQL, real threads over HTTP: the same order request sent many times at once makes one order;
many refunds of one order at once never give back more than was paid; a notification delivered by many
threads at once pays once."""

import pytest
from django.test import Client

from shequn.commerce import stock
from shequn.commerce.models import Order, Payment, Refund, StockLevel
from shequn.commerce.providers.sandbox import sign_notification
from shequn.core.tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20


def _post(token, path, body, key=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return Client().post(f"/api/v1{path}", body, content_type="application/json", **headers)


def _order_body(member, sku, quantity=1):
    return {"member_id": member.pk, "items": [{"sku": sku.code, "quantity": quantity}], "fulfilment": "pickup",
            "store_code": "SH01"}


def test_same_order_request_at_once_makes_one_order(make_token, member, sku, store):
    token = make_token()
    responses = run_together(THREADS, lambda i: _post(token, "/orders", _order_body(member, sku, 2), key="same"))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1 and Order.objects.count() == 1
    assert all(r.json()["type"] == "idempotency-in-progress" for r in responses if r.status_code == 409)
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (20, 2) and stock.check_stock() == []


def test_racing_refunds_never_exceed_what_was_paid(make_token, member, sku, store):
    token = make_token()
    order = _post(token, "/orders", _order_body(member, sku, 5), key="o").json()
    assert _post(token, f"/orders/{order['id']}/pay", {"method": "offline"}).json()["status"] == "paid"
    body = {"reason": "部分退款", "lines": [{"sku": sku.code, "quantity": 1}]}
    responses = run_together(THREADS, lambda i: _post(token, f"/orders/{order['id']}/refunds", body, key=f"r{i}"))
    ok = [r for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert len(ok) == 5, [r.content for r in refused[:3]]
    assert len(refused) == THREADS - 5
    assert {r.json()["type"] for r in refused} <= {"invalid-refund", "order-state"}  # nothing left / fully refunded
    done = Order.objects.get(pk=order["id"])
    assert done.refunded_fen == done.paid_fen == sum(r.amount_fen for r in Refund.objects.all()) == 5 * 3990
    assert done.status == "refunded"
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (20, 0) and stock.check_stock() == []


def test_notification_delivered_by_many_threads_pays_once(make_token, member, sku, store):
    token = make_token()
    order = _post(token, "/orders", _order_body(member, sku, 1), key="o").json()
    signed = [sign_notification(order["order_no"], order["total_fen"]) for _ in range(THREADS)]

    def deliver(i):
        headers, body = signed[i]
        meta = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"}
        return Client().post("/api/v1/payments/sandbox/notify", body, content_type="application/json", **meta)

    responses = run_together(THREADS, deliver)
    assert {r.status_code for r in responses} == {204}
    assert Payment.objects.count() == 1 and not Refund.objects.exists()
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (19, 0) and stock.check_stock() == []
