"""Groups core over HTTP: exact shapes, problem+json errors, permissions and store scoping."""

import pytest

from shequn.communities import services
from shequn.communities.models import Group, Membership
from shequn.loyalty.models import PointsEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(system_actor, store):
    return services.create_group(system_actor, name="静安宝妈群", store=store, capacity=2)


def test_create_and_get_group(api, store):
    r = api.post("/groups", {"name": "静安宝妈群", "store_code": "SH01", "capacity": 150})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert {k: body[k] for k in ("name", "capacity", "member_count")} == {
        "name": "静安宝妈群", "capacity": 150, "member_count": 0}
    got = api.get(f"/groups/{body['id']}").json()
    assert got["id"] == body["id"] and got["store_code"] == "SH01"


@pytest.mark.parametrize("payload", [{"name": "", "store_code": "SH01", "capacity": 10},
                                     {"name": "群", "store_code": "SH01", "capacity": 501},
                                     {"name": "群", "store_code": "SH01", "capacity": 0}])
def test_bad_group_input_is_422_and_writes_nothing(api, store, payload):
    r = api.post("/groups", payload)
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    assert not Group.objects.exists()


def test_unknown_store_is_404(api, store):
    r = api.post("/groups", {"name": "群", "store_code": "NOPE", "capacity": 10})
    assert r.status_code == 404 and r.json()["type"] == "store-not-found"


def test_store_manager_sees_only_own_stores_groups(api_as, system_actor, store, other_store):
    own = services.create_group(system_actor, name="本店群", store=store)
    foreign = services.create_group(system_actor, name="外店群", store=other_store)
    manager = api_as("store_manager", stores=["SH01"])
    assert manager.get(f"/groups/{own.pk}").status_code == 200
    r = manager.get(f"/groups/{foreign.pk}")
    assert r.status_code == 404 and r.json()["type"] == "group-not-found"
    assert [g["id"] for g in manager.get("/groups").json()["items"]] == [own.pk]
    assert manager.post("/groups", {"name": "x", "store_code": "BJ01", "capacity": 5}).status_code == 404
    assert manager.post(f"/groups/{foreign.pk}/rules", {"text": "群规"}).status_code == 404


def test_analyst_cannot_create_groups(api_as, store):
    r = api_as("analyst").post("/groups", {"name": "群", "store_code": "SH01", "capacity": 10})
    assert r.status_code == 403


def test_entry_code_create_join_and_qr(api, group, make_member, store):
    r = api.post("/entry-codes", {"name": "门店活码", "group_ids": [group.pk], "overflow": "reject"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert set(body) == {"code", "url", "qr_svg_url"}
    assert body["url"] == f"/m/join/{body['code']}/"
    svg = api.client.get(body["qr_svg_url"], **api.headers)
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = api.client.get(body["qr_svg_url"].replace(".svg", ".png"), **api.headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")

    code = body["code"]
    first, second, third = (make_member(store=store) for _ in range(3))
    r = api.post(f"/entry-codes/{code}/join", {"member_id": first.pk})
    assert r.status_code == 201 and r.json()["group_id"] == group.pk
    again = api.post(f"/entry-codes/{code}/join", {"member_id": first.pk})
    assert again.status_code == 200 and again.json()["group_id"] == group.pk
    assert api.post(f"/entry-codes/{code}/join", {"member_id": second.pk}).status_code == 201
    full = api.post(f"/entry-codes/{code}/join", {"member_id": third.pk})
    assert full.status_code == 409 and full.json()["type"] == "all-groups-full"
    assert api.post("/entry-codes/nope/join", {"member_id": third.pk}).status_code == 404


def test_entry_code_overflow_create_over_http(api, group, make_member, store):
    code = api.post("/entry-codes", {"name": "活码", "group_ids": [group.pk], "overflow": "create"}).json()["code"]
    ids = {api.post(f"/entry-codes/{code}/join", {"member_id": make_member(store=store).pk}).json()["group_id"]
           for _ in range(3)}
    assert len(ids) == 2
    overflow = Group.objects.exclude(pk=group.pk).get()
    assert overflow.name == "静安宝妈群 2群" and overflow.member_count == 1
    assert len(api.get(f"/entry-codes/{code}").json()["groups"]) == 2


def test_entry_code_with_unknown_group_is_404_and_writes_nothing(api, group):
    r = api.post("/entry-codes", {"name": "活码", "group_ids": [group.pk, 99999], "overflow": "reject"})
    assert r.status_code == 404
    assert api.get("/entry-codes").json() == []


def test_members_roles_remove_and_last_admin_over_http(api, system_actor, store, make_member):
    boss, fan = make_member(store=store), make_member(store=store)
    group = services.create_group(system_actor, name="VIP群", store=store, admins=[boss])
    assert api.post(f"/groups/{group.pk}/members", {"member_id": fan.pk}).status_code == 201
    assert api.post(f"/groups/{group.pk}/members", {"member_id": fan.pk}).status_code == 200
    members = api.get(f"/groups/{group.pk}/members").json()["items"]
    assert [(m["member_id"], m["role"]) for m in members] == [(boss.pk, "owner"), (fan.pk, "member")]
    r = api.post(f"/groups/{group.pk}/members/{boss.pk}/role", {"role": "member"})
    assert r.status_code == 409 and r.json()["type"] == "last-admin"
    r = api.post(f"/groups/{group.pk}/members/{boss.pk}/remove", {"reason": "spam"})
    assert r.status_code == 409 and r.json()["type"] == "last-admin"
    assert api.post(f"/groups/{group.pk}/members/{fan.pk}/role", {"role": "kol"}).json()["role"] == "kol"
    assert api.post(f"/groups/{group.pk}/members/{fan.pk}/seed", {"is_seed": True}).json()["is_seed"]
    r = api.post(f"/groups/{group.pk}/members/{fan.pk}/remove", {"reason": "ads", "note": "发广告"})
    assert r.status_code == 200 and r.json()["leave_reason"] == "ads"
    assert api.post(f"/groups/{group.pk}/members/{fan.pk}/remove", {"reason": "bogus"}).status_code == 422


def test_rules_versions_and_rules_changed(api, group, member):
    assert api.get(f"/groups/{group.pk}/rules").status_code == 204
    assert api.post(f"/groups/{group.pk}/rules", {"text": "不发广告"}).json()["version"] == 1
    assert api.post(f"/groups/{group.pk}/rules", {"text": "不发广告，不刷屏"}).json()["version"] == 2
    assert api.get(f"/groups/{group.pk}/rules").json()["version"] == 2
    r = api.post(f"/groups/{group.pk}/members", {"member_id": member.pk, "accepted_rules_version": 1})
    assert r.status_code == 409 and r.json()["type"] == "rules-changed" and r.json()["current_version"] == 2
    assert not Membership.objects.exists()


def test_blacklisted_member_is_refused(api, group, member):
    assert api.post("/blacklist", {"member_id": member.pk, "reason": "发广告"}).status_code == 201
    r = api.post(f"/groups/{group.pk}/members", {"member_id": member.pk})
    assert r.status_code == 403 and r.json()["type"] == "blacklisted"
    assert [b["member_id"] for b in api.get("/blacklist").json()] == [member.pk]
    assert api.client.delete(f"/api/v1/blacklist/{member.pk}", **api.headers).status_code == 204
    assert api.post(f"/groups/{group.pk}/members", {"member_id": member.pk}).status_code == 201


def test_report_review_earns_points_once(api, system_actor, group, make_member, store):
    reporter, offender, liar = (make_member(store=store) for _ in range(3))
    big = services.create_group(system_actor, name="大群", store=store)
    for m in (reporter, offender, liar):
        services.join_group(system_actor, big, m, accepted_rules_version=None)
    good = api.post(f"/groups/{big.pk}/reports", {"reporter_id": reporter.pk, "offender_id": offender.pk,
                                                  "reason": "poaching", "note": "私聊拉人"})
    assert good.status_code == 201 and good.json()["status"] == "pending"
    bad = api.post(f"/groups/{big.pk}/reports", {"reporter_id": liar.pk, "offender_id": offender.pk,
                                                 "reason": "spam"}).json()
    reviewed = api.post(f"/reports/{good.json()['id']}/review", {"valid": True})
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "valid"
    again = api.post(f"/reports/{good.json()['id']}/review", {"valid": True})
    assert again.status_code == 409 and again.json()["type"] == "report-already-reviewed"
    assert api.post(f"/reports/{bad['id']}/review", {"valid": False}).json()["points_entry_id"] is None
    assert PointsEntry.objects.filter(source="violation_report", member=reporter).count() == 1
    assert not PointsEntry.objects.filter(source="violation_report", member=liar).exists()
    assert len(api.get("/reports?status=pending").json()["items"]) == 0


def test_invite_link_and_inviter_stats(api, system_actor, group, make_member, store):
    seed, friend = make_member(store=store), make_member(store=store)
    services.join_group(system_actor, group, seed, accepted_rules_version=None)
    r = api.post("/invite-links", {"member_id": seed.pk, "group_id": group.pk})
    assert r.status_code == 201 and r.json()["url"].startswith("/m/invite/")
    services.join_via_invite(system_actor, r.json()["code"], friend)
    stats = api.get(f"/inviters/{seed.pk}/stats").json()
    assert stats["invited"] == 1 and stats["still_in"] == 1 and stats["links"] == 1


def test_matrix_groups_by_dimension(api, system_actor, store):
    from shequn.communities.models import Dimension

    Dimension.objects.create(code="vip", name="VIP", kind="tier")
    services.create_group(system_actor, name="VIP群", store=store, dimension="vip")
    services.create_group(system_actor, name="散群", store=store)
    columns = api.get("/groups/matrix").json()
    assert [(c["dimension"], [g["name"] for g in c["groups"]]) for c in columns] == [
        ("vip", ["VIP群"]), (None, ["散群"])]


def test_dimensions_and_entry_code_patch(api, group, member):
    r = api.post("/dimensions", {"code": "mom", "name": "宝妈", "kind": "interest"})
    assert r.status_code == 201 and api.get("/dimensions").json()[0]["code"] == "mom"
    assert api.post("/dimensions", {"code": "mom", "name": "又一个"}).status_code == 422
    assert api.patch(f"/groups/{group.pk}", {"dimension": "mom"}).json()["dimension"] == "mom"
    code = api.post("/entry-codes", {"name": "活码", "group_ids": [group.pk]}).json()["code"]
    r = api.patch(f"/entry-codes/{code}", {"is_active": False, "name": "旧活码"})
    assert r.status_code == 200 and r.json()["is_active"] is False and r.json()["name"] == "旧活码"
    r = api.post(f"/entry-codes/{code}/join", {"member_id": member.pk})
    assert r.status_code == 409 and r.json()["type"] == "entry-code-inactive"


def test_entry_code_preview_then_join_with_accepted_rules(api, system_actor, store, make_member):
    group = services.create_group(system_actor, name="宝妈群", store=store, capacity=1, rules_text="不发广告")
    code = api.post("/entry-codes", {"name": "活码", "group_ids": [group.pk]}).json()["code"]
    first, second = make_member(store=store), make_member(store=store)
    preview = api.get(f"/entry-codes/{code}/preview?member_id={first.pk}").json()
    assert preview == {"group_id": group.pk, "group_name": "宝妈群", "rules_version": 1, "rules_text": "不发广告",
                       "already_member": False, "can_join": True}
    r = api.post(f"/entry-codes/{code}/join", {"member_id": first.pk, "accepted_rules_version": 1})
    assert r.status_code == 201
    assert api.get(f"/entry-codes/{code}/preview?member_id={first.pk}").json()["already_member"] is True
    full = api.get(f"/entry-codes/{code}/preview?member_id={second.pk}").json()
    assert full["group_id"] is None and full["can_join"] is False
    assert [g["id"] for g in api.get(f"/members/{first.pk}/groups").json()] == [group.pk]
    assert api.get(f"/members/{second.pk}/groups").json() == []
