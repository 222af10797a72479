"""客群 and 标签 over HTTP: CRUD, preview, materialise replaces, members and exports, coupon grant, scoping,
problems naming the bad condition, tag rules, event refresh and the nightly job."""

import io

import pytest
from openpyxl import load_workbook

from shequn.analytics.models import Segment, SegmentMember
from shequn.analytics.segments import services as S
from shequn.analytics.segments import tasks
from shequn.commerce.coupons import services as coupons
from shequn.commerce.coupons.models import Coupon
from shequn.core import outbox
from shequn.members.models import Member, Tag
from shequn.members.services import record_consent

from . import segment_world

pytestmark = pytest.mark.django_db
VIP = [{"field": "tag", "op": "has", "value": ["VIP"]}]


@pytest.fixture
def world(make_member, store, other_store):
    return segment_world.build(make_member, store, other_store)


def ids(world, *keys) -> set[int]:
    return {world[k].pk for k in keys}


def _create(api, key="s1", **body):
    return api.post("/analytics/segments", {"name": "VIP 会员", "conditions": VIP, **body}, key=key)


def test_create_preview_materialise_members_and_replace(world, api):
    r = _create(api)
    assert r.status_code == 201, r.content
    seg = r.json()
    assert _create(api).json()["id"] == seg["id"] and Segment.objects.count() == 1  # replayed key
    assert seg["member_count"] is None and seg["materialised_at"] is None

    preview = api.post("/analytics/segments/preview", {"conditions": VIP}).json()
    assert preview["count"] == 2 and {m["id"] for m in preview["sample"]} == ids(world, "gold_a", "silver_b")

    done = api.post(f"/analytics/segments/{seg['id']}/materialise", key="m1").json()
    assert done == {"added": 2, "removed": 0, "count": 2}
    page = api.get(f"/analytics/segments/{seg['id']}/members?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = api.get(f"/analytics/segments/{seg['id']}/members?limit=1&cursor={page['next_cursor']}").json()
    assert {page["items"][0]["id"], rest["items"][0]["id"]} == ids(world, "gold_a", "silver_b")

    # the definition changes: materialising again replaces the list, reporting who came and went
    changed = {"name": "VIP 或新客", "conditions": [{"any": VIP + [{"field": "never_ordered"}]},
                                                      {"field": "store", "op": "in", "value": ["SH01"]}]}
    assert api._call("put", f"/analytics/segments/{seg['id']}", json=changed).status_code == 200
    assert api.post(f"/analytics/segments/{seg['id']}/materialise", key="m2").json() == \
        {"added": 1, "removed": 1, "count": 2}
    assert set(SegmentMember.objects.values_list("member_id", flat=True)) == ids(world, "gold_a", "new_a")
    assert list(S.member_ids(Segment.objects.get())) == sorted(ids(world, "gold_a", "new_a"))

    assert api._call("delete", f"/analytics/segments/{seg['id']}", key="d1").status_code == 204
    assert not Segment.objects.exists() and not SegmentMember.objects.exists()


def test_exports_open_and_hold_the_members(world, api):
    seg = _create(api).json()
    api.post(f"/analytics/segments/{seg['id']}/materialise", key="m1")
    xlsx = api.get(f"/analytics/segments/{seg['id']}/members/export?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "会员号" and sheet.max_row == 3
    csv = api.get(f"/analytics/segments/{seg['id']}/members/export?format=csv").content.decode("utf-8-sig")
    assert world["gold_a"].member_no in csv and "金卡会员" in csv
    assert api.get(f"/analytics/segments/{seg['id']}/members/export?format=pdf").status_code == 422


def test_bad_conditions_are_422_naming_the_condition_and_write_nothing(world, api):
    r = _create(api, conditions=[{"field": "never_ordered"},
                                 {"field": "spend", "op": "gte", "value": "abc", "window": {"days": 30}}])
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "invalid-segment-conditions" and body["errors"][0]["condition"] == "2"
    assert body["errors"][0]["field"] == "spend" and "条件 2" in body["detail"]
    assert Segment.objects.count() == 0
    assert api.post("/analytics/segments/preview", {"conditions": [{"field": "nope"}]}).status_code == 422
    assert _create(api, key="s2", name=" ").json()["type"] == "invalid-segment-name"
    assert api.get("/analytics/segments/999").status_code == 404


def test_store_manager_builds_over_their_stores_only(world, api, api_as):
    hq_seg = _create(api).json()
    mgr = api_as("store_manager", stores=["SH01"])
    assert api_as("community_operator", stores=["SH01"]).post(
        "/analytics/segments", {"name": "x", "conditions": []}, key="c1").status_code == 403
    assert mgr.post("/analytics/segments/preview", {"conditions": VIP}).json()["count"] == 1
    assert mgr.post("/analytics/segments/preview", {"conditions": [], "stores": ["BJ01"]}).status_code == 403
    mine = mgr.post("/analytics/segments", {"name": "本店 VIP", "conditions": VIP}, key="k1").json()
    assert mine["stores"] == ["SH01"]
    assert mgr.post(f"/analytics/segments/{mine['id']}/materialise", key="k2").json()["count"] == 1
    assert [s["id"] for s in mgr.get("/analytics/segments").json()] == [mine["id"]]
    assert mgr.get(f"/analytics/segments/{hq_seg['id']}").status_code == 404  # every store: not theirs
    assert {s["id"] for s in api.get("/analytics/segments").json()} == {mine["id"], hq_seg["id"]}


def test_grant_a_coupon_to_the_segment(world, api, api_as, system_actor):
    template = coupons.create_template(system_actor, name="回归礼 满99减20", kind="threshold", amount_fen=2000,
                                       threshold_fen=9900, valid_days=30)
    seg = _create(api).json()
    url = f"/analytics/segments/{seg['id']}/grant-coupon"
    assert api.post(url, {"template_id": template.pk}, key="g0").json()["type"] == "segment-not-materialised"
    api.post(f"/analytics/segments/{seg['id']}/materialise", key="m1")
    r = api.post(url, {"template_id": template.pk, "ref": "vip-nov"}, key="g1")
    assert r.status_code == 200, r.content
    assert r.json()["issued"] == 2 and r.json()["members"] == 2
    assert set(Coupon.objects.filter(template=template).values_list("member_id", flat=True)) == \
        ids(world, "gold_a", "silver_b")
    assert api.post(url, {"template_id": template.pk, "ref": "vip-nov"}, key="g2").json()["already"] == 2
    assert api_as("analyst").post(url, {"template_id": template.pk}, key="g3").status_code == 403


def test_manual_tags_assign_and_refresh_segments_by_event(world, api, api_as):
    seg = _create(api).json()
    api.post(f"/analytics/segments/{seg['id']}/materialise", key="m1")
    vip = Tag.objects.get(name="VIP")
    assert api.post(f"/analytics/tags/{vip.pk}/assign", {"member_ids": [world["old_b"].pk]}, key="a1").json() == \
        {"changed": 1}
    outbox.drain()
    assert set(S.member_ids(Segment.objects.get())) == ids(world, "gold_a", "silver_b", "old_b")
    assert Segment.objects.get().member_count == 3
    api.post(f"/analytics/tags/{vip.pk}/unassign", {"member_ids": [world["gold_a"].pk]}, key="a2")
    outbox.drain()
    assert set(S.member_ids(Segment.objects.get())) == ids(world, "silver_b", "old_b")

    mgr = api_as("store_manager", stores=["SH01"])
    assert mgr.post(f"/analytics/tags/{vip.pk}/assign", {"member_ids": [world["old_b"].pk]},
                    key="a3").status_code == 404  # another store's member
    tags = {t["name"]: t for t in api.get("/analytics/tags").json()}
    assert tags["VIP"]["members"] == 3 and tags["VIP"]["rule"] is None  # the inactive member keeps the tag too


def test_tag_everyone_in_a_segment(world, api):
    seg = api.post("/analytics/segments", {"name": "新客", "conditions": [{"field": "never_ordered"}]},
                   key="s").json()
    api.post(f"/analytics/segments/{seg['id']}/materialise", key="m")
    new = api.post("/analytics/tags", {"name": "待激活"}, key="t").json()
    assert api.post(f"/analytics/tags/{new['id']}/assign-segment", {"segment_id": seg["id"]},
                    key="ts").json() == {"changed": 1}
    assert list(Member.objects.filter(tags__name="待激活").values_list("pk", flat=True)) == [world["new_a"].pk]


def test_rule_tags_follow_their_conditions(world, api, api_as):
    r = api.post("/analytics/tags", {"name": "高价值", "conditions": [
        {"field": "value_decile", "op": "lte", "value": 5}]}, key="t1")
    assert r.status_code == 201, r.content
    tag = r.json()
    assert tag["members"] == 2 and tag["rule"]["member_count"] == 2
    holders = set(Member.objects.filter(tags__name="高价值").values_list("pk", flat=True))
    assert holders == ids(world, "gold_a", "silver_b")
    assert api.post(f"/analytics/tags/{tag['id']}/assign", {"member_ids": [world["new_a"].pk]},
                    key="t2").json()["type"] == "rule-tag-is-automatic"
    r = api._call("put", f"/analytics/tags/{tag['id']}/rule",
                  json={"conditions": [{"field": "churn_risk", "op": "in", "value": ["high", "medium"]}]})
    assert r.json()["members"] == 2
    assert set(Member.objects.filter(tags__name="高价值").values_list("pk", flat=True)) == \
        ids(world, "silver_b", "old_b")
    bad = api.post("/analytics/tags", {"name": "坏规则", "conditions": [{"field": "tier", "value": ["x"]}]}, key="t3")
    assert bad.status_code == 422 and not Tag.objects.filter(name="坏规则").exists()
    assert api_as("store_manager", stores=["SH01"]).post(
        "/analytics/tags", {"name": "店规则", "conditions": []}, key="t4").status_code == 403


def test_consent_change_refreshes_the_member(world, api, system_actor):
    seg = api.post("/analytics/segments", {"name": "可营销", "conditions": [
        {"field": "consent", "op": "granted", "value": "marketing"}]}, key="s").json()
    assert api.post(f"/analytics/segments/{seg['id']}/materialise", key="m").json()["count"] == 1
    record_consent(system_actor, world["old_b"], "marketing", True)
    outbox.drain()
    assert set(S.member_ids(Segment.objects.get())) == ids(world, "gold_a", "old_b")


def test_nightly_job_evaluates_rules_then_materialises_every_segment(world, api):
    api.post("/analytics/tags", {"name": "金卡", "conditions": [{"field": "tier", "op": "in", "value": ["gold"]}]},
             key="t")
    api.post("/analytics/segments", {"name": "金卡标签", "conditions": [
        {"field": "tag", "op": "has", "value": ["金卡"]}]}, key="s1")
    _create(api, key="s2")
    Member.objects.filter(pk=world["new_a"].pk).update(is_active=True)
    from shequn.loyalty.models import LoyaltyAccount, Tier
    LoyaltyAccount.objects.filter(member=world["new_a"]).update(tier=Tier.objects.get(code="gold"))
    assert tasks.refresh_segments.call() == {"tags": 1, "segments": 2}
    counts = dict(Segment.objects.values_list("name", "member_count"))
    assert counts == {"金卡标签": 2, "VIP 会员": 2}
    assert all(s.materialised_at for s in Segment.objects.all())
