import pytest

from shequn.commerce import orders, payments
from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon, CouponTemplate

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
THRESHOLD = {"name": "满99减20", "kind": "threshold", "amount_fen": 2000, "threshold_fen": 9900, "valid_days": 30,
             "total_quantity": 100, "campaign": "双11"}


def test_create_list_pause_resume(api):
    created = api.post("/coupons/templates", THRESHOLD, key="t1")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["rule"] == "满99减20" and body["remaining"] == 100 and body["status"] == "active"
    assert api.post("/coupons/templates", THRESHOLD, key="t1").json()["id"] == body["id"]  # replay
    assert CouponTemplate.objects.count() == 1
    listed = api.get("/coupons/templates?campaign=双11").json()
    assert [t["id"] for t in listed["items"]] == [body["id"]]
    paused = api.post(f"/coupons/templates/{body['id']}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert api.post(f"/coupons/templates/{body['id']}/resume").json()["status"] == "active"
    assert api.get(f"/coupons/templates/{body['id']}").json()["name"] == "满99减20"
    missing = api.get("/coupons/templates/999999")
    assert missing.status_code == 404 and missing.json()["type"] == "coupon-template-not-found"


@pytest.mark.parametrize("payload, slug", [
    ({**THRESHOLD, "threshold_fen": 100}, "invalid-coupon-template"),
    ({**THRESHOLD, "kind": "bogus"}, "validation-error"),
    ({**THRESHOLD, "percent": 100}, "validation-error"),
    ({**THRESHOLD, "valid_days": 0}, "invalid-coupon-template"),
    ({**THRESHOLD, "scope": "skus", "sku_codes": ["NOPE"]}, "invalid-coupon-template"),
    ({**THRESHOLD, "name": ""}, "validation-error"),
])
def test_bad_templates_are_problems(api, payload, slug):
    response = api.post("/coupons/templates", payload)
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM
    assert response.json()["type"] == slug
    assert not CouponTemplate.objects.exists()


def test_claim_limit_and_member_list(api, member):
    template = api.post("/coupons/templates", THRESHOLD).json()
    claimed = api.post(f"/coupons/templates/{template['id']}/claim", {"member_id": member.pk}, key="c1")
    assert claimed.status_code == 201 and claimed.json()["source"] == "claim"
    again = api.post(f"/coupons/templates/{template['id']}/claim", {"member_id": member.pk})
    assert again.status_code == 409 and again.json()["type"] == "coupon-limit-reached"
    assert again["Content-Type"] == PROBLEM
    mine = api.get(f"/members/{member.pk}/coupons?status=available").json()
    assert [c["code"] for c in mine["items"]] == [claimed.json()["code"]]
    assert api.get(f"/members/{member.pk}/coupons?status=used").json()["items"] == []


def test_grant_by_member_numbers_and_tag_is_idempotent(api, make_member, store):
    template = api.post("/coupons/templates", {**THRESHOLD, "per_member_limit": 1}).json()
    a = make_member(store=store)
    make_member(store=store, tags=["宝妈"])
    path = f"/coupons/templates/{template['id']}/grant"
    assert api.post(path, {"member_nos": [a.member_no]}).status_code == 400  # key required
    body = {"member_nos": [a.member_no], "tag": "宝妈"}
    granted = api.post(path, body, key="g1")
    assert granted.status_code == 200, granted.json()
    assert granted.json() | {"ref": ""} == {"template_id": template["id"], "ref": "", "members": 2, "issued": 2,
                                              "already": 0, "over_limit": 0, "sold_out": 0,
                                              "held_out": 0}
    again = api.post(path, {**body, "ref": granted.json()["ref"]}, key="g2")
    assert again.json()["already"] == 2 and Coupon.objects.count() == 2
    unknown = api.post(path, {"member_nos": ["M99999999"]}, key="g3")
    assert unknown.status_code == 422 and unknown.json()["missing"] == ["M99999999"]


def test_store_manager_sees_and_grants_only_their_members(api, api_as, make_member, store, other_store):
    template = api.post("/coupons/templates", THRESHOLD).json()
    theirs = make_member(store=other_store)
    manager = api_as("store_manager", stores=[store.code])
    assert manager.post("/coupons/templates", THRESHOLD).status_code == 403
    assert manager.get(f"/members/{theirs.pk}/coupons").status_code == 404
    claim = manager.post(f"/coupons/templates/{template['id']}/claim", {"member_id": theirs.pk})
    assert claim.status_code == 404
    assert not Coupon.objects.exists()


def test_quote_and_report(api, system_actor, member, store, sku):
    template = api.post("/coupons/templates", THRESHOLD).json()
    coupon = api.post(f"/coupons/templates/{template['id']}/claim", {"member_id": member.pk}).json()
    cart = {"member_id": member.pk, "items": [{"sku": sku.code, "quantity": 3}]}
    quote = api.post("/coupons/quote", {**cart, "coupon_ids": [coupon["id"]]}).json()
    assert quote["goods_fen"] == 11970 and quote["coupon_fen"] == 2000 and quote["best_coupon_ids"] == [coupon["id"]]
    short = api.post("/coupons/quote", {**cart, "items": [{"sku": sku.code, "quantity": 1}],
                                        "coupon_ids": [coupon["id"]]})
    assert short.status_code == 422 and short.json()["detail"] == "满99减20：还差 ¥59.10"
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 3}],
                               fulfilment="pickup", store=store, coupon_ids=[coupon["id"]])
    payments.start_payment(system_actor, order, "offline")
    report = api.get("/coupons/report?campaign=双11").json()
    assert report[0]["discount_fen"] == 2000 and report[0]["templates"][0]["sales_fen"] == 9970
    used = api.get(f"/members/{member.pk}/coupons?status=used").json()["items"][0]
    assert used["order_no"] == order.order_no and used["discount_fen"] == 2000


def test_void(api, system_actor, member):
    template = services.create_template(system_actor, name="立减5", kind="fixed", amount_fen=500, valid_days=3)
    coupon = services.claim(system_actor, template, member)
    assert api.post(f"/coupons/{coupon.pk}/void", {"reason": ""}).status_code == 422
    voided = api.post(f"/coupons/{coupon.pk}/void", {"reason": "发错了"})
    assert voided.status_code == 200 and voided.json()["status"] == "void"
    assert api.post("/coupons/999999/void", {"reason": "x"}).status_code == 404


def test_orders_api_takes_coupons_and_refuses_with_problem_json(api, member, store, sku):
    template = api.post("/coupons/templates", THRESHOLD).json()
    coupon = api.post(f"/coupons/templates/{template['id']}/claim", {"member_id": member.pk}).json()
    order = {"member_id": member.pk, "fulfilment": "pickup", "store_code": store.code, "coupon_ids": [coupon["id"]]}
    short = api.post("/orders", {**order, "items": [{"sku": sku.code, "quantity": 1}]}, key="o1")
    assert short.status_code == 422 and short["Content-Type"] == PROBLEM
    assert short.json()["type"] == "coupon-not-applicable" and short.json()["short_fen"] == 9900 - 3990
    placed = api.post("/orders", {**order, "items": [{"sku": sku.code, "quantity": 3}]}, key="o2")
    assert placed.status_code == 201, placed.json()
    assert placed.json()["total_fen"] == 11970 - 2000
    assert Coupon.objects.get(pk=coupon["id"]).status == "locked"
    assert api.post(f"/orders/{placed.json()['id']}/cancel").status_code == 200
    assert Coupon.objects.get(pk=coupon["id"]).status == "available"
