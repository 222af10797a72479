"""Activities: capacity, signup, QR check-in (signed up or walk-in) and attendance."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.activities import ActivityEnded, ActivityFull, CheckInClosed, InvalidActivity
from shequn.communities.errors import NotAGroupMember
from shequn.communities.models import Activity, GroupEvent

pytestmark = pytest.mark.django_db


def make_activity(actor, store, capacity=2, group=None, starts_in=dt.timedelta(hours=1)):
    start = timezone.now() + starts_in
    return services.create_activity(actor, store=store, title="亲子烘焙", starts_at=start,
                                    ends_at=start + dt.timedelta(hours=2), capacity=capacity, group=group,
                                    location="静安店二楼")


def test_capacity_is_respected(system_actor, store, make_member):
    activity = make_activity(system_actor, store)
    a, b, c = (make_member(store=store) for _ in range(3))
    services.sign_up(system_actor, activity, a)
    assert services.sign_up(system_actor, activity, a).member_id == a.pk  # again: same signup, no seat
    services.sign_up(system_actor, activity, b)
    with pytest.raises(ActivityFull):
        services.sign_up(system_actor, activity, c)
    activity.refresh_from_db()
    assert activity.signup_count == 2


def test_check_in_by_token_and_attendance(system_actor, store, make_member):
    activity = make_activity(system_actor, store, capacity=3)
    a, b, walk_in = (make_member(store=store) for _ in range(3))
    services.sign_up(system_actor, activity, a)
    services.sign_up(system_actor, activity, b)
    signup = services.check_in_activity(system_actor, activity.checkin_token, a)
    assert signup.checked_in_at is not None
    first = signup.checked_in_at
    assert services.check_in_activity(system_actor, activity.checkin_token, a).checked_in_at == first
    services.check_in_activity(system_actor, activity.checkin_token, walk_in)
    rows = services.attendance(activity)
    assert [(r["member_id"], r["checked_in_at"] is not None) for r in rows] == [
        (a.pk, True), (b.pk, False), (walk_in.pk, True)]
    activity.refresh_from_db()
    assert activity.signup_count == 3


def test_walk_in_needs_a_free_seat(system_actor, store, make_member):
    activity = make_activity(system_actor, store, capacity=1)
    services.sign_up(system_actor, activity, make_member(store=store))
    with pytest.raises(ActivityFull):
        services.check_in_activity(system_actor, activity.checkin_token, make_member(store=store))


def test_check_in_opens_two_hours_before(system_actor, store, member):
    activity = make_activity(system_actor, store, starts_in=dt.timedelta(hours=3))
    services.sign_up(system_actor, activity, member)
    with pytest.raises(CheckInClosed):
        services.check_in_activity(system_actor, activity.checkin_token, member)


def test_unknown_token_is_404(system_actor, member):
    from shequn.communities.activities import ActivityNotFound
    with pytest.raises(ActivityNotFound):
        services.check_in_activity(system_actor, "nope", member)


def test_group_activity_is_for_group_members_and_records_events(system_actor, store, make_member):
    group = services.create_group(system_actor, name="烘焙兴趣群", store=store)
    insider, outsider = make_member(store=store), make_member(store=store)
    services.join_group(system_actor, group, insider, accepted_rules_version=None)
    activity = make_activity(system_actor, store, group=group)
    with pytest.raises(NotAGroupMember):
        services.sign_up(system_actor, activity, outsider)
    services.sign_up(system_actor, activity, insider)
    services.check_in_activity(system_actor, activity.checkin_token, insider)
    kinds = set(GroupEvent.objects.filter(group=group, member=insider).values_list("kind", flat=True))
    assert {"activity_signup", "activity_checkin"} <= kinds


def test_ended_activity_takes_no_signups(system_actor, store, member):
    activity = make_activity(system_actor, store)
    Activity.objects.filter(pk=activity.pk).update(ends_at=timezone.now() - dt.timedelta(minutes=1))
    activity.refresh_from_db()
    with pytest.raises(ActivityEnded):
        services.sign_up(system_actor, activity, member)


@pytest.mark.parametrize("changes", [{"capacity": 0}, {"title": " "}, {"kind": "party"},
                                     {"ends_at": timezone.now() - dt.timedelta(days=1)},
                                     {"starts_at": dt.datetime(1, 1, 1, tzinfo=dt.UTC)},
                                     {"ends_at": timezone.now() + dt.timedelta(days=800)}])
def test_bad_activities_are_refused(system_actor, store, changes):
    start = timezone.now() + dt.timedelta(days=1)
    args = dict(store=store, title="读书会", starts_at=start, ends_at=start + dt.timedelta(hours=1), capacity=10)
    args.update(changes)
    with pytest.raises(InvalidActivity):
        services.create_activity(system_actor, **args)
    assert not Activity.objects.exists()


def test_group_of_another_store_is_refused(system_actor, store, other_store):
    group = services.create_group(system_actor, name="北京群", store=other_store)
    with pytest.raises(InvalidActivity):
        make_activity(system_actor, store, group=group)
