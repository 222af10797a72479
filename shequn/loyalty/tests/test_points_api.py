import pytest

pytestmark = pytest.mark.django_db


def test_earn_redeem_and_ledger_sum(api, member):
    r = api.post(f"/members/{member.pk}/points/earn", {"points": 200, "reason": "开卡礼"}, key="e1")
    assert r.status_code == 201, r.content
    assert r.json()["balance"] == 200
    r = api.post(f"/members/{member.pk}/points/redeem", {"points": 50, "reason": "兑换纸巾"}, key="r1")
    assert r.status_code == 201 and r.json()["balance"] == 150
    ledger = api.get(f"/members/{member.pk}/points/ledger").json()["items"]
    assert [e["points"] for e in ledger] == [-50, 200]
    assert sum(e["points"] for e in ledger) == 150 == ledger[0]["balance_after"]


def test_redeem_more_than_balance_is_insufficient_points(api, member):
    r = api.post(f"/members/{member.pk}/points/redeem", {"points": 10, "reason": "x"}, key="r1")
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    assert r.json()["type"] == "insufficient-points"


def test_idempotency_replay_and_reuse(api, member):
    body = {"points": 30, "reason": "活动"}
    first = api.post(f"/members/{member.pk}/points/earn", body, key="same")
    again = api.post(f"/members/{member.pk}/points/earn", body, key="same")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = api.post(f"/members/{member.pk}/points/earn", {"points": 31, "reason": "活动"}, key="same")
    assert other.status_code == 422 and other.json()["type"] == "idempotency-key-reused"
    assert member.points_entries.count() == 1


def test_points_write_needs_idempotency_key(api, member):
    r = api.post(f"/members/{member.pk}/points/earn", {"points": 5, "reason": "x"})
    assert r.status_code == 400 and r.json()["type"] == "idempotency-key-required"
    assert member.points_entries.count() == 0


# -- more of the points API -------------------------------------------------------------------

PROBLEM = "application/problem+json"


def assert_problem(response, status, slug=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] and body["status"] == status
    if slug:
        assert body["type"] == slug, body
    return body


def earn(client, member, points, key, reason="活动"):
    return client.post(f"/members/{member.pk}/points/earn", {"points": points, "reason": reason}, key=key)


def redeem(client, member, points, key, reason="兑换"):
    return client.post(f"/members/{member.pk}/points/redeem", {"points": points, "reason": reason}, key=key)


def test_earn_and_redeem_answer_entry_and_balance(api, member):
    from shequn.loyalty.models import PointsEntry

    r = earn(api, member, 120, "e-1")
    assert r.status_code == 201 and set(r.json()) == {"entry_id", "balance"}
    entry = PointsEntry.objects.get(pk=r.json()["entry_id"])
    assert (entry.kind, entry.points, entry.reason, r.json()["balance"]) == ("earn", 120, "活动", 120)
    r = redeem(api, member, 20, "r-1")
    assert r.status_code == 201 and r.json()["balance"] == 100
    assert api.get(f"/members/{member.pk}").json()["points_balance"] == 100


def test_redeem_over_the_balance_is_409_and_writes_nothing(api, member):
    earn(api, member, 30, "e-1")
    body = assert_problem(redeem(api, member, 31, "r-1"), 409, "insufficient-points")
    assert (body["balance"], body["requested"]) == (30, 31)
    assert member.points_entries.count() == 1


def test_replay_returns_the_first_response_even_after_later_changes(api, member):
    first = earn(api, member, 30, "e-1")
    earn(api, member, 5, "e-2")
    again = earn(api, member, 30, "e-1")
    assert again.status_code == 201 and again.json() == first.json() == {"entry_id": first.json()["entry_id"],
                                                                           "balance": 30}
    assert member.points_entries.count() == 2


def test_a_refused_request_is_replayed_as_refused(api, member):
    assert_problem(redeem(api, member, 50, "r-1"), 409, "insufficient-points")
    earn(api, member, 100, "e-1")
    assert_problem(redeem(api, member, 50, "r-1"), 409, "insufficient-points")  # the stored answer
    assert redeem(api, member, 50, "r-2").status_code == 201


def test_same_key_on_another_endpoint_is_reuse(api, member):
    earn(api, member, 30, "k")
    assert_problem(redeem(api, member, 30, "k"), 422, "idempotency-key-reused")


@pytest.mark.parametrize("body", [{"points": 0, "reason": "x"}, {"points": -5, "reason": "x"},
                                  {"points": 10}, {"points": 10, "reason": ""}, {"points": "ten", "reason": "x"},
                                  {"points": 10_000_001, "reason": "x"}])
def test_bad_points_bodies_are_422(api, member, body):
    r = api.post(f"/members/{member.pk}/points/earn", body, key="bad")
    assert_problem(r, 422, "validation-error")
    assert member.points_entries.count() == 0


def test_ledger_is_newest_first_sums_to_the_balance_and_pages(api, member):
    for n, points in enumerate([100, 50, 25]):
        earn(api, member, points, f"e-{n}")
    redeem(api, member, 60, "r-1")
    full = api.get(f"/members/{member.pk}/points/ledger").json()
    assert full["next_cursor"] is None
    items = full["items"]
    assert [e["points"] for e in items] == [-60, 25, 50, 100]
    assert {"id", "kind", "points", "balance_after", "reason", "created_at"} <= set(items[0])
    assert [e["kind"] for e in items] == ["redeem", "earn", "earn", "earn"]
    balance = api.get(f"/members/{member.pk}").json()["points_balance"]
    assert sum(e["points"] for e in items) == balance == items[0]["balance_after"] == 115

    page1 = api.get(f"/members/{member.pk}/points/ledger?limit=3").json()
    page2 = api.get(f"/members/{member.pk}/points/ledger?limit=3&cursor={page1['next_cursor']}").json()
    assert [e["id"] for e in page1["items"] + page2["items"]] == [e["id"] for e in items]
    assert page2["next_cursor"] is None
    assert_problem(api.get(f"/members/{member.pk}/points/ledger?cursor=%%%"), 422, "invalid-cursor")


def test_check_in_201_then_409(api, member):
    r = api.post(f"/members/{member.pk}/check-in")
    assert r.status_code == 201 and set(r.json()) == {"points_awarded", "streak"}
    assert r.json()["streak"] == 1 and r.json()["points_awarded"] > 0
    assert_problem(api.post(f"/members/{member.pk}/check-in"), 409, "already-checked-in")
    assert member.checkins.count() == 1


@pytest.mark.parametrize("role", ["analyst", "community_operator"])
def test_roles_without_points_permission_get_403(api_as, member, role):
    client = api_as(role, stores=["SH01"] if role == "community_operator" else None)
    assert_problem(earn(client, member, 10, "e-1"), 403, "forbidden")
    assert_problem(redeem(client, member, 10, "r-1"), 403, "forbidden")
    assert member.points_entries.count() == 0
    assert client.get(f"/members/{member.pk}/points/ledger").status_code == 200


def test_points_of_another_stores_member_are_404_for_a_store_manager(api_as, make_member, store, other_store):
    mine, theirs = make_member(store=store), make_member(store=other_store)
    manager = api_as("store_manager", stores=["SH01"])
    assert earn(manager, mine, 10, "e-1").status_code == 201
    assert_problem(earn(manager, theirs, 10, "e-2"), 404, "member-not-found")
    assert_problem(redeem(manager, theirs, 1, "r-1"), 404, "member-not-found")
    assert_problem(manager.get(f"/members/{theirs.pk}/points/ledger"), 404, "member-not-found")
    assert_problem(manager.post(f"/members/{theirs.pk}/check-in"), 404, "member-not-found")
    assert theirs.points_entries.count() == 0


def test_401_on_points_endpoints(anon_api, member):
    assert_problem(earn(anon_api, member, 10, "e-1"), 401, "unauthorized")
    assert_problem(anon_api.get(f"/members/{member.pk}/points/ledger"), 401, "unauthorized")
    assert member.points_entries.count() == 0


def test_purchase_endpoint_earns_and_replays_by_ref(api, member):
    body = {"amount_fen": 25_000, "ref": "POS-20250601-001", "store_code": "SH01"}
    r = api.post(f"/members/{member.pk}/purchases", body)
    assert r.status_code == 201, r.content
    assert set(r.json()) == {"points_awarded", "balance", "tier"} and r.json()["tier"] == "basic"
    awarded = r.json()["points_awarded"]
    assert awarded in (250, 500)  # ×2 on the member day
    again = api.post(f"/members/{member.pk}/purchases", body)
    assert again.json()["balance"] == awarded
    assert_problem(api.post(f"/members/{member.pk}/purchases", {"amount_fen": 0, "ref": "X"}), 422)


def test_tiers_endpoint_lists_the_ladder(api, tiers):
    tiers = api.get("/tiers").json()
    assert [t["code"] for t in tiers] == ["basic", "silver", "gold", "diamond"]
    assert tiers[0]["name"] == "普通会员" and tiers[3]["exclusive_service"] is True


def test_bulk_grant_202_then_progress(api, api_as, make_member, store, system_actor):
    from shequn.loyalty.models import BulkGrant
    from shequn.loyalty.services import run_bulk_grant

    members = [make_member(store=store) for _ in range(3)]
    body = {"member_ids": [m.pk for m in members], "points": 20, "reason": "门店周年庆"}
    r = api.post("/points/bulk-grants", body, key="anniv")
    assert r.status_code == 202, r.content
    assert r.json() | {"id": 0} == {"id": 0, "status": "pending", "total": 3, "granted": 0, "points": 20,
                                    "reason": "门店周年庆"}
    assert api.post("/points/bulk-grants", body, key="anniv").json() == r.json()
    assert BulkGrant.objects.count() == 1
    run_bulk_grant(r.json()["id"], system_actor)
    progress = api.get(f"/points/bulk-grants/{r.json()['id']}").json()
    assert (progress["status"], progress["granted"]) == ("done", 3)
    assert all(m.loyalty.__class__.objects.get(pk=m.pk).points_balance == 20 for m in members)

    assert_problem(api.post("/points/bulk-grants", body | {"member_ids": [999_999]}, key="k2"), 404,
                   "member-not-found")
    manager = api_as("store_manager", stores=["SH01"])
    assert_problem(manager.post("/points/bulk-grants", body, key="k3"), 403, "forbidden")
    assert_problem(api.get("/points/bulk-grants/999999"), 404)
    assert_problem(api.get(f"/points/bulk-grants/{2**64}"), 404)
    assert_problem(api.post("/points/bulk-grants", body | {"member_ids": [2**63]}, key="k4"), 422)


def test_openapi_document_lists_the_foundation_paths(anon_api):
    r = anon_api.client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for path, method in [("/api/v1/stores", "post"), ("/api/v1/members", "post"), ("/api/v1/members", "get"),
                         ("/api/v1/members/{member_id}", "get"),
                         ("/api/v1/members/{member_id}/points/earn", "post"),
                         ("/api/v1/members/{member_id}/points/redeem", "post"),
                         ("/api/v1/members/{member_id}/points/ledger", "get"),
                         ("/api/v1/members/{member_id}/check-in", "post")]:
        assert method in paths[path], (path, method)
    assert "201" in paths["/api/v1/members/{member_id}/points/earn"]["post"]["responses"]
    assert anon_api.client.get("/api/v1/docs").status_code == 200
