"""PostgreSQL, real threads: simultaneous refunds of one attributed order never take back more than the
order, and a refund delivered many times at once counts once."""

import datetime as dt

import pytest
from django.db.models import Sum
from django.utils import timezone

from shequn.communities.attribution import attribute_order, attribute_refund
from shequn.communities.health import compute_daily_metrics
from shequn.communities.models import Group, GroupDailyMetric, GroupEvent
from shequn.core.tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 30


def test_concurrent_refunds_stay_within_the_order(store, member):
    group = Group.objects.create(name="静安宝妈群", store=store)
    now = timezone.now()
    GroupEvent.objects.create(source="test", event_id="m1", group=group, kind="message", member=member,
                              occurred_at=now - dt.timedelta(hours=1))
    assert attribute_order(member.pk, "SO1", 10_000, now) == group.pk

    def refund(i: int):
        # Every worker sends its own ¥5 refund and redelivers the shared one: ¥155 asked of a ¥100 order.
        return (attribute_refund(member.pk, "SO1", f"RF-{i}", 500, now),
                attribute_refund(member.pk, "SO1", "RF-shared", 500, now))

    results = run_together(WORKERS, refund, timeout=120)
    assert all(r == (group.pk, group.pk) for r in results), [r for r in results if r != (group.pk, group.pk)][:3]
    refunds = GroupEvent.objects.filter(kind="refund", group=group)
    assert refunds.count() == WORKERS + 1
    assert refunds.filter(event_id="refund:RF-shared").count() == 1
    assert refunds.aggregate(s=Sum("amount_fen"))["s"] == -10_000  # capped at the order, nothing lost
    assert all(r.amount_fen <= 0 for r in refunds)
    compute_daily_metrics(timezone.localdate(now), [group.pk])
    day = GroupDailyMetric.objects.get(group=group, day=timezone.localdate(now))
    assert (day.orders, day.sales_fen) == (1, 0)
