"""PostgreSQL, real threads and connections: concurrent senders never send the same attempt twice."""

import pytest
from django.db.models import Count

from shequn.core import outbox
from shequn.core.tests.threads import run_together
from shequn.messaging.webhooks import sender
from shequn.messaging.webhooks.models import Delivery, DeliveryAttempt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _deliveries(subscribe, url: str, n: int) -> None:
    subscribe(url, events=["order.completed"])
    for i in range(n):
        outbox.emit("order.completed", "order", i, order_no=f"SO{i}", member_id=1)
    outbox.drain()
    assert Delivery.objects.count() == n


def test_claims_by_concurrent_senders_never_overlap(subscribe):
    _deliveries(subscribe, "https://pos.example.com/hooks", 400)

    def claim_all(_):
        mine = []
        while batch := sender.claim(7)[1]:
            mine += [d.pk for d in batch]
        return mine

    results = run_together(4, claim_all)
    assert not [r for r in results if isinstance(r, BaseException)], results
    claimed = [pk for ids in results for pk in ids]
    assert len(claimed) == len(set(claimed)) == 400
    assert sum(1 for ids in results if ids) > 1  # the work was really shared
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def test_two_senders_deliver_each_event_once(subscribe, receiver):
    _deliveries(subscribe, receiver.url, 120)
    results = run_together(2, lambda i: sender.send_due(batch_size=8, time_budget=600))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.get("succeeded", 0) for r in results) == 120
    ids = [r.headers["X-Shequn-Event-Id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == 120
    assert not DeliveryAttempt.objects.values("delivery").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
