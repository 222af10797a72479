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
