"""POST/GET/PATCH/DELETE /api/v1/webhooks…: the secret only on create and rotate, problem+json, permissions."""

import json

import pytest

from shequn.core import outbox
from shequn.core.models import AuditEntry, IdempotencyRecord
from shequn.messaging.webhooks import sender
from shequn.messaging.webhooks.models import Delivery, Subscription
from shequn.messaging.webhooks.signing import verify

pytestmark = pytest.mark.django_db
HOOK = {"url": "https://pos.example.com/shequn/hooks", "events": ["member.created", "order.paid"]}


def test_create_returns_the_secret_once_and_never_again(api):
    created = api.post("/webhooks", HOOK, key="hook-1")
    assert created.status_code == 201, created.content
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and body["secret_hint"] == secret[-4:]
    assert body["events"] == ["member.created", "order.paid"] and body["active"] is True
    assert body["created_by"] == "owner"

    for response in (api.get("/webhooks"), api.get(f"/webhooks/{body['id']}"),
                     api.patch(f"/webhooks/{body['id']}", {"description": "收银系统"})):
        assert response.status_code == 200
        assert secret not in response.content.decode() and "secret" not in json.dumps(
            response.json()).replace("secret_hint", "")
    stored = Subscription.objects.get()
    assert secret not in stored.secret_encrypted
    # A retried create gets the same response, secret included, and creates nothing more.
    replay = api.post("/webhooks", HOOK, key="hook-1")
    assert replay.status_code == 201 and replay.json()["secret"] == secret
    assert Subscription.objects.count() == 1
    assert not IdempotencyRecord.objects.filter(response_body__icontains=secret[6:]).exists()
    assert secret not in json.dumps(list(AuditEntry.objects.values("before", "after")))


def test_rotate_returns_a_new_secret_and_the_old_one_signs_for_a_day(api, receiver):
    created = api.post("/webhooks", {"url": receiver.url, "events": ["*"]}).json()
    rotated = api.post(f"/webhooks/{created['id']}/rotate-secret", key="rot-1")
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != created["secret"] and rotated.json()["secret_hint"] == new[-4:]
    outbox.emit("order.completed", "order", 5, order_no="SO5", member_id=1)
    outbox.drain()
    assert sender.send_due() == {"succeeded": 1}
    request = receiver.requests[0]
    verify(new, request.headers["X-Shequn-Signature"], request.body)
    verify(created["secret"], request.headers["X-Shequn-Signature"], request.body)


@pytest.mark.parametrize("payload, slug", [
    ({"url": "http://pos.example.com/hooks", "events": ["*"]}, "invalid-webhook-url"),
    ({"url": "ftp://pos.example.com/hooks", "events": ["*"]}, "invalid-webhook-url"),
    ({"url": "https://user:pw@pos.example.com/hooks", "events": ["*"]}, "invalid-webhook-url"),
    ({"url": "not a url", "events": ["*"]}, "invalid-webhook-url"),
    ({"url": "https://pos.example.com/hooks", "events": ["member.created", "member.otp_requested"]},
     "invalid-event-types"),
    ({"url": "https://pos.example.com/hooks", "events": []}, "validation-error"),
    ({"url": "https://pos.example.com/hooks"}, "validation-error"),
])
def test_bad_input_is_refused_and_writes_nothing(api, payload, slug):
    response = api.post("/webhooks", payload)
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == slug
    assert not Subscription.objects.exists()


def test_plain_http_is_allowed_for_local_development(api):
    for url in ("http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://[::1]:9000/"):
        assert api.post("/webhooks", {"url": url, "events": ["*"]}).status_code == 201


def test_patch_changes_events_url_and_active(api):
    sub_id = api.post("/webhooks", HOOK).json()["id"]
    changed = api.patch(f"/webhooks/{sub_id}", {"events": ["tier.changed", "tier.changed"], "active": False,
                                               "url": "https://crm.example.com/in"})
    assert changed.status_code == 200
    assert changed.json()["events"] == ["tier.changed"] and changed.json()["active"] is False
    assert changed.json()["url"] == "https://crm.example.com/in"
    bad = api.patch(f"/webhooks/{sub_id}", {"url": "http://crm.example.com/in"})
    assert bad.status_code == 422 and Subscription.objects.get().url == "https://crm.example.com/in"
    assert api.patch("/webhooks/999999", {"active": True}).json()["type"] == "webhook-not-found"


def test_event_types_list_the_catalogue(api):
    types = {row["type"]: row for row in api.get("/webhooks/event-types").json()}
    assert {"member.created", "points.earned", "tier.changed", "order.paid", "order.refunded",
            "group.member_joined"} <= set(types)
    assert "member.otp_requested" not in types
    assert types["order.paid"]["label"] == "支付成功"


def test_delivery_log_and_redeliver(api, receiver):
    sub_id = api.post("/webhooks", {"url": receiver.url, "events": ["order.completed"]}).json()["id"]
    outbox.emit("order.completed", "order", 5, order_no="SO5", member_id=1)
    outbox.drain()
    receiver.script = [500]
    sender.send_due()
    log = api.get(f"/webhooks/{sub_id}/deliveries").json()
    assert log["next_cursor"] is None
    [row] = log["items"]
    assert (row["status"], row["attempts"], row["last_status_code"], row["event_type"]) == (
        "failed", 1, 500, "order.completed")
    assert row["next_attempt_at"] is not None and row["event_id"].startswith("evt_")
    assert api.get(f"/webhooks/{sub_id}/deliveries?status=succeeded").json()["items"] == []
    assert api.get(f"/webhooks/{sub_id}").json()["counts"]["failed"] == 1

    again = api.post(f"/webhooks/deliveries/{row['id']}/redeliver", key="re-1")
    assert again.status_code == 202 and again.json()["status"] == "pending"
    assert sender.send_due() == {"succeeded": 1}
    assert [r.headers["X-Shequn-Event-Id"] for r in receiver.requests] == [row["event_id"]] * 2
    assert api.post("/webhooks/deliveries/999999/redeliver").status_code == 404


def test_redeliver_refused_while_the_delivery_is_being_sent(api):
    sub_id = api.post("/webhooks", HOOK).json()["id"]
    outbox.emit("order.completed", "order", 5, order_no="SO5", member_id=1)
    api.patch(f"/webhooks/{sub_id}", {"events": ["*"]})
    outbox.drain()
    sender.claim(10)
    delivery = Delivery.objects.get()
    response = api.post(f"/webhooks/deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 409 and response.json()["type"] == "delivery-in-progress"


def test_delete_removes_the_subscription_and_its_log(api):
    sub_id = api.post("/webhooks", {**HOOK, "events": ["*"]}).json()["id"]
    outbox.emit("order.completed", "order", 5, order_no="SO5", member_id=1)
    outbox.drain()
    assert Delivery.objects.count() == 1
    assert api._call("delete", f"/webhooks/{sub_id}").status_code == 204
    assert not Subscription.objects.exists() and not Delivery.objects.exists()
    assert api._call("delete", f"/webhooks/{sub_id}").status_code == 404
    assert AuditEntry.objects.filter(action="webhook.deleted").count() == 1


@pytest.mark.parametrize("role", ["store_manager", "community_operator", "analyst"])
def test_only_owner_and_head_office_manage_webhooks(api_as, role, store):
    client = api_as(role, stores=["SH01"] if role != "analyst" else None)
    for response in (client.get("/webhooks"), client.post("/webhooks", HOOK), client.get("/webhooks/event-types")):
        assert response.status_code == 403
    assert not Subscription.objects.exists()


def test_head_office_operator_may_manage_webhooks(api_as):
    assert api_as("hq_operator").post("/webhooks", HOOK).status_code == 201
