"""Every segment condition on a hand-made world, alone and combined; bad conditions are named. The same
tests run on PostgreSQL with `-m postgres` through test_segment_conditions_postgres.py."""

import datetime as dt

import pytest

from shequn.analytics.segments import services as S
from shequn.analytics.segments.conditions import InvalidConditions
from shequn.core import clock

from . import segment_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_member, store, other_store):
    return segment_world.build(make_member, store, other_store)


def who(world, conditions, actor, stores=None) -> set[str]:
    ids = {m.pk: k for k, m in world.items() if k != "groups"}
    found = S.matching(S.clean(actor, conditions), S.scope_store_ids(actor, stores)).values_list("pk", flat=True)
    return {ids[i] for i in found}


def day(n: int) -> str:
    return (clock.local_date() - dt.timedelta(days=n)).isoformat()


CASES = [
    ([], {"gold_a", "new_a", "silver_b", "old_b"}),
    ([{"field": "tier", "op": "in", "value": ["gold", "diamond"]}], {"gold_a"}),
    ([{"field": "tier", "op": "not_in", "value": ["basic"]}], {"gold_a", "silver_b"}),
    ([{"field": "store", "op": "in", "value": ["BJ01"]}], {"silver_b", "old_b"}),
    ([{"field": "store", "op": "not_in", "value": ["BJ01"]}], {"gold_a", "new_a"}),
    # net of the ¥100 refund: ¥500 in the last 30 days
    ([{"field": "spend", "op": "gte", "value": "500", "window": {"days": 30}}], {"gold_a"}),
    ([{"field": "spend", "op": "gte", "value": "500.01", "window": {"days": 30}}], set()),
    ([{"field": "spend", "op": "lte", "value": "80", "window": {"days": 365}}], {"new_a", "silver_b", "old_b"}),
    ([{"field": "spend", "op": "gte", "value": 1, "window": {"from": day(401), "to": day(399)}}], {"old_b"}),
    ([{"field": "spend", "op": "gte", "value": "0", "window": {"days": 30}}], {"gold_a", "new_a", "silver_b", "old_b"}),
    ([{"field": "spend", "op": "lte", "value": "0", "window": {"days": 30}}], {"new_a", "silver_b", "old_b"}),
    ([{"field": "orders", "op": "gte", "value": 3, "window": {"days": 30}}], {"gold_a"}),
    ([{"field": "orders", "op": "gte", "value": 0, "window": {"days": 30}}], {"gold_a", "new_a", "silver_b", "old_b"}),
    ([{"field": "orders", "op": "lte", "value": 1, "unit": "days", "window": {"days": 30}}],
     {"new_a", "silver_b", "old_b"}),
    ([{"field": "orders", "op": "gte", "value": 3, "unit": "days", "window": {"days": 30}}], set()),
    ([{"field": "orders", "op": "gte", "value": 2, "unit": "days", "window": {"days": 30}}], {"gold_a"}),
    ([{"field": "orders", "op": "lte", "value": 0, "window": {"days": 90}}], {"new_a", "silver_b", "old_b"}),
    ([{"field": "last_order", "op": "more_than_days_ago", "value": 99}], {"silver_b", "old_b"}),
    ([{"field": "last_order", "op": "more_than_days_ago", "value": 100}], {"old_b"}),
    ([{"field": "last_order", "op": "less_than_days_ago", "value": 101}], {"gold_a", "silver_b"}),
    ([{"field": "last_order", "op": "less_than_days_ago", "value": 100}], {"gold_a"}),
    ([{"field": "last_order", "op": "before", "value": day(100)}], {"old_b"}),
    ([{"field": "last_order", "op": "after", "value": day(101)}], {"gold_a", "silver_b"}),
    ([{"field": "never_ordered"}], {"new_a"}),
    ([{"field": "joined", "op": "less_than_days_ago", "value": 30}], {"new_a"}),
    ([{"field": "joined", "op": "more_than_days_ago", "value": 400}], {"old_b"}),
    ([{"field": "joined", "op": "before", "value": day(200)}], {"gold_a", "old_b"}),
    ([{"field": "joined", "op": "after", "value": day(201)}], {"new_a", "silver_b"}),
    ([{"field": "tag", "op": "has", "value": ["VIP"]}], {"gold_a", "silver_b"}),
    ([{"field": "tag", "op": "has_not", "value": ["VIP", "尝鲜"]}], {"new_a", "old_b"}),
    ([{"field": "rfm_cell", "op": "in", "value": ["champions", "hibernating"]}], {"gold_a", "old_b"}),
    ([{"field": "rfm_cell", "op": "not_in", "value": ["champions"]}], {"new_a", "silver_b", "old_b"}),
    ([{"field": "value_decile", "op": "lte", "value": 5}], {"gold_a", "silver_b"}),
    ([{"field": "value_decile", "op": "in", "value": [5, 9]}], {"silver_b", "old_b"}),
    ([{"field": "churn_risk", "op": "in", "value": ["high", "medium"]}], {"silver_b", "old_b"}),
    ([{"field": "consent", "op": "granted", "value": "marketing"}], {"gold_a"}),
    ([{"field": "consent", "op": "not_granted", "value": "marketing"}], {"new_a", "silver_b", "old_b"}),
    ([{"field": "consent", "op": "granted", "value": "profiling"}], {"silver_b"}),
    # combinations
    ([{"field": "tag", "op": "has", "value": ["VIP"]}, {"field": "store", "op": "in", "value": ["SH01"]}],
     {"gold_a"}),
    ([{"field": "spend", "op": "gte", "value": "100", "window": {"days": 30}},
      {"field": "consent", "op": "granted", "value": "marketing"}, {"field": "tier", "op": "in", "value": ["gold"]},
      {"field": "rfm_cell", "op": "in", "value": ["champions"]}], {"gold_a"}),
    ([{"any": [{"field": "never_ordered"}, {"field": "churn_risk", "op": "in", "value": ["high"]}]}],
     {"new_a", "silver_b"}),
    ([{"any": [{"field": "never_ordered"}, {"field": "churn_risk", "op": "in", "value": ["high"]}]},
      {"field": "store", "op": "in", "value": ["BJ01"]}], {"silver_b"}),
    ([{"any": [{"field": "spend", "op": "gte", "value": "500", "window": {"days": 30}},
               {"field": "consent", "op": "not_granted", "value": "marketing"}]},
      {"field": "tag", "op": "has_not", "value": ["尝鲜"]}, {"field": "tier", "op": "not_in", "value": ["gold"]}],
     {"new_a", "silver_b", "old_b"}),
    ([{"field": "spend", "op": "gte", "value": "1", "window": {"days": 365}}, {"field": "never_ordered"}], set()),
]


@pytest.mark.parametrize(("conditions", "expected"), CASES)
def test_each_condition_and_combination(world, system_actor, conditions, expected):
    assert who(world, conditions, system_actor) == expected


@pytest.mark.parametrize(("conditions", "expected"), CASES)
def test_whole_set_plan_matches_the_same_members(world, system_actor, monkeypatch, conditions, expected):
    """Every condition as one `id IN / NOT IN (…)` set (as on large data): the same members."""
    from shequn.analytics.segments import compile as K

    monkeypatch.setattr(K, "_use_set", lambda cond, ctx, size: True)
    assert who(world, conditions, system_actor) == expected


def test_rechecking_a_few_members_tests_only_them(world, system_actor):
    conditions = S.clean(system_actor, [{"field": "spend", "op": "gte", "value": "100", "window": {"days": 30}}])
    among = [world["gold_a"].pk, world["new_a"].pk]
    found = set(S.matching(conditions, [], among=among).values_list("pk", flat=True))
    assert found == {world["gold_a"].pk}


@pytest.mark.parametrize("as_sets", [False, True])
def test_group_membership_counts_current_members_only(world, system_actor, monkeypatch, as_sets):
    from shequn.analytics.segments import compile as K

    monkeypatch.setattr(K, "_use_set", lambda cond, ctx, size: as_sets)
    groups = world["groups"]
    assert who(world, [{"field": "community_group", "op": "in", "value": [groups["A1"]]}], system_actor) == \
        {"gold_a"}
    assert who(world, [{"field": "community_group", "op": "in", "value": [groups["A1"], groups["B1"]]}],
               system_actor) == {"gold_a", "silver_b"}
    assert who(world, [{"field": "community_group", "op": "not_in", "value": [groups["A1"]]}], system_actor) == \
        {"new_a", "silver_b", "old_b"}


def test_store_scope_limits_a_store_manager(world, make_token):
    from shequn.accounts.actors import staff_actor
    from shequn.accounts.models import StaffUser

    make_token("mgr", "store_manager", ["SH01"])
    manager = staff_actor(StaffUser.objects.get(username="mgr"))
    assert who(world, [], manager) == {"gold_a", "new_a"}
    assert who(world, [{"field": "tag", "op": "has", "value": ["VIP"]}], manager) == {"gold_a"}
    with pytest.raises(InvalidConditions) as bad:  # the other store is not theirs to name
        S.clean(manager, [{"field": "store", "op": "in", "value": ["BJ01"]}])
    assert bad.value.extra["errors"][0]["condition"] == "1"
    with pytest.raises(InvalidConditions):  # nor its groups
        S.clean(manager, [{"field": "community_group", "op": "in", "value": [world["groups"]["B1"]]}])
    with pytest.raises(S.PermissionDenied):
        S.scope_store_ids(manager, ["BJ01"])


def test_without_model_runs_the_model_conditions_match_nobody_and_say_why(db, make_member, store, system_actor):
    make_member(store=store)
    preview = S.preview([{"field": "rfm_cell", "op": "in", "value": ["champions"]},
                         {"field": "value_decile", "op": "lte", "value": 3}], system_actor)
    assert preview.count == 0 and len(preview.warnings) == 2


BAD = [
    ({"field": "height", "op": "gte", "value": 1}, "height"),
    ({"field": "tier", "op": "in", "value": ["platinum"]}, "platinum"),
    ({"field": "tier", "op": "gte", "value": ["gold"]}, "gte"),
    ({"field": "spend", "op": "gte", "value": "12.345", "window": {"days": 30}}, "spend"),
    ({"field": "spend", "op": "gte", "value": "-5", "window": {"days": 30}}, "spend"),
    ({"field": "spend", "op": "gte", "value": "10"}, "spend"),
    ({"field": "spend", "op": "gte", "value": "10", "window": {"from": "2026-03-01", "to": "2026-01-01"}}, "spend"),
    ({"field": "orders", "op": "gte", "value": 2, "unit": "weeks", "window": {"days": 7}}, "orders"),
    ({"field": "last_order", "op": "before", "value": "yesterday"}, "last_order"),
    ({"field": "joined", "op": "before", "value": "0001-01-01"}, "joined"),
    ({"field": "tag", "op": "has", "value": ["不存在"]}, "不存在"),
    ({"field": "rfm_cell", "op": "in", "value": ["kings"]}, "kings"),
    ({"field": "value_decile", "op": "lte", "value": 11}, "value_decile"),
    ({"field": "consent", "op": "granted", "value": "spam"}, "spam"),
    ({"field": "community_group", "op": "in", "value": [999999]}, "999999"),
]


@pytest.mark.parametrize(("bad", "named"), BAD)
def test_a_bad_condition_is_named_with_its_position(world, system_actor, bad, named):
    good = {"field": "never_ordered"}
    with pytest.raises(InvalidConditions) as problem:
        S.clean(system_actor, [good, bad])
    errors = problem.value.extra["errors"]
    assert [e["condition"] for e in errors] == ["2"] and problem.value.status == 422
    assert named in problem.value.detail or named == errors[0]["field"]


def test_bad_conditions_inside_a_group_and_the_list_itself(world, system_actor):
    with pytest.raises(InvalidConditions) as problem:
        S.clean(system_actor, [{"any": [{"field": "never_ordered"}, {"field": "tier", "value": []}]},
                               {"field": "x"}])
    assert [e["condition"] for e in problem.value.extra["errors"]] == ["1.2", "2"]
    for bad in ({"field": "tier"}, [{"any": []}], [{"any": [{"any": []}]}], [{"field": "never_ordered"}] * 21):
        with pytest.raises(InvalidConditions):
            S.clean(system_actor, bad)
