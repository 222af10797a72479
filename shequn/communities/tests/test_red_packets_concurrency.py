"""PostgreSQL, real threads and connections: simultaneous grabs never over-draw a red packet,
and simultaneous signups never overfill an activity."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.activities import ActivityFull
from shequn.communities.models import Activity, ActivitySignup, Group, Membership, RedPacket, RedPacketGrab
from shequn.communities.red_packets import RedPacketEmpty
from shequn.core.tests.threads import bulk_members, spread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _members(store, n):
    return bulk_members(store, n, "群成员")


def _group_of(system_actor, store, members):
    group = services.create_group(system_actor, name="静安福利群", store=store, capacity=500)
    Membership.objects.bulk_create(Membership(group=group, member=m, joined_at=timezone.now()) for m in members)
    Group.objects.filter(pk=group.pk).update(member_count=len(members))
    group.refresh_from_db()
    return group


@pytest.mark.parametrize("mode", ["random", "fixed"])
def test_300_grabs_of_a_100_share_packet(system_actor, store, mode):
    members = _members(store, 300)
    group = _group_of(system_actor, store, members)
    packet = services.create_red_packet(system_actor, group, total_fen=50_000, count=100, mode=mode)

    results = spread(members, lambda m: services.grab_red_packet(system_actor, packet.pk, m))

    grabs = [r for r in results if isinstance(r, RedPacketGrab)]
    others = [r for r in results if not isinstance(r, RedPacketGrab)]
    assert len(grabs) == 100
    assert len(others) == 200 and all(isinstance(e, RedPacketEmpty) for e in others), others[:3]
    assert sum(g.amount_fen for g in grabs) == 50_000 and min(g.amount_fen for g in grabs) >= 1
    packet.refresh_from_db()
    assert packet.remaining_fen == 0 and packet.remaining_count == 0 and packet.status == "empty"
    stored = RedPacketGrab.objects.filter(red_packet=packet)
    assert stored.count() == 100 and stored.values("member").distinct().count() == 100
    assert sum(stored.values_list("amount_fen", flat=True)) == 50_000
    assert RedPacket.objects.get(pk=packet.pk).grabs.count() == 100
    from shequn.communities.red_packets import check_red_packets

    assert check_red_packets() == []


def test_50_signups_for_20_seats(system_actor, store):
    members = _members(store, 50)
    start = timezone.now() + dt.timedelta(days=1)
    activity = services.create_activity(system_actor, store=store, title="亲子烘焙", starts_at=start,
                                        ends_at=start + dt.timedelta(hours=2), capacity=20)

    results = spread(members, lambda m: services.sign_up(system_actor, activity, m))

    signups = [r for r in results if isinstance(r, ActivitySignup)]
    full = [r for r in results if isinstance(r, ActivityFull)]
    assert len(signups) == 20 and len(full) == 30, [r for r in results if not isinstance(r, (ActivitySignup,
                                                                                            ActivityFull))][:3]
    assert Activity.objects.get(pk=activity.pk).signup_count == 20
    assert ActivitySignup.objects.filter(activity=activity).count() == 20
