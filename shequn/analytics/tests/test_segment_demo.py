"""The demo's segments and rule tag are built, materialised, and a second run adds nothing."""

import pytest

from shequn.analytics.models import Segment
from shequn.analytics.segments.demo import load_demo_segments
from shequn.members.models import Member

from . import segment_world

pytestmark = pytest.mark.django_db


def test_demo_segments_and_rule_tag(make_member, store, other_store, system_actor):
    world = segment_world.build(make_member, store, other_store)
    assert "3 个客群" in load_demo_segments(system_actor)
    counts = dict(Segment.objects.values_list("name", "member_count"))
    assert counts == {"高价值沉睡会员": 0, "近30天新客": 1, "金卡及以上本店会员": 0}  # gold_a is not at BJ01
    own = Segment.objects.get(name="金卡及以上本店会员")
    assert list(own.stores.values_list("code", flat=True)) == ["BJ01"]
    assert list(Member.objects.filter(tags__name="高价值").values_list("pk", flat=True)) == [world["gold_a"].pk]
    load_demo_segments(system_actor)
    assert Segment.objects.count() == 3
