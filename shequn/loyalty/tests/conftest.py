"""Loyalty fixtures: a predictable program and the default tier ladder."""

import pytest


@pytest.fixture
def prog(db):
    """The program with no member day, so dates in tests do not change the points."""
    from shequn.loyalty.program import program

    p = program()
    p.member_day_of_month = None
    p.member_day_weekday = None
    p.points_per_yuan = 1
    p.expiry_policy = "end_of_next_year"
    p.checkin_points = 5
    p.checkin_streak_bonus = {"3": 5, "7": 20}
    p.share_points = 2
    p.share_daily_cap = 3
    p.save()
    return p


@pytest.fixture
def tiers(db):
    from shequn.loyalty.models import Tier
    from shequn.loyalty.program import ensure_default_tiers

    ensure_default_tiers()
    return {t.code: t for t in Tier.objects.all()}
