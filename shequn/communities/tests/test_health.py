import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities.attribution import attribute_order
from shequn.communities.health import compute_daily_metrics, dead_groups, metrics_series
from shequn.communities.heatmap import heatmap
from shequn.communities.models import Group, GroupCost, GroupDailyMetric, GroupEvent, Membership, Post
from shequn.core import outbox

TZ = dt.timezone(dt.timedelta(hours=8))
DAY = dt.date(2026, 3, 10)  # a Tuesday


def at(day_offset, hour, minute=0):
    return dt.datetime.combine(DAY + dt.timedelta(days=day_offset), dt.time(hour, minute), tzinfo=TZ)


@pytest.fixture
def group(store):
    g = Group.objects.create(name="静安宝妈群", store=store)
    Group.objects.filter(pk=g.pk).update(created_at=at(-60, 9))
    return Group.objects.get(pk=g.pk)


def seat(group, member, joined, left=None):
    Membership.objects.create(group=group, member=member, joined_at=joined, left_at=left,
                              leave_reason="left" if left else "")


def ev(group, kind, when, member=None, amount_fen=0, eid=[0]):  # noqa: B006 (a counter)
    eid[0] += 1
    GroupEvent.objects.create(source="test", event_id=str(eid[0]), group=group, kind=kind, occurred_at=when,
                              member=member, amount_fen=amount_fen)


def test_daily_metrics_per_local_day(group, make_member, store):
    a, b, c, d = (make_member(store=store) for _ in range(4))
    seat(group, a, at(-30, 9))
    seat(group, b, at(0, 0, 30))  # joined 00:30 local = previous UTC day: still this local day
    seat(group, c, at(-3, 9), left=at(0, 23, 59))
    seat(group, d, at(1, 0, 1))  # tomorrow
    ev(group, "message", at(0, 8), a)
    ev(group, "message", at(0, 9), a)
    ev(group, "reaction", at(-6, 9), b)  # inside the 7-day window
    ev(group, "reply", at(-7, 9), c)  # just outside it
    ev(group, "red_packet_grab", at(0, 10), c)
    ev(group, "order", at(0, 11), a, amount_fen=5000)
    ev(group, "order", at(0, 12), b, amount_fen=2500)
    ev(group, "message", at(1, 0, 5), d)  # tomorrow local time
    q = Post.objects.create(group=group, kind="question", published_at=at(0, 9), answered_at=at(0, 9, 10))
    Post.objects.create(group=group, kind="question", published_at=at(-1, 20), answered_at=at(0, 8, 20))
    GroupCost.objects.create(group=group, kind="red_packet", amount_fen=1000, ref="rp:1")
    GroupCost.objects.create(group=group, kind="red_packet_refund", amount_fen=-300, ref="rp:1")
    GroupCost.objects.filter(group=group).update(created_at=at(0, 10))
    assert q.pk

    assert compute_daily_metrics(DAY) == 1
    m = GroupDailyMetric.objects.get(group=group, day=DAY)
    assert (m.members, m.joins, m.leaves) == (2, 1, 1)
    assert m.active_members_7d == 2  # a (messages) and b (reaction 6 days ago); c's reply is 7 days old
    assert (m.messages, m.interactions) == (2, 3)  # two messages and a red packet grab
    assert (m.orders, m.sales_fen, m.red_packet_fen) == (2, 7500, 700)
    assert m.answer_seconds_avg == (10 * 60 + (12 * 60 + 20) * 60) // 2


def test_recompute_is_idempotent_and_updates(group, member):
    seat(group, member, at(-5, 9))
    compute_daily_metrics(DAY)
    ev(group, "message", at(0, 15), member)
    compute_daily_metrics(DAY)
    assert GroupDailyMetric.objects.filter(group=group, day=DAY).count() == 1
    assert GroupDailyMetric.objects.get(group=group, day=DAY).messages == 1


def test_only_the_groups_asked_for_and_not_before_they_existed(group, store):
    other = Group.objects.create(name="新群", store=store)
    assert compute_daily_metrics(DAY, group_ids=[other.pk]) == 0  # created after DAY
    assert compute_daily_metrics(DAY, group_ids=[group.pk]) == 1


def test_metrics_series_is_zero_filled(group):
    compute_daily_metrics(DAY)
    series = metrics_series(group, 3, today=DAY + dt.timedelta(days=1))
    assert [row["day"] for row in series] == [DAY - dt.timedelta(days=1), DAY, DAY + dt.timedelta(days=1)]
    assert series[0]["messages"] == 0 and series[0]["answer_seconds_avg"] is None


def test_heatmap_in_local_time_with_best_slots(group, member):
    for _ in range(3):
        ev(group, "message", at(0, 20), member)  # Tuesday 20:00 local = Tuesday 12:00 UTC
    for _ in range(2):
        ev(group, "reaction", at(1, 7), member)  # Wednesday 07:00 local = Tuesday 23:00 UTC
    ev(group, "message", at(2, 0, 30), member)  # Thursday 00:30 local = Wednesday UTC
    ev(group, "join", at(0, 20), member)  # not an interaction
    result = heatmap(group, 30, now=at(5, 0))
    assert result["grid"][1][20] == 3 and result["grid"][2][7] == 2 and result["grid"][3][0] == 1
    assert result["total"] == 6
    assert result["best"][:2] == [{"weekday": 1, "hour": 20, "count": 3}, {"weekday": 2, "hour": 7, "count": 2}]
    assert heatmap([group.pk], 30, now=at(5, 0))["grid"] == result["grid"]


def test_dead_groups(group, store, member):
    lively = Group.objects.create(name="活跃群", store=store)
    Group.objects.filter(pk=lively.pk).update(created_at=at(-60, 9))
    for i in range(6):
        ev(lively, "message", at(-1, 9 + i), member)
    ev(group, "message", at(-1, 9), member)
    dead = dead_groups(14, 5, now=at(0, 12))
    assert [(d["group"].pk, d["interactions"]) for d in dead] == [(group.pk, 1)]


def test_order_is_attributed_to_the_last_touched_group_within_7_days(group, store, member):
    other = Group.objects.create(name="烘焙兴趣群", store=store)
    ev(group, "message", at(-3, 9), member)
    ev(other, "reaction", at(-1, 9), member)
    assert attribute_order(member.pk, "SO1", 9900, at(0, 9)) == other.pk
    assert attribute_order(member.pk, "SO1", 9900, at(0, 9)) == other.pk  # the same order again
    assert GroupEvent.objects.filter(kind="order").count() == 1
    assert attribute_order(member.pk, "SO2", 100, at(9, 9)) is None  # last touch 10 days before


def test_order_paid_outbox_event_is_attributed(group, member):
    ev(group, "message", timezone.now() - dt.timedelta(hours=2), member)
    outbox.emit("order.paid", "order", "SO9", member_id=member.pk, order_no="SO9", amount_fen=1234,
                paid_at=timezone.now().isoformat())
    outbox.drain()
    order = GroupEvent.objects.get(kind="order")
    assert (order.group_id, order.amount_fen, order.source) == (group.pk, 1234, "commerce")


def test_api_batch_and_metrics(api, api_as, group, member, other_store):
    now = timezone.now().isoformat()
    batch = {"events": [{"event_id": "a1", "kind": "message", "group_id": group.pk, "member_id": member.pk,
                         "occurred_at": now}]}
    r = api.post("/groups/events", batch)
    assert r.status_code == 200 and r.json() == {"accepted": 1, "duplicates": 0}
    assert api.post("/groups/events", batch).json() == {"accepted": 0, "duplicates": 1}
    bad = {"events": batch["events"] + [{"kind": "message", "group_id": group.pk, "occurred_at": now}]}
    r = api.post("/groups/events", bad)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert r.json()["type"] == "invalid-events" and r.json()["errors"][0]["index"] == 1
    compute_daily_metrics(timezone.localdate())
    r = api.get(f"/groups/{group.pk}/metrics?days=7")
    assert r.status_code == 200 and r.json()[-1]["messages"] == 1 and len(r.json()) == 7
    r = api.get(f"/groups/{group.pk}/heatmap")
    assert r.status_code == 200 and r.json()["total"] == 1
    outsider = api_as("community_operator", stores=[other_store.code])
    assert outsider.get(f"/groups/{group.pk}/metrics").status_code == 404
    assert api_as("analyst").post("/groups/events", batch).status_code == 403


def test_hourly_job_computes_yesterday_and_today(group, member):
    from shequn.communities import tasks

    ev(group, "message", timezone.now(), member)
    assert tasks.daily_metrics.call() == 2
    today = timezone.localdate()
    days = set(GroupDailyMetric.objects.filter(group=group).values_list("day", flat=True))
    assert days == {today, today - dt.timedelta(days=1)}
    assert GroupDailyMetric.objects.get(group=group, day=today).messages == 1
