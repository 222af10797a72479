"""爆品 report: ranking by net sales, Pareto shares, period, store scoping."""

import datetime as dt

import pytest

from shequn.commerce import orders, payments, refunds, reports, stock
from shequn.core.errors import ValidationProblem

from .test_api_catalog import problem

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai


def sell(actor, member, store, lines, paid_at=NOW):
    order = orders.place_order(actor, member=member, fulfilment="pickup", store=store,
                               items=[{"sku": s.code, "quantity": q} for s, q in lines])
    payments.confirm_payment(actor, provider="offline", order_no=order.order_no,
                             transaction_id=f"offline:{order.order_no}", amount_fen=order.total_fen, paid_at=paid_at)
    return order


@pytest.fixture
def shop(system_actor, member, store, make_sku):
    """Sales of ¥100 · 60, ¥20 · 2 (two orders), ¥10, ¥5, ¥3 and ¥2 — ¥140 in all, at SH01 on 2026-11-20."""
    skus = {name: make_sku(name, price, quantity=100) for name, price in
            [("A", 10000), ("B", 1000), ("C", 1000), ("D", 500), ("E", 300), ("F", 200)]}
    sell(system_actor, member, store, [(skus["A"], 1), (skus["B"], 1)])
    sell(system_actor, member, store, [(skus["B"], 1), (skus["C"], 1)])
    sell(system_actor, member, store, [(skus["D"], 1), (skus["E"], 1), (skus["F"], 1)])
    return skus


def test_ranking_shares_and_pareto(system_actor, shop):
    report = reports.hot_products(system_actor, date_from=dt.date(2026, 11, 20), date_to=dt.date(2026, 11, 20))
    assert report.total_fen == 14000 and report.total_quantity == 7 and report.product_count == 6
    assert [(i.name, i.sales_fen, i.quantity, i.orders) for i in report.items] == [
        ("A", 10000, 1, 1), ("B", 2000, 2, 2), ("C", 1000, 1, 1), ("D", 500, 1, 1), ("E", 300, 1, 1),
        ("F", 200, 1, 1)]
    # A alone is 71%: below 80%, so B (which crosses it) is hot too; the rest are not
    assert [i.is_hot for i in report.items] == [True, True, False, False, False, False]
    assert report.hot_count == 2
    assert report.items[0].share == round(10000 / 14000, 4)
    assert report.items[1].cumulative_share == round(12000 / 14000, 4)
    assert report.items[-1].cumulative_share == 1.0


def test_refunds_are_netted_out(system_actor, member, store, shop):
    order = sell(system_actor, member, store, [(shop["F"], 10)])  # F: ¥2 + ¥20
    refunds.refund_order(system_actor, order, reason="质量问题", lines=[{"sku": "F", "quantity": 9}])
    report = reports.hot_products(system_actor, date_from=dt.date(2026, 11, 20), date_to=dt.date(2026, 11, 20))
    f = next(i for i in report.items if i.name == "F")
    assert (f.sales_fen, f.quantity, f.orders) == (400, 2, 2)
    assert report.total_fen == 14200


def test_period_uses_shanghai_days_and_unpaid_orders_do_not_count(system_actor, member, store, shop):
    late_evening = dt.datetime(2026, 11, 20, 17, 30, tzinfo=dt.UTC)  # 01:30 on the 21st in Shanghai
    sell(system_actor, member, store, [(shop["E"], 1)], paid_at=late_evening)
    orders.place_order(system_actor, member=member, fulfilment="pickup", store=store,
                       items=[{"sku": "A", "quantity": 5}])
    on_20th = reports.hot_products(system_actor, date_from=dt.date(2026, 11, 20), date_to=dt.date(2026, 11, 20))
    on_21st = reports.hot_products(system_actor, date_from=dt.date(2026, 11, 21), date_to=dt.date(2026, 11, 21))
    assert on_20th.total_fen == 14000
    assert [(i.name, i.sales_fen) for i in on_21st.items] == [("E", 300)]


def test_store_filter_and_scope(system_actor, api_as, member, make_member, store, other_store, shop):
    stock.receive(system_actor, shop["D"], other_store, 10)
    sell(system_actor, make_member(store=other_store), other_store, [(shop["D"], 3)])
    both = reports.hot_products(system_actor, date_from=dt.date(2026, 11, 20), date_to=dt.date(2026, 11, 20))
    assert [i.name for i in both.items[:3]] == ["A", "D", "B"] and both.total_fen == 15500  # tie: more units first
    beijing = reports.hot_products(system_actor, store="BJ01", date_from=dt.date(2026, 11, 20),
                                   date_to=dt.date(2026, 11, 20))
    assert [(i.name, i.sales_fen, i.is_hot) for i in beijing.items] == [("D", 1500, True)]
    manager = api_as("store_manager", ["BJ01"])
    body = manager.get("/reports/hot-products?from=2026-11-20&to=2026-11-20").json()
    assert body["total_fen"] == 1500 and [i["name"] for i in body["items"]] == ["D"]
    problem(manager.get("/reports/hot-products?store=SH01&from=2026-11-20&to=2026-11-20"), 404, "store-not-found")


def test_api_shape_limit_and_bad_periods(api, shop):
    response = api.get("/reports/hot-products?from=2026-11-20&to=2026-11-20&limit=2")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["date_from"] == "2026-11-20" and body["date_to"] == "2026-11-20" and body["store"] is None
    assert body["product_count"] == 6 and body["hot_count"] == 2 and len(body["items"]) == 2
    assert body["items"][0] == {"rank": 1, "product_id": shop["A"].product_id, "name": "A", "category": None,
                                "quantity": 1, "sales_fen": 10000, "orders": 1, "share": 0.7143,
                                "cumulative_share": 0.7143, "is_hot": True}
    problem(api.get("/reports/hot-products?from=2026-11-21&to=2026-11-20"), 422, "invalid-period")
    problem(api.get("/reports/hot-products?from=2020-01-01&to=2026-11-20"), 422, "invalid-period")
    problem(api.get("/reports/hot-products?from=yesterday"), 422, "validation-error")
    problem(api.get("/reports/hot-products?limit=0"), 422, "validation-error")


def test_empty_period_and_default_window(system_actor, db):
    report = reports.hot_products(system_actor)
    assert report.items == [] and report.total_fen == 0 and (report.date_to - report.date_from).days == 29
    with pytest.raises(ValidationProblem):
        reports.period(dt.date(2026, 1, 2), dt.date(2026, 1, 1))
