import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from shequn.communities.models import (
    ActivitySignup,
    EntryCode,
    Group,
    GroupDailyMetric,
    GroupEvent,
    InviteLink,
    Membership,
    PollVote,
    Post,
    RedPacket,
    RedPacketGrab,
    Suggestion,
)
from shequn.core import pii
from shequn.demo import data
from shequn.demo.loader import load_demo
from shequn.members.models import Member

pytestmark = pytest.mark.django_db

MODELS = [Group, Membership, GroupEvent, Post, PollVote, RedPacket, RedPacketGrab, ActivitySignup, EntryCode,
          InviteLink, GroupDailyMetric, Suggestion]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_community_demo_is_loaded_once_and_looks_lived_in():
    load_demo(members=600, show_progress=False)
    first = counts()
    load_demo(members=600, show_progress=False)
    assert counts() == first

    assert first["Group"] == 30
    assert set(Group.objects.values_list("dimension__kind", flat=True)) == {"region", "interest", "tier", "lifecycle"}
    for group in Group.objects.all():
        assert group.member_count == group.memberships.filter(left_at__isnull=True).count() <= group.capacity
        assert group.memberships.filter(left_at__isnull=True, role__in=["owner", "admin"]).exists()
        assert group.rules_versions.exists()
    assert first["GroupEvent"] > 5000 and first["GroupDailyMetric"] == 30 * 91
    joins = Counter(GroupEvent.objects.filter(kind="join").values_list("group_id", "member_id"))
    assert joins and max(joins.values()) == 1  # a join written by the group service is not written again
    hours = Counter(timezone.localtime(at).hour for at in GroupEvent.objects.filter(kind="message")
                    .values_list("occurred_at", flat=True))
    assert sum(hours[h] for h in range(19, 23)) > 2 * sum(hours[h] for h in range(7, 11))
    quiet = [g.name for g in Group.objects.all()
             if not g.events.filter(kind="message", occurred_at__gte=timezone.now() - dt.timedelta(days=20)).exists()]
    assert len(quiet) >= 3 and all(name.endswith(("店3群", "团长群")) for name in quiet)
    assert EntryCode.objects.filter(overflow="create").count() == 1
    assert RedPacket.objects.filter(status="open").exists() and first["RedPacketGrab"] > 100
    assert first["PollVote"] > 0 and ActivitySignup.objects.filter(checked_in_at__isnull=False).exists()
    assert first["Suggestion"] > 0
    showcase = Member.objects.get(phone_hash=pii.blind_index(data.DEMO_PHONE))
    assert set(Group.objects.filter(memberships__member=showcase, memberships__left_at__isnull=True)
               .values_list("name", flat=True)) == {"静安店1群", "静安宝妈群"}
