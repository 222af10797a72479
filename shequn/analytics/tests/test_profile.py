"""会员 360 画像: figures on a hand-made history (shop orders, refunds, imported rows), store scoping, the API,
and a query count that does not grow with the number of orders."""

import datetime as dt

import pytest

from shequn.accounts.actors import staff_actor
from shequn.accounts.staff import ensure_staff
from shequn.analytics import profile_recs
from shequn.analytics.models import Transaction
from shequn.analytics.profile import member_profile
from shequn.core import clock
from shequn.core.actor import SYSTEM
from shequn.core.errors import NotFound
from shequn.core.money import format_fen

from .profile_data import EXPECTED, EXPECTED_ALL, build

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_recommender():
    profile_recs.forget()
    yield
    profile_recs.forget()


@pytest.fixture
def history(system_actor, store, other_store, make_member):
    return build(system_actor, store, other_store, make_member)


def manager_of(store, username="dianzhang"):
    user, _ = ensure_staff(SYSTEM, username, role="store_manager", store_codes=[store.code])
    return staff_actor(user)


def test_purchases_count_shop_orders_imports_and_refunds(history, store):
    assert (history.first.paid_fen, history.second.paid_fen) == (3000, 1000)
    p = member_profile(manager_of(store), history.member.pk).purchases
    assert (p.net_spend_fen, p.gross_fen, p.refunded_fen) == (EXPECTED["net"], EXPECTED["gross"], EXPECTED["refunded"])
    assert (p.orders, p.purchase_days, p.aov_fen, p.imported_orders) == (
        EXPECTED["orders"], EXPECTED["days"], EXPECTED["aov"], EXPECTED["imported"])
    first_import = Transaction.objects.get(source_ref="imp-0").occurred_at
    assert p.first_at == first_import and p.last_at == history.second.paid_at and p.days_since_last == 0


def test_headquarters_also_sees_the_purchase_at_the_other_store(history):
    p = member_profile(SYSTEM, history.member.pk).purchases
    assert (p.net_spend_fen, p.gross_fen, p.orders, p.purchase_days, p.aov_fen, p.imported_orders) == (
        EXPECTED_ALL["net"], EXPECTED_ALL["gross"], EXPECTED_ALL["orders"], EXPECTED_ALL["days"],
        EXPECTED_ALL["aov"], EXPECTED_ALL["imported"])


def test_categories_are_shares_of_net_spend(history, store):
    categories = member_profile(manager_of(store), history.member.pk).categories
    assert [(c["name"], c["spend_fen"]) for c in categories] == EXPECTED["categories"]
    assert [round(c["share"], 4) for c in categories] == [0.4545, 0.3636, 0.1818]


def test_months_hold_the_last_twelve_with_refunds_in_their_own_month(history, store):
    months = member_profile(manager_of(store), history.member.pk).months
    today = clock.local_date()
    assert len(months) == 12 and months[-1]["month"] == today.strftime("%Y-%m")
    assert sum(m["spend_fen"] for m in months) == EXPECTED["net"]
    assert sum(m["orders"] for m in months) == EXPECTED["orders"]
    assert [m["month"] for m in months] == sorted(m["month"] for m in months)


def test_recent_orders_link_native_orders_and_carry_their_refunds(history, store):
    recent = member_profile(manager_of(store), history.member.pk).recent_orders
    assert [(o.order_no, o.amount_fen, o.refunded_fen, o.source) for o in recent] == [
        (history.second.order_no, 1000, 0, "order"), (history.first.order_no, 3000, 2000, "order"),
        ("", 2000, 0, "import"), ("IMP-1", 2000, 500, "import")]
    assert [o.order_id for o in recent] == [history.second.pk, history.first.pk, None, None]
    assert recent[0].status == "已付款"


def test_groups_and_timeline_are_scoped_to_the_managers_stores(history, store):
    profile = member_profile(manager_of(store), history.member.pk)
    assert [(g["name"], g["role"], g["interactions"], g["orders"]) for g in profile.groups] == [
        ("静安宝妈群", "admin", 3, 1)]
    kinds = [row["kind"] for row in profile.timeline]
    assert kinds[0] == "check_in" and sorted(kinds) == sorted(["check_in", "join", "message", "message",
                                                               "reaction", "order"])
    everyone = member_profile(SYSTEM, history.member.pk)
    assert [g["name"] for g in everyone.groups] == ["朝阳吃货群", "静安宝妈群"]  # current, newest joined first
    assert len(everyone.timeline) == 7


def test_points_coupons_referrals_and_tags(history, store):
    profile = member_profile(manager_of(store), history.member.pk)
    points = profile.points
    assert points["balance"] > 0 and points["checkins"] == 1 and points["last_checkin"] == clock.local_date()
    assert points["earned_total"] - points["redeemed"] - points["expired"] >= points["balance"]
    assert profile.coupons == {"held": 2, "expiring": 1, "used": 2, "saved_fen": 800, "expired": 1}
    refs = profile.referrals
    assert (refs["invited"], refs["converted"], refs["pending"], refs["reward_points"]) == (3, 2, 1, 500)
    assert profile.tags == ["宝妈"]


def test_scores_newest_run_per_scope_and_runs_the_actor_may_see(history, store):
    everyone = member_profile(SYSTEM, history.member.pk)
    assert [(r["scope"], r["score"]["cell"], r["score"]["r"]) for r in everyone.rfm] == [
        ("overall", "champions", 5), ("home_store", "loyal", 4)]
    assert everyone.rfm[0]["score"]["cell_label"] == "冠军客户"
    assert everyone.value["clv_12m_fen"] == 51000 and everyone.value["churn_risk"] == "low"
    scoped = member_profile(manager_of(store), history.member.pk)
    assert [(r["scope"], r["score"]["cell"]) for r in scoped.rfm] == [("home_store", "loyal")]
    assert scoped.value["clv_12m_fen"] == 48000 and scoped.value["churn_label"] == "有流失风险"
    assert scoped.value["value_decile"] == 2 and scoped.value["expected_purchases"] == 1.35


def test_a_member_with_nothing_yet(make_member, store):
    fresh = make_member(store)
    profile = member_profile(SYSTEM, fresh.pk)
    assert profile.purchases.orders == 0 and profile.purchases.aov_fen == 0 and profile.purchases.last_at is None
    assert profile.categories == [] and profile.recent_orders == [] and profile.groups == []
    assert [r["run_id"] for r in profile.rfm] == [None, None] and profile.value is None


def test_another_stores_manager_cannot_see_the_member(history, other_store):
    with pytest.raises(NotFound):
        member_profile(manager_of(other_store, "beijing"), history.member.pk)


def test_recommendations_are_sellable_products_with_a_reason(history):
    picks = profile_recs.recommended_products(history.member.pk, k=3)
    assert picks[0]["sku"] == "MILK" and picks[0]["reason"] == "together" and picks[0]["name"] == "鲜牛奶"
    assert picks[0]["price_fen"] == 1000
    assert "OLD-SKU" not in {p["sku"] for p in picks}


def test_query_count_does_not_grow_with_history(history, store, django_assert_max_num_queries):
    actor = manager_of(store)
    member_profile(actor, history.member.pk)  # warm caches (content types, permissions)
    now = clock.now()
    Transaction.objects.bulk_create(
        [Transaction(member=history.member, occurred_at=now - dt.timedelta(days=n % 700, hours=n % 24),
                     amount_fen=1000 + n, order_no=f"BULK-{n}", sku="EGG", store=store, source="import",
                     source_ref=f"bulk-{n}") for n in range(600)])
    with django_assert_max_num_queries(22):
        profile = member_profile(actor, history.member.pk)
    assert profile.purchases.orders == EXPECTED["orders"] + 600


# --- API --------------------------------------------------------------------------------------------------


def test_api_returns_the_profile(history, api):
    response = api.get(f"/analytics/members/{history.member.pk}/profile")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["member"]["tags"] == ["宝妈"] and body["scoped"] is False
    assert body["purchases"]["net_spend_fen"] == EXPECTED_ALL["net"]
    assert body["purchases"]["aov_fen"] == EXPECTED_ALL["aov"]
    assert [m["month"] for m in body["months"]][-1] == clock.local_date().strftime("%Y-%m")
    assert body["recent_orders"][0]["order_id"] == history.second.pk
    assert body["coupons"]["saved_fen"] == 800 and body["referrals"]["converted"] == 2
    assert body["rfm"][0]["score"]["cell"] == "champions" and body["value"]["clv_12m_fen"] == 51000
    assert body["recommendations"][0]["name"] == "鲜牛奶" and body["recommendations"][0]["reason"] == "together"
    assert format_fen(body["purchases"]["net_spend_fen"]) == "¥154.00"


def test_api_scoping_and_errors(history, api_as, store, other_store, anon_api):
    mine = api_as("store_manager", stores=[store.code]).get(f"/analytics/members/{history.member.pk}/profile")
    assert mine.status_code == 200 and mine.json()["scoped"] is True
    assert mine.json()["purchases"]["net_spend_fen"] == EXPECTED["net"]
    assert [g["name"] for g in mine.json()["groups"]] == ["静安宝妈群"]
    other = api_as("store_manager", stores=[other_store.code], username="bj").get(
        f"/analytics/members/{history.member.pk}/profile")
    assert other.status_code == 404 and other["Content-Type"].startswith("application/problem+json")
    assert other.json()["type"] == "member-not-found"
    assert anon_api.get(f"/analytics/members/{history.member.pk}/profile").status_code == 401
    none = api_as("analyst").get(f"/analytics/members/{history.member.pk}/profile?recommendations=0")
    assert none.status_code == 200 and none.json()["recommendations"] == []
    bad = api_as("analyst").get(f"/analytics/members/{history.member.pk}/profile?recommendations=99")
    assert bad.status_code == 422
