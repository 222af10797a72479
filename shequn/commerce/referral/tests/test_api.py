import datetime as dt

import pytest

from shequn.commerce.referral import services
from shequn.commerce.referral.models import Referral
from shequn.core.actor import SYSTEM

pytestmark = pytest.mark.django_db


def _problem(response, status, type_):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == type_
    return response.json()


def test_link_and_qr(api, member):
    body = api.get(f"/members/{member.pk}/referral-link").json()
    assert body["code"] == services.code_for(member).code and body["path"] == f"/m/r/{body['code']}/"
    assert body["url"].endswith(body["path"])
    qr = api.get(f"/members/{member.pk}/referral-qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_attribute_review_and_list(api, make_member, store):
    referrer, referee = make_member(store=store), make_member(store=store)
    code = services.code_for(referrer).code
    payload = {"member_id": referee.pk, "code": code, "device_id": "d-1", "ip": "198.51.100.7"}
    created = api.post("/referrals/attribute", payload, key="attr-1")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "pending" and body["network"] == "198.51.100.0/24"
    assert api.post("/referrals/attribute", payload, key="attr-1").json() == body
    assert api.get(f"/referrals/{body['id']}").json()["referee_id"] == referee.pk
    assert api.get("/referrals?status=pending").json()["items"][0]["id"] == body["id"]
    _problem(api.post(f"/referrals/{body['id']}/review", {"approve": True}), 409, "referral-state")
    held = services.attribute(SYSTEM, referee=referrer, code=code)  # self-referral: held
    reviewed = api.post(f"/referrals/{held.pk}/review", {"approve": False, "note": "自荐"}, key="rv-1")
    assert reviewed.status_code == 200 and reviewed.json()["status"] == "rejected"
    report = api.get("/referrals/report").json()
    assert report[0]["referrer_id"] == referrer.pk and report[0]["referrals"] == 2


@pytest.mark.parametrize("payload, status, type_", [
    ({"member_id": 0, "code": "X"}, 422, "validation-error"),
    ({"member_id": 999999, "code": "ABCDEFGH"}, 404, "member-not-found"),
    ({"code": "ABCDEFGH"}, 422, "validation-error"),
])
def test_attribute_bad_input(api, payload, status, type_):
    _problem(api.post("/referrals/attribute", payload), status, type_)
    assert not Referral.objects.exists()


def test_attribute_unknown_code_and_old_member(api, make_member, store, member):
    _problem(api.post("/referrals/attribute", {"member_id": member.pk, "code": "NOPE2345"}), 404,
             "referral-code-not-found")
    from django.utils import timezone

    from shequn.members.models import Member

    Member.objects.filter(pk=member.pk).update(joined_at=timezone.now() - timezone.timedelta(days=30))
    code = services.code_for(make_member(store=store)).code
    _problem(api.post("/referrals/attribute", {"member_id": member.pk, "code": code}), 409, "not-a-new-member")


def test_settings(api, api_as, store):
    assert api.get("/referral-settings").json()["hold_days"] == 7
    changed = api.patch("/referral-settings", {"hold_days": 3, "referrer_points": 900})
    assert changed.status_code == 200 and changed.json()["hold_days"] == 3
    _problem(api.patch("/referral-settings", {"hold_days": 1000}), 422, "invalid-referral-settings")
    manager = api_as("store_manager", ["SH01"])
    _problem(manager.patch("/referral-settings", {"hold_days": 2}), 403, "forbidden")


def test_three_levels_refused_over_http(api, sku):
    body = _problem(api.patch("/distribution-settings", {"level_rates_permille": [100, 30, 10]}), 422,
                    "pyramid-selling-refused")
    assert "传销" in body["detail"]
    ok = api.patch("/distribution-settings", {"level_rates_permille": [80, 20], "min_withdrawal_fen": 500})
    assert ok.json()["level_rates_permille"] == [80, 20] and ok.json()["min_withdrawal_fen"] == 500
    _problem(api._call("put", "/distribution-rules", json={"level_rates_permille": [1, 2, 3], "sku": "BERRY-500"}),
             422, "pyramid-selling-refused")
    rule = api._call("put", "/distribution-rules", json={"level_rates_permille": [150], "sku": "BERRY-500"})
    assert rule.json()["rules"] == [{"category": None, "sku": "BERRY-500", "level_rates_permille": [150]}]
    _problem(api._call("put", "/distribution-rules", json={"level_rates_permille": [1], "category": "无此分类"}),
             404, "category-not-found")


def test_distributor_flow_over_http(api, make_member, store, other_store, member, buy, api_as):
    person = make_member(store=store, name="分销员")
    applied = api.post("/distributors", {"member_id": person.pk}, key="d-1")
    assert applied.status_code == 201 and applied.json()["status"] == "applied"
    d_id = applied.json()["id"]
    approved = api.post(f"/distributors/{d_id}/decision", {"approve": True}, key="d-2").json()
    assert approved["status"] == "approved"
    _problem(api.post(f"/distributors/{d_id}/decision", {"approve": True}), 409, "distributor-state")
    order = buy(member, quantity=2, referrer=person)
    from shequn.commerce import orders

    orders.verify_pickup(SYSTEM, code=order.pickup_code, store=store)
    orders.complete_due(now=order.paid_at + dt.timedelta(days=8))
    detail = api.get(f"/distributors/{d_id}").json()
    assert detail["available_fen"] == 2000
    ledger = api.get(f"/distributors/{d_id}/ledger").json()["items"]
    assert [e["kind"] for e in ledger] == ["settle", "accrue"] and ledger[1]["order_no"] == order.order_no
    _problem(api.post(f"/distributors/{d_id}/withdrawals", {"amount_fen": 5000}), 409, "insufficient-commission")
    _problem(api.post(f"/distributors/{d_id}/withdrawals", {"amount_fen": 1}), 422, "invalid-withdrawal")
    w = api.post(f"/distributors/{d_id}/withdrawals", {"amount_fen": 2000}, key="w-1")
    assert w.status_code == 201 and w.json()["status"] == "requested"
    assert api.get("/withdrawals?status=requested").json()["items"][0]["id"] == w.json()["id"]
    _problem(api.post(f"/withdrawals/{w.json()['id']}/approve", {"reference": ""}), 422, "validation-error")
    paid = api.post(f"/withdrawals/{w.json()['id']}/approve", {"reference": "WX-88"}, key="w-2").json()
    assert paid["status"] == "paid" and paid["reference"] == "WX-88"
    _problem(api.post(f"/withdrawals/{w.json()['id']}/reject", {}), 409, "withdrawal-state")
    report = api.get("/distributors/report").json()
    assert report[0]["sales_referred_fen"] == 20000 and report[0]["withdrawn_fen"] == 2000
    other = api_as("store_manager", ["BJ01"])
    _problem(other.get(f"/distributors/{d_id}"), 404, "distributor-not-found")
    assert other.get("/distributors").json()["items"] == []



@pytest.mark.parametrize("payload", [{"referrer_coupon_template_id": 10**20}, {"referee_coupon_template_id": -1},
                                     {"burst_limit": 10**30}, {"reward_kind": "cash"}])
def test_settings_bad_input_is_a_problem(api, payload):
    response = api.patch("/referral-settings", payload)
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("path", ["/referrals/99999999999999999999", "/distributors/99999999999999999999",
                                  "/referrals/0"])
def test_huge_or_zero_ids(api, path):
    assert api.get(path).status_code in (404, 422)



def test_withdrawal_of_a_huge_amount(api, system_actor, make_member, store):
    from shequn.commerce.referral import distribution

    person = make_member(store=store)
    d = distribution.decide(system_actor, distribution.apply(system_actor, person).pk, approve=True)
    _problem(api.post(f"/distributors/{d.pk}/withdrawals", {"amount_fen": 10**20}), 409, "insufficient-commission")
