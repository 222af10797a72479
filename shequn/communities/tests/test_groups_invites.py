"""Invite links of seed users and KOLs, and their inviter statistics."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.communities import services
from shequn.communities.errors import NotAGroupMember
from shequn.communities.events import record_event
from shequn.communities.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(system_actor, store):
    return services.create_group(system_actor, name="宝妈群", store=store)


def test_invite_link_is_one_per_member_and_group(system_actor, group, member):
    with pytest.raises(NotAGroupMember):
        services.create_invite_link(system_actor, member, group)
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    link = services.create_invite_link(member_actor(member.pk), member, group)
    assert services.create_invite_link(system_actor, member, group).pk == link.pk
    assert services.invite_link_url(link) == f"/m/invite/{link.code}/"


def test_inviter_stats_count_invitees_and_their_activity(system_actor, group, member, make_member, store):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    services.mark_seed(system_actor, group, member)
    link = services.create_invite_link(system_actor, member, group)
    active, quiet, gone, lapsed = (make_member(store=store) for _ in range(4))
    for friend in (active, quiet, gone, lapsed):
        membership, _ = services.join_via_invite(system_actor, link.code, friend)
        assert membership.invited_by_id == member.pk and membership.group_id == group.pk
    services.leave_group(system_actor, group, gone)
    record_event(group.pk, "message", event_id="m1", member_id=active.pk, source="h5")
    record_event(group.pk, "message", event_id="m2", member_id=lapsed.pk, source="h5",
                 occurred_at=timezone.now() - dt.timedelta(days=40))
    assert services.inviter_stats(member) == {"invited": 4, "still_in": 3, "active_30d": 1, "links": 1}


def test_inviting_yourself_records_no_inviter(system_actor, group, member, store):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    other = services.create_group(system_actor, name="二群", store=store)
    link = services.create_invite_link(system_actor, member, None)
    services.leave_group(system_actor, group, member)
    services.join_group(system_actor, other, member, accepted_rules_version=None)
    # a group-less link follows the inviter to their latest group; joining it yourself is not an invite
    membership, created = services.join_via_invite(system_actor, link.code, member)
    assert membership.group_id == other.pk and created is False
    assert not Membership.objects.filter(invited_by=member).exists()
