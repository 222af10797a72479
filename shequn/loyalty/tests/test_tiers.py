"""Tiers: upgrade at once, downgrade only at review after a grace period, never on points."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.core.errors import ValidationProblem
from shequn.core.models import OutboxEvent
from shequn.loyalty import services
from shequn.loyalty.models import Purchase, TierChange
from shequn.loyalty.tiers import TierStats, progress_to_next, qualifying_tier

from .helpers import account_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def gold_member(system_actor, member, prog, tiers):
    """A member who reached gold ten days ago through spend."""
    bought = timezone.now() - dt.timedelta(days=10)
    services.record_purchase(system_actor, member.pk, 500_000, ref="G1", occurred_at=bought)
    assert account_of(member.pk).tier.code == "gold"
    return member


def test_qualifying_tier_takes_the_highest_threshold_met(tiers):
    ladder = list(tiers.values())
    assert qualifying_tier(TierStats(0, 0, 0), ladder).code == "basic"
    assert qualifying_tier(TierStats(100_000, 0, 0), ladder).code == "silver"
    assert qualifying_tier(TierStats(0, 20, 0), ladder).code == "gold"
    assert qualifying_tier(TierStats(0, 0, 20_000), ladder).code == "diamond"


def test_review_warns_first_then_downgrades_after_the_grace_period(gold_member, prog):
    member = gold_member
    a_year_later = timezone.now() + dt.timedelta(days=400)
    assert services.review_member(member.pk, now=a_year_later) == "warned"
    account = account_of(member.pk)
    assert account.tier.code == "gold"
    assert account.downgrade_due_at == a_year_later + dt.timedelta(days=prog.downgrade_grace_days)
    assert OutboxEvent.objects.filter(topic="tier.downgrade_warning").count() == 1

    assert services.review_member(member.pk, now=a_year_later + dt.timedelta(days=29)) == "pending"
    assert account_of(member.pk).tier.code == "gold"
    assert services.review_member(member.pk, now=a_year_later + dt.timedelta(days=30)) == "downgraded"
    account = account_of(member.pk)
    assert account.tier.code == "basic" and account.downgrade_due_at is None
    change = TierChange.objects.filter(member=member).first()
    assert (change.from_tier.code, change.to_tier.code) == ("gold", "basic")
    assert "宽限期已过" in change.reason


def test_review_keeps_a_member_who_requalifies_during_the_grace_period(system_actor, gold_member):
    member = gold_member
    later = timezone.now() + dt.timedelta(days=400)
    assert services.review_member(member.pk, now=later) == "warned"
    # Spend recorded later (e.g. imported from the POS) requalifies by the next review.
    Purchase.objects.create(member=member, amount_fen=500_000, growth=5000, ref="G2", occurred_at=later)
    assert services.review_member(member.pk, now=later + dt.timedelta(days=31)) == "kept"
    account = account_of(member.pk)
    assert account.tier.code == "gold" and account.downgrade_due_at is None


def test_a_purchase_that_requalifies_clears_the_warning_at_once(system_actor, member, prog, tiers):
    Purchase.objects.create(member=member, amount_fen=500_000, growth=5000, ref="OLD",
                            occurred_at=timezone.now() - dt.timedelta(days=400))
    services.set_tier(system_actor, member.pk, "gold", reason="去年达标")
    assert services.review_member(member.pk) == "warned"
    services.record_purchase(system_actor, member.pk, 500_000, ref="G3")
    account = account_of(member.pk)
    assert account.tier.code == "gold" and account.downgrade_due_at is None


def test_spending_points_never_costs_a_tier(system_actor, gold_member):
    member = gold_member
    balance = account_of(member.pk).points_balance
    services.redeem(system_actor, member.pk, balance, reason="全部兑换")
    assert account_of(member.pk).points_balance == 0
    assert services.review_member(member.pk) == "unchanged"
    assert account_of(member.pk).tier.code == "gold"


def test_points_alone_never_raise_a_tier(system_actor, member, prog, tiers):
    services.earn(system_actor, member.pk, 1_000_000, source="gift", reason="大额赠送")
    assert services.review_member(member.pk) == "unchanged"
    assert account_of(member.pk).tier.code == "basic"


def test_review_upgrades_a_member_who_qualifies(system_actor, member, prog, tiers):
    # Recorded without the service (e.g. imported history): the review catches it up.
    Purchase.objects.create(member=member, amount_fen=100_000, growth=1000, ref="IMP1",
                            occurred_at=timezone.now() - dt.timedelta(days=3))
    assert services.review_member(member.pk) == "upgraded"
    assert account_of(member.pk).tier.code == "silver"


def test_review_all_counts_outcomes(system_actor, gold_member, make_member, store):
    make_member(store=store)
    assert services.review_all(now=timezone.now() + dt.timedelta(days=400)) == {"warned": 1, "unchanged": 1}


def test_manual_tier_change_needs_a_reason_and_a_known_tier(system_actor, member, prog, tiers):
    with pytest.raises(ValidationProblem) as exc:
        services.set_tier(system_actor, member.pk, "gold", reason=" ")
    assert exc.value.type == "reason-required"
    with pytest.raises(ValidationProblem) as exc:
        services.set_tier(system_actor, member.pk, "platinum", reason="x")
    assert exc.value.type == "tier-not-found"
    change = services.set_tier(system_actor, member.pk, "diamond", reason="大客户")
    assert change.reason == "人工调整：大客户"
    assert account_of(member.pk).tier.code == "diamond"
    assert OutboxEvent.objects.filter(topic="tier.changed").count() == 1


def test_progress_to_next_tier(system_actor, member, prog, tiers):
    services.record_purchase(system_actor, member.pk, 50_000, ref="H1")
    progress = progress_to_next(member.pk, tiers["basic"])
    assert progress["tier"].code == "silver"
    assert progress["best"] == {"metric": "spend", "have": 50_000, "need": 100_000, "pct": 50}
    assert progress_to_next(member.pk, tiers["diamond"]) is None
