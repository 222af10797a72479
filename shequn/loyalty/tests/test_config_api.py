"""PATCH /api/v1/tiers/{code} and GET/PATCH /api/v1/loyalty/program over HTTP."""

import pytest

from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty.models import LoyaltyProgram, Tier

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def assert_problem(response, status, slug):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == slug and body["status"] == status and body["detail"], body
    return body


def test_patch_tier_changes_only_the_fields_sent(api, tiers):
    r = api.patch("/tiers/silver", {"name": "银卡", "min_spend_fen": 150_000, "min_orders": None})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["code"] == "silver" and body["name"] == "银卡"
    assert (body["min_spend_fen"], body["min_orders"], body["min_growth"]) == (150_000, None, 1_000)
    assert body["birthday_points"] == 50 and body["discount_permille"] == 980
    silver = Tier.objects.get(code="silver")
    assert (silver.name, silver.min_spend_fen, silver.min_orders) == ("银卡", 150_000, None)
    entry = AuditEntry.objects.get(action="loyalty.tier_updated")
    assert entry.actor_kind == "token" and entry.after == {"name": "银卡", "min_spend_fen": 150_000,
                                                           "min_orders": None}
    assert OutboxEvent.objects.filter(topic="loyalty.tier_updated", aggregate_id=str(silver.pk)).exists()


def test_patch_tier_with_a_broken_ladder_is_422_and_writes_nothing(api, tiers):
    before = list(Tier.objects.values())
    body = assert_problem(api.patch("/tiers/gold", {"min_spend_fen": 50_000}), 422, "invalid-tier-ladder")
    [error] = body["errors"]
    assert error["type"] == "threshold-not-higher" and error["loc"] == ["tiers", "gold", "min_spend_fen"]
    assert "金卡会员" in body["detail"] and "银卡会员" in body["detail"]
    assert list(Tier.objects.values()) == before
    assert not AuditEntry.objects.filter(action__startswith="loyalty.").exists()


@pytest.mark.parametrize("payload,slug", [
    ({"discount_permille": 0}, "validation-error"),  # out of range: the service says so
    ({"name": None}, "validation-error"),
    ({"min_orders": "many"}, "validation-error"),  # not a number: the schema says so
    ({"rank": 1}, "validation-error"),  # not a field that can be changed
])
def test_patch_tier_bad_input_is_problem_json(api, tiers, payload, slug):
    before = list(Tier.objects.values())
    body = assert_problem(api.patch("/tiers/gold", payload), 422, slug)
    assert body["errors"]
    assert list(Tier.objects.values()) == before


def test_patch_unknown_tier_is_404(api, tiers):
    assert_problem(api.patch("/tiers/platinum", {"name": "铂金"}), 404, "tier-not-found")


def test_tier_and_program_writes_need_loyalty_configure(api_as, tiers, store):
    manager = api_as("store_manager", stores=["SH01"])
    assert_problem(manager.patch("/tiers/gold", {"name": "金"}), 403, "forbidden")
    assert_problem(manager.patch("/loyalty/program", {"points_per_yuan": 9}), 403, "forbidden")
    assert Tier.objects.get(code="gold").name == "金卡会员"
    assert manager.get("/loyalty/program").status_code == 200  # reading needs loyalty.view only


def test_config_endpoints_need_a_token(anon_api, tiers):
    assert_problem(anon_api.patch("/tiers/gold", {"name": "金"}), 401, "unauthorized")
    assert_problem(anon_api.get("/loyalty/program"), 401, "unauthorized")


def test_get_program(api, tiers):
    r = api.get("/loyalty/program")
    assert r.status_code == 200
    body = r.json()
    assert body["checkin_streak_bonus"] == {"3": 5, "7": 20}
    assert body["expiry_policy"] == "end_of_next_year" and body["member_day_of_month"] == 18


def test_patch_program(api, tiers):
    r = api.patch("/loyalty/program", {"points_per_yuan": 2, "expiry_policy": "rolling_days", "expiry_days": 180,
                                       "checkin_streak_bonus": {"7": 30, "3": 10}, "member_day_of_month": None})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["points_per_yuan"], body["expiry_policy"], body["expiry_days"]) == (2, "rolling_days", 180)
    assert body["checkin_streak_bonus"] == {"3": 10, "7": 30} and body["member_day_of_month"] is None
    prog = LoyaltyProgram.objects.get(pk=1)
    assert prog.points_per_yuan == 2 and prog.member_day_of_month is None
    entry = AuditEntry.objects.get(action="loyalty.program_updated")
    assert entry.before["points_per_yuan"] == 1
    assert OutboxEvent.objects.filter(topic="loyalty.program_updated").count() == 1


@pytest.mark.parametrize("payload,error_type", [
    ({"expiry_policy": "sometimes"}, "invalid-choice"),
    ({"offset_cap_pct": 101}, "out-of-range"),
    ({"checkin_streak_bonus": {"400": 5}}, "invalid-streak-day"),
    ({"tier_window_days": None}, "required"),
    ({"updated_at": "2024-01-01T00:00:00Z"}, "extra_forbidden"),
])
def test_patch_program_bad_input_is_422_and_writes_nothing(api, tiers, payload, error_type):
    api.get("/loyalty/program")  # the row exists
    before = LoyaltyProgram.objects.filter(pk=1).values().first()
    body = assert_problem(api.patch("/loyalty/program", {"share_points": 9, **payload}), 422, "validation-error")
    assert error_type in [e["type"] for e in body["errors"]]
    assert LoyaltyProgram.objects.filter(pk=1).values().first() == before


def test_patch_program_replays_with_the_same_idempotency_key(api, tiers):
    first = api.patch("/loyalty/program", {"checkin_points": 8}, key="rules-1")
    again = api.patch("/loyalty/program", {"checkin_points": 8}, key="rules-1")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    other = api.patch("/loyalty/program", {"checkin_points": 9}, key="rules-1")
    assert_problem(other, 422, "idempotency-key-reused")
    assert LoyaltyProgram.objects.get(pk=1).checkin_points == 8
    assert AuditEntry.objects.filter(action="loyalty.program_updated").count() == 1


def test_patch_tier_error_is_replayed_for_the_same_key(api, tiers):
    first = api.patch("/tiers/gold", {"min_spend_fen": 1}, key="tier-1")
    again = api.patch("/tiers/gold", {"min_spend_fen": 1}, key="tier-1")
    assert_problem(first, 422, "invalid-tier-ladder")
    assert again.json()["errors"] == first.json()["errors"]
