import datetime as dt
import json

import pytest
from django.utils import timezone

from shequn.core.actor import SYSTEM
from shequn.loyalty import services
from shequn.members.models import Member

pytestmark = pytest.mark.django_db


def chart_data(response, element_id):
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    body = html[html.index(">", start) + 1:html.index("</script>", start)]
    return json.loads(body)


def test_cards_count_members_new_active_and_points(owner, make_member, store):
    long_ago = timezone.now() - dt.timedelta(days=400)
    old = make_member(store=store, joined_at=long_ago)
    idle = make_member(store=store, joined_at=long_ago)
    make_member(store=store)  # joined now: new this week, active through nothing yet
    Member.objects.filter(pk=idle.pk).update(last_active_at=long_ago)
    services.adjust(SYSTEM, old.pk, 300, reason="测试")  # points activity makes `old` active
    r = owner.get("/console/")
    cards = r.context["cards"]
    assert cards == {"total": 3, "new_this_week": 1, "active": 1, "outstanding_points": 300}
    html = r.content.decode()
    assert 'id="card-total">3<' in html and 'id="card-points">300<' in html


def test_last_active_counts_as_active(owner, make_member, store):
    m = make_member(store=store, joined_at=timezone.now() - dt.timedelta(days=100))
    Member.objects.filter(pk=m.pk).update(last_active_at=timezone.now() - dt.timedelta(days=3))
    assert owner.get("/console/").context["cards"]["active"] == 1


def test_charts_carry_tier_distribution_and_daily_points(owner, make_member, store, tiers):
    a, b = make_member(store=store), make_member(store=store)
    services.set_tier(SYSTEM, b.pk, "gold", "测试")
    services.adjust(SYSTEM, a.pk, 100, reason="发")
    services.adjust(SYSTEM, a.pk, -40, reason="扣")
    r = owner.get("/console/")
    tier_rows = chart_data(r, "tier-data")
    assert {"name": "普通会员", "value": 1} in tier_rows and {"name": "金卡会员", "value": 1} in tier_rows
    flow = chart_data(r, "flow-data")
    assert len(flow["days"]) == 30 == len(flow["issued"])
    assert flow["issued"][-1] == 100
    assert flow["totals"]["issued"] == 100
    assert "/static/console/vendor/echarts.min.js" in r.content.decode()


def test_store_manager_dashboard_is_scoped(console_as, make_member, store, other_store):
    mine = make_member(store=store)
    theirs = make_member(store=other_store)
    make_member(store=other_store)
    services.adjust(SYSTEM, mine.pk, 10, reason="x")
    services.adjust(SYSTEM, theirs.pk, 999, reason="x")
    r = console_as("store_manager", stores=["SH01"]).get("/console/")
    assert r.context["cards"]["total"] == 1
    assert r.context["cards"]["outstanding_points"] == 10
    assert sum(row["value"] for row in chart_data(r, "tier-data")) == 1
    assert chart_data(r, "flow-data")["totals"]["issued"] == 10


def test_every_role_may_see_the_dashboard(console_as, store):
    for role in ("owner", "hq_operator", "store_manager", "community_operator", "analyst"):
        stores = ["SH01"] if role in ("store_manager", "community_operator") else None
        assert console_as(role, stores=stores).get("/console/").status_code == 200, role
