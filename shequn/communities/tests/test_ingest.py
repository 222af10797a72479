import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities.health import compute_daily_metrics
from shequn.communities.ingest import BatchRejected, ingest_events
from shequn.communities.models import Group, GroupDailyMetric, GroupEvent
from shequn.core.errors import PermissionDenied


@pytest.fixture
def group(store):
    group = Group.objects.create(name="静安宝妈群", store=store)
    Group.objects.filter(pk=group.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    return group


def _events(group, member, n=3, start=0, when=None):
    when = when or timezone.now() - dt.timedelta(hours=1)
    return [{"event_id": f"e{i}", "kind": "message", "group_id": group.pk, "member_id": member.pk,
             "occurred_at": when.isoformat()} for i in range(start, start + n)]


def test_batch_is_stored_once_and_resend_counts_duplicates(system_actor, group, member):
    assert ingest_events(system_actor, _events(group, member)) == {"accepted": 3, "duplicates": 0, "errors": []}
    again = ingest_events(system_actor, _events(group, member, n=4))
    assert again == {"accepted": 1, "duplicates": 3, "errors": []}
    assert GroupEvent.objects.filter(source="api").count() == 4


def test_repeat_inside_one_batch_is_a_duplicate(system_actor, group, member):
    batch = _events(group, member, n=2) + _events(group, member, n=1)
    assert ingest_events(system_actor, batch)["duplicates"] == 1


def test_same_event_id_from_another_source_is_another_event(system_actor, group, member):
    ingest_events(system_actor, _events(group, member, n=1))
    assert ingest_events(system_actor, _events(group, member, n=1), source="h5")["accepted"] == 1


def test_any_bad_item_rejects_the_whole_batch_with_errors_by_index(system_actor, group, member):
    future = timezone.now() + dt.timedelta(days=1)
    batch = _events(group, member, n=1) + [
        {"event_id": "", "kind": "message", "group_id": group.pk, "occurred_at": timezone.now().isoformat()},
        {"event_id": "x", "kind": "shout", "group_id": group.pk, "occurred_at": timezone.now().isoformat()},
        {"event_id": "y", "kind": "message", "group_id": 999999, "occurred_at": timezone.now().isoformat()},
        {"event_id": "z", "kind": "message", "group_id": group.pk, "member_id": 999999,
         "occurred_at": timezone.now().isoformat()},
        {"event_id": "f", "kind": "message", "group_id": group.pk, "occurred_at": future.isoformat()},
        {"event_id": "j", "kind": "join", "group_id": group.pk, "occurred_at": timezone.now().isoformat()},
        "not an object",
    ]
    with pytest.raises(BatchRejected) as exc:
        ingest_events(system_actor, batch)
    errors = exc.value.extra["errors"]
    assert [e["index"] for e in errors] == [1, 2, 3, 4, 5, 6, 7]
    assert "event_id" in errors[0]["message"] and "future" in errors[4]["message"]
    assert "no member" in errors[3]["message"] and "no group" in errors[2]["message"]
    assert exc.value.status == 422
    assert not GroupEvent.objects.exists()


def test_group_outside_the_actors_stores_is_reported_missing(group, member, other_store):
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor

    scoped = Actor(kind="staff", id="1", label="op", role=Role.COMMUNITY_OPERATOR,
                   store_ids=frozenset({other_store.pk}), permissions=permissions_for(Role.COMMUNITY_OPERATOR))
    with pytest.raises(BatchRejected) as exc:
        ingest_events(scoped, _events(group, member, n=1))
    assert exc.value.extra["errors"] == [{"index": 0, "message": f"no group {group.pk}"}]


def test_analyst_may_not_ingest(group, member):
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor

    analyst = Actor(kind="staff", id="2", label="a", role=Role.ANALYST, permissions=permissions_for(Role.ANALYST))
    with pytest.raises(PermissionDenied):
        ingest_events(analyst, _events(group, member, n=1))


def test_naive_times_are_local_and_orders_carry_amounts(system_actor, group, member):
    ingest_events(system_actor, [{"event_id": "o1", "kind": "order", "group_id": group.pk, "member_id": member.pk,
                                  "occurred_at": "2026-01-05T10:00:00", "amount_fen": 12300}])
    event = GroupEvent.objects.get()
    assert event.occurred_at == dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
    assert event.amount_fen == 12300
    with pytest.raises(BatchRejected):
        ingest_events(system_actor, [{"event_id": "m1", "kind": "message", "group_id": group.pk,
                                      "occurred_at": "2026-01-05T10:00:00", "amount_fen": 5}])


def _resent_batch_changes_no_metric(system_actor, group, member):
    day = timezone.localdate() - dt.timedelta(days=1)
    when = timezone.make_aware(dt.datetime.combine(day, dt.time(20, 0)))
    batch = _events(group, member, n=5, when=when)
    ingest_events(system_actor, batch)
    compute_daily_metrics(day)
    before = GroupDailyMetric.objects.filter(group=group, day=day).values().get()
    assert before["messages"] == 5 and before["active_members_7d"] == 1
    assert ingest_events(system_actor, batch) == {"accepted": 0, "duplicates": 5, "errors": []}
    compute_daily_metrics(day)
    assert GroupDailyMetric.objects.filter(group=group, day=day).values().get() == before


def test_resent_batch_changes_no_metric(system_actor, group, member):
    _resent_batch_changes_no_metric(system_actor, group, member)


@pytest.mark.postgres
def test_resent_batch_changes_no_metric_on_postgres(system_actor, group, member):
    _resent_batch_changes_no_metric(system_actor, group, member)


def test_ids_too_large_for_the_database_are_item_errors(system_actor, group):
    now = timezone.now().isoformat()
    with pytest.raises(BatchRejected) as exc:
        ingest_events(system_actor, [{"event_id": "a", "kind": "message", "group_id": 2**70, "occurred_at": now},
                                     {"event_id": "b", "kind": "message", "group_id": group.pk,
                                      "member_id": 2**64, "occurred_at": now}])
    assert [e["index"] for e in exc.value.extra["errors"]] == [0, 1]


def test_suggestion_api_refuses_ids_too_large(api):
    assert api.get(f"/suggestions?group_id={2**70}").status_code == 422
    assert api.post(f"/suggestions/{2**70}/accept").status_code == 404
