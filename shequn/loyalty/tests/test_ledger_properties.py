"""Property: any sequence of ledger operations keeps the books balanced and never negative."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shequn.loyalty import services
from shequn.loyalty.errors import InsufficientPoints
from shequn.loyalty.models import PointsEntry

from .helpers import SHANGHAI, assert_ledger_consistent, balance_of

START = dt.datetime(2024, 1, 1, 10, tzinfo=SHANGHAI)

operations = st.lists(st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500), st.integers(0, 40)),
    st.tuples(st.just("redeem"), st.integers(1, 700), st.integers(0, 40)),
    st.tuples(st.just("redeem_near_balance"), st.integers(-1, 1)),
    st.tuples(st.just("expire"), st.integers(0, 90)),
    st.tuples(st.just("reverse"), st.integers(0, 40), st.none() | st.integers(1, 400)),
    st.tuples(st.just("adjust"), st.integers(-400, 400).filter(bool)),
), min_size=1, max_size=25)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_any_sequence_keeps_balance_equal_to_entries_and_lots(system_actor, make_member, store, prog, ops):
    prog.expiry_policy, prog.expiry_days = "rolling_days", 60  # so lots expire often within a sequence
    prog.save()
    member_id = make_member(store=store).pk  # a fresh member per example: examples share the database
    clock = START
    for step, op in enumerate(ops):
        before = balance_of(member_id)
        match op:
            case ("earn", amount, days):
                clock += dt.timedelta(days=days)
                services.earn(system_actor, member_id, amount, source="gift", at=clock)
            case ("redeem", amount, days):
                clock += dt.timedelta(days=days)
                try:
                    services.redeem(system_actor, member_id, amount, at=clock)
                    assert before >= amount
                except InsufficientPoints:
                    assert before < amount
                    assert balance_of(member_id) == before
            case ("redeem_near_balance", delta):
                amount = max(1, before + delta)
                try:
                    services.redeem(system_actor, member_id, amount, at=clock)
                    assert before >= amount
                except InsufficientPoints:
                    assert before < amount
            case ("expire", days):
                clock += dt.timedelta(days=days)
                expired = services.expire_due(now=clock, member_id=member_id)
                assert balance_of(member_id) == before - expired
            case ("reverse", pick, amount):
                credits = list(PointsEntry.objects.filter(member_id=member_id, points__gt=0).order_by("id"))
                if credits:
                    entry = credits[pick % len(credits)]
                    services.reverse(system_actor, entry.pk, amount, reason="退款", ref=f"rev:{step}")
            case ("adjust", amount):
                try:
                    services.adjust(system_actor, member_id, amount, reason="人工调整")
                    assert amount > 0 or before >= -amount
                except InsufficientPoints:
                    assert amount < 0 and before < -amount
        assert_ledger_consistent(member_id)
    assert services.check_ledgers() == []
