"""Changing the tier ladder and the points rules: validation, audit and outbox."""

import pytest

from shequn.core.errors import Conflict, NotFound, PermissionDenied, ValidationProblem
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty import services
from shequn.loyalty.models import LoyaltyProgram, Tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor

    return Actor(kind="staff", id="9", label="analyst", role=Role.ANALYST, permissions=permissions_for(Role.ANALYST))


def ladder_snapshot():
    return list(Tier.objects.order_by("rank").values())


def program_snapshot():
    return LoyaltyProgram.objects.filter(pk=1).values().first()


def problem_types(exc_info) -> list[str]:
    return [e["type"] for e in exc_info.value.extra["errors"]]


# -- tiers ------------------------------------------------------------------------------------

def test_update_tier_writes_audit_and_outbox(system_actor, tiers):
    tier = services.update_tier(system_actor, "silver", name="银卡", min_spend_fen=150_050, birthday_gift=" 券 ")
    assert (tier.name, tier.min_spend_fen, tier.birthday_gift) == ("银卡", 150_050, "券")
    entry = AuditEntry.objects.get(action="loyalty.tier_updated")
    assert entry.object_id == str(tier.pk)
    assert entry.before == {"name": "银卡会员", "min_spend_fen": 100_000, "birthday_gift": "生日券 ¥10"}
    assert entry.after == {"name": "银卡", "min_spend_fen": 150_050, "birthday_gift": "券"}
    event = OutboxEvent.objects.get(topic="loyalty.tier_updated")
    assert event.aggregate_id == str(tier.pk)
    assert event.payload["code"] == "silver"
    assert event.payload["fields"] == ["birthday_gift", "min_spend_fen", "name"]


def test_update_tier_accepts_the_instance_and_unchanged_values_write_nothing(system_actor, tiers):
    gold = tiers["gold"]
    same = services.update_tier(system_actor, gold, name=gold.name, min_orders=gold.min_orders)
    assert same.pk == gold.pk
    assert not AuditEntry.objects.filter(action__startswith="loyalty.").exists()
    assert not OutboxEvent.objects.filter(topic__startswith="loyalty.tier").exists()


def test_thresholds_can_rise_together_in_one_change(system_actor, tiers):
    # Gold alone above diamond's spend would break the ladder; with diamond raised too it is fine.
    changed = services.update_tiers(system_actor, {"gold": {"min_spend_fen": 3_000_000},
                                                   "diamond": {"min_spend_fen": 6_000_000}})
    assert [t.code for t in changed] == ["gold", "diamond"]
    assert Tier.objects.get(code="gold").min_spend_fen == 3_000_000
    assert AuditEntry.objects.filter(action="loyalty.tier_updated").count() == 2
    assert OutboxEvent.objects.filter(topic="loyalty.tier_updated").count() == 2


@pytest.mark.parametrize("code,fields,slug,problem_type", [
    ("gold", {"min_spend_fen": 50_000}, "threshold-not-higher", "invalid-tier-ladder"),
    ("diamond", {"min_orders": 20}, "threshold-not-higher", "invalid-tier-ladder"),
    ("silver", {"min_spend_fen": None, "min_orders": None, "min_growth": None}, "no-threshold",
     "invalid-tier-ladder"),
    ("silver", {"min_orders": 0, "min_spend_fen": None, "min_growth": None}, "threshold-zero",
     "invalid-tier-ladder"),
    ("gold", {"discount_permille": 1200}, "out-of-range", "validation-error"),
    ("gold", {"discount_permille": 0}, "out-of-range", "validation-error"),
    ("gold", {"min_spend_fen": -1}, "out-of-range", "validation-error"),
    ("gold", {"points_multiplier_pct": "150"}, "not-an-integer", "validation-error"),
    ("gold", {"birthday_points": True}, "not-an-integer", "validation-error"),
    ("gold", {"discount_permille": None}, "required", "validation-error"),
    ("gold", {"name": "  "}, "required", "validation-error"),
    ("gold", {"name": "金" * 31}, "too-long", "validation-error"),
    ("gold", {"name": "金卡\x00"}, "invalid-characters", "validation-error"),
    ("gold", {"exclusive_service": "yes"}, "not-a-boolean", "validation-error"),
    ("gold", {"rank": 9}, "unknown-field", "validation-error"),
])
def test_bad_tier_changes_are_refused_and_write_nothing(system_actor, tiers, code, fields, slug, problem_type):
    before = ladder_snapshot()
    with pytest.raises(ValidationProblem) as exc:
        services.update_tier(system_actor, code, **fields)
    assert exc.value.status == 422 and exc.value.type == problem_type
    assert slug in problem_types(exc)
    assert exc.value.detail  # a sentence a person can act on
    assert ladder_snapshot() == before
    assert not AuditEntry.objects.filter(action__startswith="loyalty.").exists()
    assert not OutboxEvent.objects.filter(topic__startswith="loyalty.").exists()


def test_ladder_error_names_both_tiers(system_actor, tiers):
    with pytest.raises(ValidationProblem) as exc:
        services.update_tier(system_actor, "gold", min_spend_fen=50_000)
    [error] = exc.value.extra["errors"]
    assert error["loc"] == ["tiers", "gold", "min_spend_fen"]
    assert (error["tier_name"], error["below_name"], error["field"]) == ("金卡会员", "银卡会员", "min_spend_fen")
    assert "金卡会员" in exc.value.detail and "银卡会员" in exc.value.detail


def test_unknown_tier_is_not_found(system_actor, tiers):
    with pytest.raises(NotFound) as exc:
        services.update_tier(system_actor, "platinum", name="铂金")
    assert exc.value.type == "tier-not-found"
    with pytest.raises(NotFound):
        services.update_tier(system_actor, "no such\x00code", name="x")


def test_create_tier_goes_above_the_top(system_actor, tiers):
    tier = services.create_tier(system_actor, code="black", name="黑金会员", min_spend_fen=5_000_000,
                                discount_permille=850, points_multiplier_pct=300)
    assert (tier.rank, tier.birthday_points, tier.exclusive_service) == (4, 0, False)
    entry = AuditEntry.objects.get(action="loyalty.tier_created")
    assert entry.after["code"] == "black" and entry.after["rank"] == 4
    assert OutboxEvent.objects.filter(topic="loyalty.tier_created", aggregate_id=str(tier.pk)).exists()


@pytest.mark.parametrize("fields,slug", [
    ({"code": "black", "name": "黑金", "min_spend_fen": 100}, "threshold-not-higher"),
    ({"code": "black", "name": "黑金"}, "no-threshold"),
    ({"code": "黑金", "name": "黑金", "min_spend_fen": 9_000_000}, "invalid-code"),
    ({"code": "black", "min_spend_fen": 9_000_000}, "required"),
])
def test_create_tier_refuses_a_bad_tier(system_actor, tiers, fields, slug):
    before = ladder_snapshot()
    with pytest.raises(ValidationProblem) as exc:
        services.create_tier(system_actor, **fields)
    assert slug in problem_types(exc)
    assert ladder_snapshot() == before
    assert not AuditEntry.objects.filter(action__startswith="loyalty.").exists()


def test_create_tier_with_a_taken_code_conflicts(system_actor, tiers):
    with pytest.raises(Conflict) as exc:
        services.create_tier(system_actor, code="gold", name="金卡", min_spend_fen=9_000_000)
    assert exc.value.type == "tier-exists"
    assert Tier.objects.count() == 4


def test_first_tier_needs_no_threshold(system_actor):
    tier = services.create_tier(system_actor, code="basic", name="普通会员")
    assert tier.rank == 0


# -- points rules -----------------------------------------------------------------------------

def test_update_program_audits_changed_fields_only(system_actor, tiers):
    services.program()
    changed = services.update_program(system_actor, points_per_yuan=2, checkin_points=5,
                                      checkin_streak_bonus={7: 30, "3": 10}, expiry_policy="rolling_days",
                                      expiry_days=180, member_day_weekday=2)
    prog = LoyaltyProgram.objects.get(pk=1)
    assert prog.checkin_streak_bonus == {"3": 10, "7": 30}
    assert (prog.points_per_yuan, prog.expiry_policy, prog.expiry_days, prog.member_day_weekday) == (
        2, "rolling_days", 180, 2)
    assert "checkin_points" not in changed  # 5 was already the value
    entry = AuditEntry.objects.get(action="loyalty.program_updated")
    assert entry.before["points_per_yuan"] == 1 and entry.after["points_per_yuan"] == 2
    assert "checkin_points" not in entry.after
    event = OutboxEvent.objects.get(topic="loyalty.program_updated")
    assert event.payload["fields"] == sorted(changed)


def test_update_program_without_changes_writes_nothing(system_actor, tiers):
    prog = services.program()
    assert services.update_program(system_actor, points_per_yuan=prog.points_per_yuan) == {}
    assert not AuditEntry.objects.exists() and not OutboxEvent.objects.filter(topic__startswith="loyalty.").exists()


def test_member_days_can_be_switched_off(system_actor, tiers):
    services.update_program(system_actor, member_day_weekday=None, member_day_of_month=None)
    prog = LoyaltyProgram.objects.get(pk=1)
    assert prog.member_day_weekday is None and prog.member_day_of_month is None


@pytest.mark.parametrize("fields,slug", [
    ({"expiry_policy": "sometimes"}, "invalid-choice"),
    ({"points_per_yuan": -1}, "out-of-range"),
    ({"offset_cap_pct": 150}, "out-of-range"),
    ({"points_per_yuan_offset": 0}, "out-of-range"),
    ({"member_day_of_month": 32}, "out-of-range"),
    ({"member_day_weekday": 7}, "out-of-range"),
    ({"member_day_multiplier_pct": 50}, "out-of-range"),
    ({"tier_window_days": None}, "required"),
    ({"checkin_points": 2.5}, "not-an-integer"),
    ({"checkin_streak_bonus": [3, 5]}, "invalid-streak-bonus"),
    ({"checkin_streak_bonus": "3:5"}, "invalid-streak-bonus"),
    ({"checkin_streak_bonus": {"400": 5}}, "invalid-streak-day"),
    ({"checkin_streak_bonus": {"three": 5}}, "invalid-streak-day"),
    ({"checkin_streak_bonus": {"3": 5, 3: 6}}, "duplicate-streak-day"),
    ({"checkin_streak_bonus": {"3": 0}}, "invalid-streak-points"),
    ({"checkin_streak_bonus": {"3": "5"}}, "invalid-streak-points"),
    ({"checkin_streak_bonus": {str(d): 1 for d in range(1, 40)}}, "invalid-streak-bonus"),
    ({"updated_at": None}, "unknown-field"),
])
def test_bad_program_changes_are_refused_and_write_nothing(system_actor, tiers, fields, slug):
    services.program()
    before = program_snapshot()
    with pytest.raises(ValidationProblem) as exc:
        services.update_program(system_actor, **{"share_points": 7, **fields})
    assert slug in problem_types(exc)
    assert exc.value.detail
    assert program_snapshot() == before  # the good field in the same call is not written either
    assert not AuditEntry.objects.exists()


def test_every_problem_is_reported_at_once(system_actor, tiers):
    with pytest.raises(ValidationProblem) as exc:
        services.update_program(system_actor, points_per_yuan=-1, offset_cap_pct=101, expiry_policy="x")
    assert sorted(e["loc"][0] for e in exc.value.extra["errors"]) == [
        "expiry_policy", "offset_cap_pct", "points_per_yuan"]


def test_configuring_needs_the_permission(analyst, tiers):
    with pytest.raises(PermissionDenied):
        services.update_tier(analyst, "gold", name="金")
    with pytest.raises(PermissionDenied):
        services.create_tier(analyst, code="black", name="黑金", min_spend_fen=9_000_000)
    with pytest.raises(PermissionDenied):
        services.update_program(analyst, points_per_yuan=5)
    assert Tier.objects.get(code="gold").name == "金卡会员"


# -- concurrent changes (PostgreSQL, real connections) ---------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_new_tiers_never_share_a_rank(system_actor, tiers):
    from shequn.core.tests.threads import run_together

    def add(i):
        return services.create_tier(system_actor, code=f"top{i}", name=f"顶级{i}", min_spend_fen=9_000_000 + i)

    results = run_together(8, add)
    created = [r for r in results if isinstance(r, Tier)]
    others = [r for r in results if not isinstance(r, Tier)]
    assert created and all(isinstance(r, Conflict | ValidationProblem) for r in others), others
    ranks = list(Tier.objects.order_by("rank").values_list("rank", flat=True))
    assert ranks == list(range(len(ranks))) and len(ranks) == 4 + len(created)
    assert AuditEntry.objects.filter(action="loyalty.tier_created").count() == len(created)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_threshold_changes_keep_the_ladder_ordered(system_actor, tiers):
    from shequn.core.tests.threads import run_together

    # Each change is valid alone against the starting ladder; together some would break it.
    changes = [("gold", {"min_spend_fen": 1_900_000}), ("diamond", {"min_spend_fen": 600_000})] * 4

    def change(i):
        code, fields = changes[i]
        return services.update_tier(system_actor, code, **fields)

    run_together(len(changes), change)
    gold, diamond = Tier.objects.get(code="gold"), Tier.objects.get(code="diamond")
    assert diamond.min_spend_fen > gold.min_spend_fen
