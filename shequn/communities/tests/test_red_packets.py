"""Red packets: splits that sum exactly, one grab per member, members only, expiry refunds."""

import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shequn.accounts.actors import member_actor
from shequn.communities import services
from shequn.communities.errors import GroupArchived, NotAGroupMember, NotYourself
from shequn.communities.models import GroupCost, GroupEvent, RedPacket
from shequn.communities.red_packets import (
    AlreadyGrabbed,
    InvalidRedPacket,
    RedPacketEmpty,
    RedPacketExpired,
    next_share,
)
from shequn.core.models import AuditEntry, OutboxEvent


def split(mode: str, total: int, count: int, rng: random.Random) -> list[int]:
    shares, remaining = [], total
    for left in range(count, 0, -1):
        amount = next_share(mode, remaining, left, rng)
        shares.append(amount)
        remaining -= amount
    return shares


def test_fixed_split_sums_exactly_and_differs_by_at_most_one_fen():
    shares = split("fixed", 1000, 3, random.Random(1))
    assert shares == [334, 333, 333] and sum(shares) == 1000
    assert split("fixed", 600, 6, random.Random(1)) == [100] * 6


@pytest.mark.parametrize("seed", range(300))
def test_random_split_gives_every_share_a_fen_and_sums_exactly(seed):
    rng = random.Random(seed)
    count = rng.randint(1, 200)
    total = rng.randint(count, 200_000)
    shares = split("random", total, count, rng)
    assert len(shares) == count and sum(shares) == total and min(shares) >= 1


@settings(max_examples=300, deadline=None)
@given(count=st.integers(1, 200), extra=st.integers(0, 200_000), seed=st.integers(0, 2**32))
def test_random_split_property(count, extra, seed):
    total = min(count + extra, 200_000)
    if total < count:
        return
    shares = split("random", total, count, random.Random(seed))
    assert sum(shares) == total and min(shares) >= 1


def test_random_split_of_exactly_one_fen_per_share():
    assert split("random", 5, 5, random.Random(3)) == [1, 1, 1, 1, 1]


@pytest.fixture
def group(system_actor, store):
    return services.create_group(system_actor, name="静安宝妈群", store=store, capacity=50)


@pytest.fixture
def join(system_actor, group):
    def add(member):
        services.join_group(system_actor, group, member, accepted_rules_version=None)
        return member
    return add


pytestmark = pytest.mark.django_db


def test_create_books_the_cost_audit_and_outbox(system_actor, group):
    packet = services.create_red_packet(system_actor, group, total_fen=1000, count=5, mode="random")
    assert packet.remaining_fen == 1000 and packet.remaining_count == 5 and packet.status == "open"
    assert GroupCost.objects.get(kind="red_packet", ref=f"rp:{packet.pk}").amount_fen == 1000
    assert AuditEntry.objects.filter(action="red_packet.created").count() == 1
    assert OutboxEvent.objects.filter(topic="red_packet.created").count() == 1


@pytest.mark.parametrize("total, count, mode", [
    (4, 5, "random"), (0, 1, "fixed"), (200_001, 10, "fixed"), (1000, 0, "fixed"), (1000, 201, "random"),
    (1000, 5, "lucky"),
])
def test_bad_red_packets_are_refused_and_write_nothing(system_actor, group, total, count, mode):
    with pytest.raises(InvalidRedPacket):
        services.create_red_packet(system_actor, group, total_fen=total, count=count, mode=mode)
    assert not RedPacket.objects.exists() and not GroupCost.objects.exists()


def test_expiry_limits(system_actor, group):
    with pytest.raises(InvalidRedPacket):
        services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed",
                                   expires_in=dt.timedelta(days=8))


def test_archived_group_takes_no_red_packets(system_actor, group, make_member, store):
    admin = make_member(store=store)
    services.join_group(system_actor, group, admin, accepted_rules_version=None)
    services.archive_group(system_actor, group)
    group.refresh_from_db()
    with pytest.raises(GroupArchived):
        services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed")


def test_grabs_until_empty_sum_to_the_total(system_actor, group, join, make_member, store):
    packet = services.create_red_packet(system_actor, group, total_fen=1001, count=3, mode="random")
    members = [join(make_member(store=store)) for _ in range(4)]
    amounts = [services.grab_red_packet(system_actor, packet.pk, m).amount_fen for m in members[:3]]
    assert sum(amounts) == 1001 and min(amounts) >= 1
    with pytest.raises(RedPacketEmpty):
        services.grab_red_packet(system_actor, packet.pk, members[3])
    packet.refresh_from_db()
    assert packet.remaining_fen == 0 and packet.remaining_count == 0 and packet.status == "empty"
    events = GroupEvent.objects.filter(group=group, kind="red_packet_grab")
    assert events.count() == 3 and {e.member_id for e in events} == {m.pk for m in members[:3]}


def test_one_grab_per_member(system_actor, group, join, member):
    join(member)
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=5, mode="fixed")
    assert services.grab_red_packet(system_actor, packet.pk, member).amount_fen == 20
    with pytest.raises(AlreadyGrabbed):
        services.grab_red_packet(system_actor, packet.pk, member)
    packet.refresh_from_db()
    assert packet.remaining_fen == 80 and packet.remaining_count == 4


def test_only_current_members_grab(system_actor, group, join, member, make_member, store):
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=5, mode="fixed")
    with pytest.raises(NotAGroupMember):
        services.grab_red_packet(system_actor, packet.pk, member)
    leaver = join(make_member(store=store))
    join(make_member(store=store))  # someone stays so the group keeps a member
    services.leave_group(system_actor, group, leaver)
    with pytest.raises(NotAGroupMember):
        services.grab_red_packet(system_actor, packet.pk, leaver)
    packet.refresh_from_db()
    assert packet.remaining_count == 5


def test_a_member_grabs_only_for_themselves(system_actor, group, join, make_member, store):
    me, other = join(make_member(store=store)), join(make_member(store=store))
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=5, mode="fixed")
    with pytest.raises(NotYourself):
        services.grab_red_packet(member_actor(me.pk, "127.0.0.1"), packet.pk, other)
    assert services.grab_red_packet(member_actor(me.pk, "127.0.0.1"), packet.pk, me).amount_fen == 20


def test_expiry_refunds_the_remainder_into_group_costs(system_actor, group, join, member):
    join(member)
    packet = services.create_red_packet(system_actor, group, total_fen=1000, count=4, mode="fixed")
    services.grab_red_packet(system_actor, packet.pk, member)
    assert services.expire_red_packets() == 0
    later = packet.expires_at + dt.timedelta(seconds=1)
    assert services.expire_red_packets(now=later) == 1
    packet.refresh_from_db()
    assert packet.status == "expired" and packet.refunded_fen == 750 and packet.remaining_fen == 0
    refund = GroupCost.objects.get(kind="red_packet_refund", ref=f"rp:{packet.pk}")
    assert refund.amount_fen == -750
    assert sum(GroupCost.objects.filter(group=group).values_list("amount_fen", flat=True)) == 250
    assert services.expire_red_packets(now=later) == 0  # once only


def test_expired_packet_cannot_be_grabbed(system_actor, group, join, member):
    join(member)
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=2, mode="fixed")
    RedPacket.objects.filter(pk=packet.pk).update(expires_at=packet.created_at - dt.timedelta(seconds=1))
    with pytest.raises(RedPacketExpired):
        services.grab_red_packet(system_actor, packet.pk, member)


def test_empty_packet_is_not_refunded(system_actor, group, join, member):
    join(member)
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed")
    services.grab_red_packet(system_actor, packet.pk, member)
    assert services.expire_red_packets(now=packet.expires_at + dt.timedelta(minutes=1)) == 0
    assert not GroupCost.objects.filter(kind="red_packet_refund").exists()


def test_check_red_packets_finds_a_packet_that_does_not_add_up(system_actor, group, join, make_member, store):
    import datetime as dt

    from django.utils import timezone

    from shequn.communities.red_packets import check_red_packets

    packet = services.create_red_packet(system_actor, group, total_fen=900, count=3, mode="fixed")
    services.grab_red_packet(system_actor, packet.pk, join(make_member(store=store)))
    services.expire_red_packets(now=timezone.now() + dt.timedelta(days=2))
    assert check_red_packets() == []
    RedPacket.objects.filter(pk=packet.pk).update(refunded_fen=0)  # a lost refund
    assert [row["red_packet_id"] for row in check_red_packets()] == [packet.pk]
