import datetime as dt

import pytest
from django.utils import timezone

from shequn.loyalty import selectors, services

pytestmark = pytest.mark.django_db


def test_points_flow_totals_match_daily_series(member, system_actor):
    now = timezone.now()
    services.earn(system_actor, member.pk, 300, source="api", reason="a", at=now - dt.timedelta(days=3))
    services.redeem(system_actor, member.pk, 50, source="gift", reason="b")
    services.adjust(system_actor, member.pk, -20, reason="纠错")
    flow = selectors.points_flow(days=30)
    assert len(flow["daily"]) == 30
    assert flow["daily"][-1]["day"] == str(timezone.localdate())
    for key in ("issued", "redeemed", "expired", "reversed"):
        assert flow[key] == sum(day[key] for day in flow["daily"])
    assert flow["issued"] == 300 and flow["redeemed"] == 70


def test_points_flow_is_scoped_to_stores(make_member, store, other_store, system_actor):
    here, there = make_member(store=store), make_member(store=other_store)
    services.earn(system_actor, here.pk, 10, source="api", reason="x")
    services.earn(system_actor, there.pk, 99, source="api", reason="y")
    assert selectors.points_flow(store_ids=frozenset({store.pk}))["issued"] == 10
