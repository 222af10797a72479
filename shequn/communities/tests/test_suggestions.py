import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.models import (
    Dimension,
    Group,
    GroupEvent,
    Membership,
    RedPacket,
    RedPacketGrab,
    Suggestion,
)
from shequn.communities.suggestions import accept_suggestion, generate_suggestions, reject_suggestion
from shequn.core.errors import Conflict, NotFound
from shequn.core.models import AuditEntry

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=90)


def make_group(actor, store, name, *, dimension=None, admins=(), capacity=200):
    group = services.create_group(actor, name=name, store=store, dimension=dimension, admins=admins,
                                  capacity=capacity, rules_text="友善交流")
    Group.objects.filter(pk=group.pk).update(created_at=LONG_AGO)
    Membership.objects.filter(group=group).update(joined_at=LONG_AGO)
    return Group.objects.get(pk=group.pk)


def join(actor, group, member, when=LONG_AGO):
    m, _ = services.join_group(actor, group, member, accepted_rules_version=None, source="test")
    Membership.objects.filter(pk=m.pk).update(joined_at=when)
    return m


def chat(group, member, n=1, when=None, kind="message"):
    for i in range(n):
        GroupEvent.objects.create(source="t", event_id=f"{group.pk}:{member.pk}:{kind}:{i}:{when}", group=group,
                                  member=member, kind=kind, occurred_at=when or NOW - dt.timedelta(days=1))


def grab(group, member):
    rp = RedPacket.objects.create(group=group, mode="fixed", total_fen=100, count=1, remaining_fen=0,
                                  remaining_count=0, expires_at=NOW)
    RedPacketGrab.objects.create(red_packet=rp, member=member, amount_fen=100)


@pytest.fixture
def interest(db):
    return Dimension.objects.create(code="interest-baking", name="烘焙", kind="interest")


def test_freeloader_is_suggested_once_and_removal_on_accept(system_actor, store, make_member, interest):
    admin, freeloader, chatter, newcomer = (make_member(store=store) for _ in range(4))
    group = make_group(system_actor, store, "烘焙群", dimension=interest, admins=[admin])
    for m in (freeloader, chatter):
        join(system_actor, group, m)
        grab(group, m)
    join(system_actor, group, newcomer, when=NOW - dt.timedelta(days=5))
    grab(group, newcomer)
    chat(group, chatter, when=NOW - dt.timedelta(days=40))
    for i in range(6):
        chat(group, admin, when=NOW - dt.timedelta(hours=i + 1))

    assert generate_suggestions(NOW) == 1
    s = Suggestion.objects.get()
    assert (s.kind, s.group_id, s.member_id) == ("remove_freeloader", group.pk, freeloader.pk)
    assert generate_suggestions(NOW) == 0  # no duplicate while pending

    accept_suggestion(system_actor, s)
    m = Membership.objects.get(group=group, member=freeloader)
    assert m.left_at is not None and m.leave_reason == "inactivity"
    assert AuditEntry.objects.filter(action="group.suggestion_accepted", object_id=str(s.pk)).exists()
    with pytest.raises(Conflict):
        accept_suggestion(system_actor, Suggestion.objects.get(pk=s.pk))


def test_small_dead_group_is_merged_into_a_lively_one(system_actor, store, make_member, interest):
    a1, a2, m1, m2 = (make_member(store=store) for _ in range(4))
    small = make_group(system_actor, store, "烘焙2群", dimension=interest, admins=[a1])
    big = make_group(system_actor, store, "烘焙1群", dimension=interest, admins=[a2])
    join(system_actor, small, m1)
    join(system_actor, small, m2)
    chat(small, m1, when=NOW - dt.timedelta(days=2))
    chat(big, a2, n=10)

    generate_suggestions(NOW)
    s = Suggestion.objects.get(kind="merge_groups")
    assert (s.group_id, s.target_group_id) == (small.pk, big.pk)
    accept_suggestion(system_actor, s)
    small.refresh_from_db()
    big.refresh_from_db()
    assert small.status == "archived" and small.member_count == 0
    assert big.member_count == 4
    assert set(Membership.objects.filter(group=big, left_at__isnull=True).values_list("member_id", flat=True)) == {
        a1.pk, a2.pk, m1.pk, m2.pk}
    assert set(Membership.objects.filter(group=small).values_list("leave_reason", flat=True)) == {"merged"}


def test_dead_group_without_merge_target_gets_revive(system_actor, store, make_member):
    group = make_group(system_actor, store, "沉寂群", admins=[make_member(store=store)])
    generate_suggestions(NOW)
    s = Suggestion.objects.get(group=group)
    assert s.kind == "revive_dead"
    reject_suggestion(system_actor, s)
    assert Suggestion.objects.get(pk=s.pk).status == "rejected"
    assert AuditEntry.objects.filter(action="group.suggestion_rejected").exists()
    assert generate_suggestions(NOW) == 0  # a rejection is not repeated the next day


def test_high_value_member_promoted_into_the_stores_vip_group(system_actor, store, make_member):
    from shequn.loyalty.models import LoyaltyAccount, Tier
    from shequn.loyalty.services import ensure_default_tiers

    ensure_default_tiers()
    vip = Dimension.objects.create(code="vip", name="VIP", kind="lifecycle")
    admin, gold, basic, already = (make_member(store=store) for _ in range(4))
    group = make_group(system_actor, store, "钻石VIP群", dimension=vip, admins=[admin])
    chat(group, admin, n=10)
    LoyaltyAccount.objects.filter(member_id__in=[gold.pk, already.pk]).update(tier=Tier.objects.get(code="gold"))
    join(system_actor, group, already)

    generate_suggestions(NOW)
    s = Suggestion.objects.get(kind="promote")
    assert (s.member_id, s.target_group_id) == (gold.pk, group.pk)
    accept_suggestion(system_actor, s)
    assert Membership.objects.filter(group=group, member=gold, left_at__isnull=True).exists()


def test_api_lists_accepts_and_scopes(api, api_as, system_actor, store, other_store, make_member):
    group = make_group(system_actor, store, "沉寂群", admins=[make_member(store=store)])
    generate_suggestions(NOW)
    s = Suggestion.objects.get(group=group)
    r = api.get("/suggestions")
    assert r.status_code == 200 and [i["id"] for i in r.json()["items"]] == [s.pk]
    outsider = api_as("community_operator", stores=[other_store.code])
    assert outsider.get("/suggestions").json()["items"] == []
    assert outsider.post(f"/suggestions/{s.pk}/accept").status_code == 404
    r = api.post(f"/suggestions/{s.pk}/accept")
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = api.post(f"/suggestions/{s.pk}/reject")
    assert r.status_code == 409 and r.json()["type"] == "suggestion-decided"
    with pytest.raises(NotFound):
        from shequn.communities.selectors import get_group
        from shequn.core.actor import Actor

        get_group(Actor(kind="staff", store_ids=frozenset({other_store.pk})), group.pk)
