"""Outbox → deliveries → signed POSTs to a receiver on 127.0.0.1, with retries, dead letters and redelivery."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from shequn.core import outbox
from shequn.messaging.webhooks import fanout, sender
from shequn.messaging.webhooks.models import Delivery
from shequn.messaging.webhooks.services import redeliver, update_subscription
from shequn.messaging.webhooks.signing import verify

pytestmark = pytest.mark.django_db


def later(**delta) -> dt.datetime:
    return timezone.now() + dt.timedelta(**delta)


def test_receiver_failing_twice_then_accepting_gets_the_event_exactly_once(receiver, subscribe, make_member, store):
    sub, secret = subscribe(receiver.url, events=["member.created"])
    member = make_member(store=store, name="王小雨")
    outbox.drain()
    delivery = Delivery.objects.get(subscription=sub)
    receiver.script = [500, "stall", 200]

    assert sender.send_due() == {"failed": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 1, 500)
    assert "upstream error" in delivery.response_excerpt
    assert sender.send_due() == {}  # the retry waits about a minute
    assert sender.send_due(now=later(minutes=2)) == {"failed": 1}
    delivery.refresh_from_db()
    assert delivery.last_status_code is None and "timed out" in delivery.last_error
    assert sender.send_due(now=later(minutes=2)) == {}  # the second retry waits about five minutes
    assert sender.send_due(now=later(minutes=10)) == {"succeeded": 1}

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.next_attempt_at) == (
        "succeeded", 3, 200, None)
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, None, 200]
    assert len(receiver.requests) == 3
    assert len(receiver.accepted) == 1
    first_body = receiver.requests[0].body
    for request in receiver.requests:
        assert request.headers["X-Shequn-Event-Id"] == f"evt_{delivery.event_id}"
        assert request.headers["X-Shequn-Event-Type"] == "member.created"
        assert request.headers["User-Agent"] == "Shequn-Webhooks/1"
        assert request.headers["Content-Type"] == "application/json"
        assert request.body == first_body
        verify(secret, request.headers["X-Shequn-Signature"], request.body)
    payload = receiver.accepted[0].json
    assert set(payload) == {"id", "type", "created_at", "data"}
    assert payload["type"] == "member.created" and payload["id"] == f"evt_{delivery.event_id}"
    assert payload["data"]["object_id"] == str(member.pk) and payload["data"]["member_no"] == member.member_no
    assert sender.send_due(now=later(days=3)) == {}


def test_after_the_last_try_the_delivery_is_dead_and_backoff_grows(receiver, subscribe):
    sub, _ = subscribe(receiver.url)
    outbox.emit("order.completed", "order", 7, order_no="SO7", member_id=3)
    outbox.drain()
    receiver.default = 503
    now = timezone.now()
    waits = []
    for _ in range(8):
        assert sender.send_due(now=now) in ({"failed": 1}, {"dead": 1})
        delivery = Delivery.objects.get(subscription=sub)
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("dead", 8, None)
    assert len(receiver.requests) == 8
    for wait, base in zip(waits, sender.RETRY_DELAYS, strict=True):
        assert base * 0.89 <= wait <= base * 1.11
    assert sender.send_due(now=now + dt.timedelta(days=30)) == {}
    assert len(receiver.requests) == 8


def test_redelivery_makes_one_more_attempt_with_the_same_event(receiver, subscribe, system_actor):
    sub, secret = subscribe(receiver.url)
    outbox.emit("tier.changed", "member", 3, from_tier="silver", to_tier="gold", reason="消费升级")
    outbox.drain()
    delivery = Delivery.objects.get(subscription=sub)
    Delivery.objects.filter(pk=delivery.pk).update(status="dead", attempts=8, next_attempt_at=None)

    redeliver(system_actor, delivery)
    assert sender.send_due() == {"succeeded": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("succeeded", 9)
    assert delivery.attempt_log.get().manual is True
    request = receiver.requests[-1]
    assert request.headers["X-Shequn-Event-Id"] == f"evt_{delivery.event_id}"
    verify(secret, request.headers["X-Shequn-Signature"], request.body)

    # A failed redelivery of a dead delivery is dead again after its single attempt.
    receiver.default = 500
    redeliver(system_actor, delivery)
    assert sender.send_due() == {"dead": 1}
    assert len(receiver.requests) == 2


def test_only_subscribed_event_types_and_only_active_subscriptions(subscribe):
    members, _ = subscribe(events=["member.created", "tier.changed"])
    points, _ = subscribe(events=["points.earned"])
    everything, _ = subscribe(events=["*"])
    paused, _ = subscribe(events=["*"], active=False)
    outbox.emit("member.created", "member", 1, member_no="M1")
    outbox.emit("points.earned", "member", 1, points=10)
    outbox.emit("member.otp_requested", "otp_challenge", 1, body="验证码 123456")  # internal: never sent
    outbox.drain()

    def types(sub):
        return sorted(Delivery.objects.filter(subscription=sub).values_list("event_type", flat=True))

    assert types(members) == ["member.created"]
    assert types(points) == ["points.earned"]
    assert types(everything) == ["member.created", "points.earned"]
    assert types(paused) == []


def test_a_paused_subscription_holds_its_queue_until_resumed(receiver, subscribe, system_actor):
    sub, _ = subscribe(receiver.url)
    outbox.emit("order.refunded", "order", 9, order_no="SO9", amount_fen=500)
    outbox.drain()
    update_subscription(system_actor, sub, active=False)
    assert sender.send_due() == {}
    update_subscription(system_actor, sub, active=True)
    assert sender.send_due() == {"succeeded": 1}


def test_events_raised_before_the_subscription_existed_are_not_sent(subscribe):
    outbox.emit("member.created", "member", 1, member_no="M1")
    sub, _ = subscribe(events=["*"])
    outbox.drain()
    assert not Delivery.objects.filter(subscription=sub).exists()


def test_fanout_is_idempotent_per_subscription_and_event(subscribe):
    sub, _ = subscribe()
    event = outbox.emit("order.paid", "order", 1, order_no="SO1", amount_fen=100)
    assert fanout.on_event(event) == 1
    fanout.on_event(event)
    assert Delivery.objects.filter(subscription=sub).count() == 1
    body = json.loads(Delivery.objects.get().body)
    assert body["data"] == {"object_type": "order", "object_id": "1", "order_no": "SO1", "amount_fen": 100}


def test_redirects_are_not_followed_and_refused_connections_are_retried(receiver, subscribe):
    moved, _ = subscribe(receiver.url, events=["order.completed"])
    closed, _ = subscribe("http://127.0.0.1:9/nothing-listens", events=["order.completed"])
    outbox.emit("order.completed", "order", 1, order_no="SO1", member_id=3)
    outbox.drain()
    receiver.script = [302]
    assert sender.send_due() == {"failed": 2}
    assert Delivery.objects.get(subscription=moved).last_status_code == 302
    refused = Delivery.objects.get(subscription=closed)
    assert refused.last_status_code is None and "connection failed" in refused.last_error
    assert len(receiver.requests) == 1


def test_a_delivery_being_sent_is_not_claimed_twice(subscribe):
    subscribe()
    outbox.emit("order.completed", "order", 1, order_no="SO1", member_id=3)
    outbox.drain()
    _, first = sender.claim(10)
    _, second = sender.claim(10)
    assert len(first) == 1 and second == []
    _, after_lease = sender.claim(10, now=later(minutes=6))  # the first sender died: its lease ran out
    assert [d.pk for d in after_lease] == [first[0].pk] and after_lease[0].attempts == 2


def test_the_worker_runs_fanout_sending_and_pruning():
    from shequn.core import scheduler
    from shequn.messaging.webhooks import tasks

    assert fanout.on_event in outbox._handlers["*"]
    assert {"webhooks.send", "webhooks.prune"} <= set(scheduler._registry)
    assert tasks.send_webhooks.call() == {}


def test_finished_deliveries_are_pruned_after_a_month(receiver, subscribe):
    from shequn.messaging.webhooks.services import prune_log

    sub, _ = subscribe(receiver.url)
    for n in range(3):
        outbox.emit("order.completed", "order", n, order_no=f"SO{n}", member_id=1)
    outbox.drain()
    receiver.script = [200, 500]
    assert sender.send_due() == {"succeeded": 2, "failed": 1}
    Delivery.objects.update(created_at=later(days=-31))
    assert prune_log() == 2  # delivered: removed; still retrying: kept
    assert list(Delivery.objects.values_list("status", flat=True)) == ["failed"]
    assert Delivery.objects.get().attempt_log.count() == 1
