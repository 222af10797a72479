"""Concurrent workers deliver one message once (PostgreSQL: real row-level concurrency)."""

import threading

import pytest
from django.db import connection

from shequn.messaging import sending
from shequn.messaging.channels.inapp import InApp
from shequn.messaging.models import Message

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_workers_racing_on_one_message_send_it_once(system_actor, in_app, consenting_member, monkeypatch):
    messages = [sending.compose(system_actor, channel=in_app, member=consenting_member, body=f"通知 {i}",
                                enqueue=False) for i in range(20)]
    sent, lock = [], threading.Lock()
    original = InApp.send

    def counting_send(self, outgoing):
        with lock:
            sent.append(outgoing.message_id)
        return original(self, outgoing)

    monkeypatch.setattr(InApp, "send", counting_send)
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        try:
            for m in messages:
                sending.deliver(m.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(m.pk for m in messages)
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.DELIVERED}
