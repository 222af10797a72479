"""Joining, leaving, removal, roles, the last-admin rule and the blacklist."""

import pytest

from shequn.accounts.actors import member_actor
from shequn.communities import services
from shequn.communities.errors import (
    AlreadyBlacklisted,
    Blacklisted,
    GroupArchived,
    GroupFull,
    LastAdmin,
    NotAGroupMember,
    NotYourself,
    RulesChanged,
)
from shequn.communities.models import GroupEvent, Membership
from shequn.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(system_actor, store):
    return services.create_group(system_actor, name="静安宝妈群", store=store, capacity=3)


def test_join_records_membership_event_audit_and_outbox(system_actor, group, member):
    membership, created = services.join_group(system_actor, group, member, accepted_rules_version=None)
    assert created and membership.role == "member" and membership.left_at is None
    group.refresh_from_db()
    assert group.member_count == 1
    assert GroupEvent.objects.filter(group=group, kind="join", member=member).count() == 1
    assert AuditEntry.objects.filter(action="group.member_joined").count() == 1
    assert OutboxEvent.objects.filter(topic="group.member_joined").count() == 1


def test_joining_twice_returns_the_existing_membership(system_actor, group, member):
    first, _ = services.join_group(system_actor, group, member, accepted_rules_version=None)
    again, created = services.join_group(system_actor, group, member, accepted_rules_version=None)
    assert again.pk == first.pk and created is False
    group.refresh_from_db()
    assert group.member_count == 1


def test_full_group_refuses_with_group_full(system_actor, group, make_member, store):
    for _ in range(3):
        services.join_group(system_actor, group, make_member(store=store), accepted_rules_version=None)
    with pytest.raises(GroupFull) as exc:
        services.join_group(system_actor, group, make_member(store=store), accepted_rules_version=None)
    assert exc.value.status == 409 and exc.value.type == "group-full"
    group.refresh_from_db()
    assert group.member_count == 3 == Membership.objects.filter(group=group, left_at__isnull=True).count()


def test_archived_group_refuses(system_actor, group, member):
    services.archive_group(system_actor, group)
    with pytest.raises(GroupArchived):
        services.join_group(system_actor, group, member, accepted_rules_version=None)


def test_member_must_accept_current_rules_version(system_actor, group, member):
    services.set_rules(system_actor, group, "不发广告")
    rules = services.set_rules(system_actor, group, "不发广告，不拉人")
    assert rules.version == 2
    me = member_actor(member.pk)
    with pytest.raises(RulesChanged) as exc:
        services.join_group(me, group, member, accepted_rules_version=1)
    assert exc.value.type == "rules-changed" and exc.value.extra["current_version"] == 2
    with pytest.raises(RulesChanged):
        services.join_group(me, group, member, accepted_rules_version=None)
    assert not Membership.objects.filter(group=group).exists()
    membership, created = services.join_group(me, group, member, accepted_rules_version=2)
    assert created and membership.rules_version == 2


def test_member_session_cannot_join_someone_else(group, member, make_member, store):
    other = make_member(store=store)
    with pytest.raises(NotYourself):
        services.join_group(member_actor(other.pk), group, member, accepted_rules_version=None)


def test_leave_frees_the_seat_and_records_reason(system_actor, group, member):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    left = services.leave_group(member_actor(member.pk), group, member)
    assert left.leave_reason == "left" and left.left_at is not None
    group.refresh_from_db()
    assert group.member_count == 0
    assert GroupEvent.objects.filter(group=group, kind="leave").count() == 1
    with pytest.raises(NotAGroupMember):
        services.leave_group(system_actor, group, member)
    _, created = services.join_group(system_actor, group, member, accepted_rules_version=None)
    assert created  # rejoining after leaving is a new membership


def test_remove_needs_a_known_reason(system_actor, group, member):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    from shequn.communities.errors import InvalidGroup

    with pytest.raises(InvalidGroup):
        services.remove_member(system_actor, group, member, reason="left")
    removed = services.remove_member(system_actor, group, member, reason="poaching", note="私聊拉人去别家")
    assert removed.leave_reason == "poaching" and removed.leave_note == "私聊拉人去别家"


def test_first_admin_is_owner_and_last_admin_cannot_go(system_actor, store, make_member):
    boss, helper, fan = (make_member(store=store) for _ in range(3))
    group = services.create_group(system_actor, name="VIP群", store=store, admins=[boss])
    owner = Membership.objects.get(group=group, member=boss)
    assert owner.role == "owner" and group.member_count == 1
    services.join_group(system_actor, group, fan, accepted_rules_version=None)
    for attempt in (lambda: services.remove_member(system_actor, group, boss, reason="other"),
                    lambda: services.set_role(system_actor, group, boss, "member"),
                    lambda: services.leave_group(system_actor, group, boss)):
        with pytest.raises(LastAdmin) as exc:
            attempt()
        assert exc.value.status == 409 and exc.value.type == "last-admin"
    services.join_group(system_actor, group, helper, accepted_rules_version=None)
    services.set_role(system_actor, group, helper, "admin")
    services.set_role(system_actor, group, boss, "member")  # another admin remains
    with pytest.raises(LastAdmin):
        services.remove_member(system_actor, group, helper, reason="other")
    services.set_role(system_actor, group, fan, "owner")
    services.remove_member(system_actor, group, helper, reason="other")  # the new owner counts as admin
    assert Membership.objects.get(group=group, member=fan, left_at__isnull=True).role == "owner"


def test_making_someone_owner_demotes_the_previous_owner(system_actor, store, make_member):
    boss, heir = make_member(store=store), make_member(store=store)
    group = services.create_group(system_actor, name="VIP群", store=store, admins=[boss, heir])
    assert Membership.objects.get(group=group, member=heir).role == "admin"
    services.set_role(system_actor, group, heir, "owner")
    roles = dict(Membership.objects.filter(group=group).values_list("member_id", "role"))
    assert roles == {boss.pk: "admin", heir.pk: "owner"}


def test_blacklist_removes_from_groups_and_refuses_joins(system_actor, group, member, store):
    second = services.create_group(system_actor, name="烘焙兴趣群", store=store)
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    services.join_group(system_actor, second, member, accepted_rules_version=None)
    services.blacklist_member(system_actor, member, "反复发广告")
    assert not Membership.objects.filter(member=member, left_at__isnull=True).exists()
    assert set(Membership.objects.filter(member=member).values_list("leave_reason", flat=True)) == {"blacklisted"}
    with pytest.raises(Blacklisted) as exc:
        services.join_group(system_actor, group, member, accepted_rules_version=None)
    assert exc.value.status == 403 and exc.value.type == "blacklisted"
    with pytest.raises(AlreadyBlacklisted):
        services.blacklist_member(system_actor, member, "again")
    services.unblacklist_member(system_actor, member)
    assert services.join_group(system_actor, group, member, accepted_rules_version=None)[1]


def test_mark_seed(system_actor, group, member):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    assert services.mark_seed(system_actor, group, member).is_seed
    assert not services.mark_seed(system_actor, group, member, is_seed=False).is_seed
