"""客群 console pages: builder rows → conditions, live preview, save, materialise, members export, coupon grant,
tags page and rule tags, errors shown on their row, store scoping."""

import pytest

from shequn.analytics.models import Segment, TagRule
from shequn.analytics.segments import services as S
from shequn.analytics.tests import segment_world
from shequn.commerce.coupons import services as coupons
from shequn.commerce.coupons.models import Coupon
from shequn.members.models import Tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_member, store, other_store):
    return segment_world.build(make_member, store, other_store)


def rows(*specs) -> dict:
    """Builder POST data for rows given as dicts of parts (field, op, values, number, ...)."""
    data = {"c": [str(n) for n in range(1, len(specs) + 1)]}
    for n, spec in enumerate(specs, start=1):
        for part, value in spec.items():
            data[f"c-{n}-{part}"] = value
    return data


def test_preview_counts_and_names_a_bad_row(world, owner):
    r = owner.post("/console/analytics/segments/preview/", rows({"field": "tag", "op": "has", "values": ["VIP"]}))
    assert r.status_code == 200 and 'data-count="2"' in r.content.decode()
    both = rows({"field": "tag", "op": "has", "values": ["VIP"]}, {"field": "store", "op": "in", "values": ["SH01"]})
    assert 'data-count="1"' in owner.post("/console/analytics/segments/preview/", both).content.decode()
    bad = rows({"field": "never_ordered", "op": "is"},
               {"field": "spend", "op": "gte", "number": "1.234", "wtype": "days", "days": "30"})
    page = owner.post("/console/analytics/segments/preview/", bad).content.decode()
    assert "第 2 行" in page and "金额" in page


def test_save_materialise_export_and_grant(world, owner, system_actor):
    data = {"name": "高价值本店", "description": "", "stores": ["SH01"],
            **rows({"field": "rfm_cell", "op": "in", "values": ["champions"]},
                   {"field": "spend", "op": "gte", "number": "100", "wtype": "days", "days": "30", "group": "A"},
                   {"field": "never_ordered", "op": "is", "group": "A"})}
    r = owner.post("/console/analytics/segments/new/", data)
    assert r.status_code == 302, r.content.decode()[:2000]
    segment = Segment.objects.get()
    assert segment.conditions[0]["field"] == "rfm_cell" and "any" in segment.conditions[1]
    assert list(segment.stores.values_list("code", flat=True)) == ["SH01"]
    r = owner.post(f"/console/analytics/segments/{segment.pk}/materialise/", follow=True)
    assert "共 1 人" in r.content.decode() and list(S.member_ids(segment)) == [world["gold_a"].pk]
    detail = owner.get(f"/console/analytics/segments/{segment.pk}/").content.decode()
    assert world["gold_a"].member_no in detail and "或组 A" in detail
    export = owner.get(f"/console/analytics/segments/{segment.pk}/?export=csv")
    assert world["gold_a"].member_no in export.content.decode("utf-8-sig")

    template = coupons.create_template(system_actor, name="满99减20", kind="threshold", amount_fen=2000,
                                       threshold_fen=9900, valid_days=30)
    r = owner.post(f"/console/analytics/segments/{segment.pk}/grant/", {"template": template.pk, "idem": "x1"},
                   follow=True)
    assert "发出 1 张" in r.content.decode()
    assert list(Coupon.objects.values_list("member_id", flat=True)) == [world["gold_a"].pk]

    edit = owner.get(f"/console/analytics/segments/{segment.pk}/edit/").content.decode()
    assert edit.count('class="cond-row') == 3 and 'value="100"' in edit


def test_a_bad_save_shows_the_row_error_and_saves_nothing(world, owner):
    r = owner.post("/console/analytics/segments/new/", {"name": "坏", **rows(
        {"field": "joined", "op": "before", "date": ""})})
    assert r.status_code == 400 and "不是有效日期" in r.content.decode() and Segment.objects.count() == 0


def test_store_manager_sees_and_builds_their_own(world, console_as, owner):
    owner.post("/console/analytics/segments/new/", {"name": "全部", **rows({"field": "never_ordered", "op": "is"})})
    manager = console_as("store_manager", stores=["SH01"])
    page = manager.get("/console/analytics/segments/new/").content.decode()
    assert "上海静安店" in page and "北京朝阳店" not in page
    assert 'data-count="2"' in manager.post("/console/analytics/segments/preview/", rows()).content.decode()
    assert manager.post("/console/analytics/segments/new/", {"name": "本店", **rows()}).status_code == 302
    listed = manager.get("/console/analytics/segments/").content.decode()
    assert "本店" in listed and "全部" not in listed
    other = Segment.objects.get(name="全部")
    assert manager.get(f"/console/analytics/segments/{other.pk}/").status_code == 404
    assert console_as("community_operator", stores=["SH01"]).get(
        "/console/analytics/segments/new/").status_code == 403


def test_tags_page_manual_and_rule(world, owner):
    owner.post("/console/analytics/tags/", {"name": "宝妈"})
    assert Tag.objects.filter(name="宝妈", rule__isnull=True).exists()
    r = owner.post("/console/analytics/tags/rule/new/", {"name": "金卡会员标签", **rows(
        {"field": "tier", "op": "in", "values": ["gold"]})}, follow=True)
    assert "1 人" in r.content.decode()
    rule = TagRule.objects.get(tag__name="金卡会员标签")
    assert rule.member_count == 1
    page = owner.get("/console/analytics/tags/").content.decode()
    assert "宝妈" in page and "金卡会员标签" in page and "规则" in page
    assert owner.post(f"/console/analytics/tags/{rule.tag_id}/evaluate/", follow=True).status_code == 200
