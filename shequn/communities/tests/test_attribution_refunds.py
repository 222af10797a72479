"""Refunds reduce the sales attributed to the group that was credited with the order."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities.attribution import attribute_order, attribute_refund
from shequn.communities.health import compute_daily_metrics
from shequn.communities.models import Group, GroupDailyMetric, GroupEvent
from shequn.core import outbox

TZ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 10)


def at(day_offset, hour):
    return dt.datetime.combine(DAY + dt.timedelta(days=day_offset), dt.time(hour), tzinfo=TZ)


@pytest.fixture
def group(store):
    g = Group.objects.create(name="静安宝妈群", store=store)
    Group.objects.filter(pk=g.pk).update(created_at=at(-60, 9))
    return Group.objects.get(pk=g.pk)


@pytest.fixture
def paid(group, member):
    """SO1 for ¥99.00 paid on DAY, credited to group (the member talked there the day before)."""
    GroupEvent.objects.create(source="test", event_id="m1", group=group, kind="message", member=member,
                              occurred_at=at(-1, 9))
    assert attribute_order(member.pk, "SO1", 9900, at(0, 10)) == group.pk
    return "SO1"


def metric(group, day):
    compute_daily_metrics(day, [group.pk])
    return GroupDailyMetric.objects.get(group=group, day=day)


def test_refund_is_charged_to_the_credited_group_once(group, member, paid):
    assert attribute_refund(member.pk, "SO1", "RF1", 2000, at(0, 15)) == group.pk
    assert attribute_refund(member.pk, "SO1", "RF1", 2000, at(0, 15)) == group.pk  # a replay changes nothing
    refund = GroupEvent.objects.get(kind="refund")
    assert (refund.group_id, refund.amount_fen, refund.payload["order_no"]) == (group.pk, -2000, "SO1")
    today = metric(group, DAY)
    assert (today.orders, today.sales_fen) == (1, 7900)  # the order still happened; sales are net


def test_refund_on_a_later_day_lowers_that_day_and_never_exceeds_the_order(group, member, paid):
    attribute_refund(member.pk, "SO1", "RF1", 9000, at(1, 9))
    attribute_refund(member.pk, "SO1", "RF2", 5000, at(1, 10))  # only ¥9.00 of the order is left
    assert [e.amount_fen for e in GroupEvent.objects.filter(kind="refund").order_by("id")] == [-9000, -900]
    assert (metric(group, DAY).orders, metric(group, DAY).sales_fen) == (1, 9900)
    next_day = metric(group, DAY + dt.timedelta(days=1))
    assert (next_day.orders, next_day.sales_fen) == (0, -9900)


def test_refund_of_an_unattributed_order_is_ignored(group, member):
    assert attribute_refund(member.pk, "SO404", "RF9", 100, at(0, 9)) is None
    assert not GroupEvent.objects.filter(kind="refund").exists()


@pytest.mark.parametrize("amount", [0, -5, "12", 1.5, True])
def test_bad_refund_amount_is_rejected(member, paid, amount):
    with pytest.raises(ValueError):
        attribute_refund(member.pk, "SO1", "RF1", amount, at(0, 15))
    assert not GroupEvent.objects.filter(kind="refund").exists()


def test_bad_refund_time_or_numbers_are_rejected(member, paid):
    with pytest.raises(ValueError):
        attribute_refund(member.pk, "SO1", "RF1", 100, dt.datetime(2026, 3, 10, 9))
    with pytest.raises(ValueError):
        attribute_refund(member.pk, "SO1", "", 100, at(0, 15))
    assert not GroupEvent.objects.filter(kind="refund").exists()


def test_order_refunded_outbox_event_is_attributed_and_bad_payload_skipped(group, member):
    GroupEvent.objects.create(source="test", event_id="m1", group=group, kind="message", member=member,
                              occurred_at=timezone.now() - dt.timedelta(hours=2))
    outbox.emit("order.paid", "order", "SO9", member_id=member.pk, order_no="SO9", amount_fen=1234,
                paid_at=timezone.now().isoformat())
    outbox.emit("order.refunded", "order", "SO9", member_id=member.pk, order_no="SO9", refund_no="RF9",
                amount_fen=234, refunded_at=timezone.now().isoformat())
    outbox.emit("order.refunded", "order", "SO9", member_id=member.pk, order_no="SO9", refund_no="RF10",
                amount_fen="lots", refunded_at=timezone.now().isoformat())
    outbox.drain()
    refund = GroupEvent.objects.get(kind="refund")
    assert (refund.group_id, refund.amount_fen, refund.source, refund.event_id) == (group.pk, -234, "commerce",
                                                                                    "refund:RF9")
    assert metric(group, timezone.localdate()).sales_fen == 1000
