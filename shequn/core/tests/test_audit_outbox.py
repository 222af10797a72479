"""Audit rows and outbox events commit with the change, or not at all; the drain runs each once."""

import datetime as dt

import pytest
from django.db import transaction

from shequn.core import audit, outbox, scheduler, sequences
from shequn.core.actor import Actor
from shequn.core.models import AuditEntry, OutboxEvent, ScheduledRun
from shequn.members.models import Member
from shequn.stores.models import Store
from shequn.stores.services import create_store

pytestmark = pytest.mark.django_db

ACTOR = Actor(kind="staff", id="7", label="王店长", ip="10.0.0.8")


def test_a_service_writes_its_audit_row_and_event_with_the_change():
    store = create_store(ACTOR, code="HZ01", name="杭州西湖店", city="杭州")
    entry = AuditEntry.objects.get(action="store.created")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label, entry.ip) == ("staff", "7", "王店长", "10.0.0.8")
    assert (entry.object_type, entry.object_id) == ("stores.store", str(store.pk))
    assert entry.after == {"code": "HZ01", "name": "杭州西湖店"}
    event = OutboxEvent.objects.get(topic="store.created")
    assert (event.aggregate_type, event.aggregate_id, event.payload) == \
        ("store", str(store.pk), {"code": "HZ01", "name": "杭州西湖店"})
    assert event.processed_at is None


def test_nothing_is_recorded_when_the_transaction_fails():
    with pytest.raises(RuntimeError), transaction.atomic():
        create_store(ACTOR, code="HZ02", name="杭州滨江店")
        raise RuntimeError("later step failed")
    assert not Store.objects.exists()
    assert not AuditEntry.objects.exists() and not OutboxEvent.objects.exists()


def test_a_service_failing_half_way_leaves_no_member_audit_or_event(system_actor, next_phone, monkeypatch):
    from shequn.loyalty import services as loyalty_services
    from shequn.members.services import create_member

    def broken_open_account(member, actor):
        raise RuntimeError("tier table unavailable")

    monkeypatch.setattr(loyalty_services, "open_account", broken_open_account)
    with pytest.raises(RuntimeError):
        create_member(system_actor, phone=next_phone(), name="半途")
    assert not Member.objects.exists()
    assert not AuditEntry.objects.exists() and not OutboxEvent.objects.exists()


def test_audit_record_with_explicit_object():
    row = audit.record(ACTOR, "loyalty.birthday_gifts", object_type="loyalty", after={"members": 3})
    assert (row.object_type, row.object_id, row.before, row.after) == ("loyalty", "", None, {"members": 3})


@pytest.fixture
def handlers(monkeypatch):
    registry: dict = {}
    monkeypatch.setattr(outbox, "_handlers", registry)
    return registry


def test_drain_hands_each_event_to_its_consumers_once(handlers):
    seen, everything = [], []
    outbox.subscribe("member.created", lambda e: seen.append(e.pk))
    outbox.subscribe("*", lambda e: everything.append(e.topic))
    first = outbox.emit("member.created", "member", 1, member_no="M1")
    outbox.emit("points.earned", "member", 1, points=5)
    second = outbox.emit("member.created", "member", 2, member_no="M2")
    assert outbox.drain(batch_size=2) == 3
    assert seen == [first.pk, second.pk]
    assert everything == ["member.created", "points.earned", "member.created"]
    assert not OutboxEvent.objects.filter(processed_at__isnull=True).exists()
    assert outbox.drain() == 0
    assert len(seen) == 2


def test_a_failing_consumer_leaves_the_batch_pending(handlers):
    def broken(event):
        raise ConnectionError("webhook down")

    outbox.subscribe("points.earned", broken)
    outbox.emit("points.earned", "member", 1, points=5)
    with pytest.raises(ConnectionError):
        outbox.drain()
    assert OutboxEvent.objects.filter(processed_at__isnull=True).count() == 1


@pytest.fixture
def registry(monkeypatch):
    jobs: dict = {}
    monkeypatch.setattr(scheduler, "_registry", jobs)
    return jobs


def test_tick_enqueues_a_due_job_once(registry):
    enqueued = []
    registry["nightly"] = scheduler.Periodic("nightly", dt.timedelta(hours=1), lambda: enqueued.append(1))
    t0 = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    assert scheduler.tick(now=t0) == ["nightly"]
    assert scheduler.tick(now=t0) == []  # a second worker at the same moment
    assert scheduler.tick(now=t0 + dt.timedelta(minutes=59)) == []
    assert scheduler.tick(now=t0 + dt.timedelta(hours=1)) == ["nightly"]
    assert len(enqueued) == 2
    assert ScheduledRun.objects.get(name="nightly").last_run_at == t0 + dt.timedelta(hours=1)


def test_the_real_schedule_includes_the_outbox_and_points_expiry():
    names = set(scheduler._registry)
    assert {"core.drain_outbox", "loyalty.expire_points", "loyalty.review_tiers"} <= names


def test_sequences_hand_out_consecutive_blocks():
    assert list(sequences.reserve("order_no", 3)) == [1, 2, 3]
    assert list(sequences.reserve("order_no")) == [4]
    assert list(sequences.reserve("other")) == [1]
