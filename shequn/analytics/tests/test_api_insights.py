"""GET /analytics/private-traffic and /analytics/campaigns[/{key}]: figures, permissions, scoping, bad input."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.analytics.models import Transaction
from shequn.commerce.coupons import services as coupons
from shequn.core.actor import SYSTEM

pytestmark = pytest.mark.django_db


def test_private_traffic(api, api_as, anon_api, make_member, store, other_store):
    a = make_member(store=store)
    make_member(store=other_store)
    Transaction.objects.create(member=a, occurred_at=timezone.now(), amount_fen=5000, store=store, source="order",
                               source_ref="T1")
    body = api.get("/analytics/private-traffic").json()
    assert len(body["months"]) == 12 and body["ltv_source"] == "spend_12m" and body["clv_run_id"] is None
    now = body["overall"][-1]
    assert (now["members"], now["active"], now["buyers"], now["activity_rate"], now["conversion_rate"]) == \
        (2, 1, 1, 0.5, 1.0)
    assert now["avg_ltv_fen"] == 2500 and now["value_fen"] == 2500
    assert {r["key"] for r in body["stores"]} == {store.code, other_store.code}
    manager = api_as("store_manager", stores=[other_store.code])
    mine = manager.get("/analytics/private-traffic").json()
    assert mine["overall"][-1]["members"] == 1 and [r["key"] for r in mine["stores"]] == [other_store.code]
    assert manager.get(f"/analytics/private-traffic?store={store.code}").status_code == 404
    assert anon_api.get("/analytics/private-traffic").status_code == 401


def test_campaigns_list_and_detail(api, anon_api, make_member, store):
    template = coupons.create_template(SYSTEM, name="回归礼", kind="fixed", amount_fen=500, valid_days=14)
    members = [make_member(store=store) for _ in range(10)]
    coupons.grant(SYSTEM, template, members, ref="b1", holdout_percent=20,
                  at=timezone.now() - dt.timedelta(days=2))
    plain = coupons.create_template(SYSTEM, name="普通券", kind="fixed", amount_fen=500, valid_days=14)
    coupons.grant(SYSTEM, plain, members[:3], ref="b1")
    body = api.get("/analytics/campaigns?days=30").json()
    items = {i["key"]: i for i in body["items"]}
    assert items[f"coupon-{template.pk}"]["holdout"] is True
    held = items[f"coupon-{template.pk}"]["uplift"]
    assert held["treated"]["members"] == 8 and held["held_out"]["members"] == 2
    assert items[f"coupon-{plain.pk}"]["uplift"] is None and items[f"coupon-{plain.pk}"]["reached"] == 3
    one = api.get(f"/analytics/campaigns/coupon-{template.pk}").json()
    assert one["batches"][0]["ref"] == "b1" and one["batches"][0]["percent"] == 20
    missing = api.get("/analytics/campaigns/coupon-999999")
    assert missing.status_code == 404 and missing.json()["type"] == "campaign-not-found"
    assert api.get("/analytics/campaigns/whatever").status_code == 404
    bad = api.get("/analytics/campaigns?from=2026-03-01&to=2026-01-01")
    assert bad.status_code == 422 and bad.json()["type"] == "invalid-period"
    assert api.get("/analytics/campaigns?kind=lottery").status_code == 422
    assert api.get("/analytics/campaigns?to=0001-01-02").status_code == 422
    assert anon_api.get("/analytics/campaigns").status_code == 401
