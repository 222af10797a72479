"""Demo 活动效果: the win-back grant holds out a fifth of the lapsing members and some come back with the coupon."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.analytics import campaigns
from shequn.analytics.models import Transaction
from shequn.commerce import catalog, stock
from shequn.core.actor import SYSTEM
from shequn.demo.campaign_demo import grant_winback

pytestmark = pytest.mark.django_db


def test_winback_grant_with_holdout(make_member, store):
    item = catalog.create_product(SYSTEM, name="丹东草莓", category="水果",
                                  skus=[{"code": "BERRY-500", "price_fen": 3990}]).skus.get()
    stock.receive(SYSTEM, item, store, 5)
    long_ago = timezone.now() - dt.timedelta(days=90)
    for i in range(50):
        member = make_member(store=store, joined_at=long_ago - dt.timedelta(days=30))
        Transaction.objects.create(member=member, occurred_at=long_ago, amount_fen=5000, store=store,
                                   source="import", source_ref=f"D{i}")
    summary = grant_winback(SYSTEM)
    assert "对照组 10 人" in summary
    _, rows = campaigns.results(SYSTEM, days=30, kinds=("coupon",))
    row = rows[0]
    assert row.name == "老客回归 满79减15" and row.reached == 40 and row.orders > 0
    assert row.cost_fen == 1500 * row.orders
    assert row.uplift.treated.members == 40 and row.uplift.held_out.members == 10
    assert row.uplift.treated.buyers == row.orders and row.uplift.held_out.buyers == 0
