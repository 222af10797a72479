"""The store's order flow in real Chromium: find an order, take the money at the counter, refund one line,
and see the stock back on the product page. Screenshots of the commerce pages go to /tmp/shots-commerce/."""

import datetime as dt
from pathlib import Path

import pytest

from .test_browser import log_in

SHOTS = Path("/tmp/shots-commerce")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_confirms_payment_refunds_a_line_and_sees_stock_back(live_server, desk_page, staff_user, store,
                                                                   system_actor):
    from shequn.commerce import catalog, orders, payments, stock
    from shequn.commerce.models import Order, Refund, StockLevel
    from shequn.members.services import create_member

    SHOTS.mkdir(parents=True, exist_ok=True)
    staff_user("store_manager", ["SH01"], username="dianzhang")
    member = create_member(system_actor, phone="13912345678", name="王小雨", store=store)
    berry = catalog.create_product(system_actor, name="丹东草莓", category="水果", tags=["当季"],
                                   skus=[{"code": "BERRY-500", "spec": "500g", "price_fen": 3990}]).skus.get()
    egg = catalog.create_product(system_actor, name="土鸡蛋", category="早餐",
                                 skus=[{"code": "EGG-6", "spec": "6 枚", "price_fen": 1290}]).skus.get()
    for sku in (berry, egg):
        stock.receive(system_actor, sku, store, 20)
    for n in range(3):  # other orders in the list, some paid
        other = orders.place_order(system_actor, member=member, fulfilment="pickup", store=store,
                                   items=[{"sku": "EGG-6", "quantity": n + 1}])
        payments.confirm_payment(system_actor, provider="offline", order_no=other.order_no,
                                 transaction_id=f"offline:{other.order_no}", amount_fen=other.total_fen,
                                 paid_at=other.created_at + dt.timedelta(minutes=1))
    order = orders.place_order(system_actor, member=member, fulfilment="pickup", store=store,
                               items=[{"sku": "BERRY-500", "quantity": 2}, {"sku": "EGG-6", "quantity": 1}])
    page, url = desk_page, live_server.url

    log_in(page, url, "dianzhang")
    page.get_by_role("link", name="订单", exact=True).click()
    page.wait_for_url(f"{url}/console/commerce/orders/")
    page.get_by_label("订单号/会员").fill(order.order_no)
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(lambda u: "q=" in u)
    rows = page.locator("#orders tbody tr")
    assert rows.count() == 1 and "待付款" in rows.first.inner_text()
    page.screenshot(path=SHOTS / "orders-search.png", full_page=True)

    page.get_by_role("link", name=order.order_no).click()
    page.wait_for_url(f"{url}/console/commerce/orders/{order.pk}/")
    page.get_by_role("button", name="确认线下收款 ¥92.70").dblclick()  # a double click takes the money once
    page.locator(".messages .success").wait_for()
    assert page.locator("#order-status").inner_text() == "已付款"
    assert StockLevel.objects.get(sku=berry, store=store).on_hand == 18

    refund = page.locator("#refund")
    refund.get_by_label("丹东草莓 500g").fill("1")
    refund.get_by_label("退款原因").fill("草莓压坏了")
    page.screenshot(path=SHOTS / "order-detail-refund.png", full_page=True)
    refund.get_by_role("button", name="确认退款").click()
    page.locator(".messages .success").wait_for()
    assert "已退款 ¥39.90" in page.locator(".messages").inner_text()
    assert page.locator("#order-status").inner_text() == "部分退款"
    assert "草莓压坏了" in page.locator("#refunds").inner_text()
    assert "退款" in page.locator("#timeline").inner_text()
    page.screenshot(path=SHOTS / "order-detail-refunded.png", full_page=True)
    assert Refund.objects.get().amount_fen == 3990
    assert Order.objects.get(pk=order.pk).refunded_fen == 3990

    page.locator("#lines").get_by_role("link", name="丹东草莓").click()
    page.wait_for_url(f"{url}/console/commerce/products/{berry.product_id}/")
    assert page.locator('tr[data-sku="BERRY-500"] .available').inner_text() == "19"
    assert "退回" in page.locator("#ledger tbody tr").first.inner_text()
    page.screenshot(path=SHOTS / "product-detail.png", full_page=True)
    assert StockLevel.objects.get(sku=berry, store=store).on_hand == 19

    for name, path in [("products", "/console/commerce/products/"), ("hot-products", "/console/commerce/hot-products/"),
                       ("settings", "/console/commerce/settings/")]:
        page.goto(f"{url}{path}")
        page.screenshot(path=SHOTS / f"{name}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_owner_creates_a_product_with_member_prices(live_server, desk_page, staff_user, tiers):
    from shequn.commerce.models import Product

    SHOTS.mkdir(parents=True, exist_ok=True)
    staff_user("owner", username="laoban")
    page, url = desk_page, live_server.url
    log_in(page, url, "laoban")
    page.goto(f"{url}/console/commerce/products/new/")
    page.get_by_label("商品名称").fill("有机牛奶")
    page.get_by_label("分类（场景）").fill("早餐")
    page.get_by_label("SKU 编码 1").fill("MILK-1L")
    page.get_by_label("规格 1").fill("1L")
    page.get_by_label("售价（元） 1").fill("15.90")
    page.get_by_label(f"{tiers['gold'].name}价 1").fill("13.90")
    page.screenshot(path=SHOTS / "product-new.png", full_page=True)
    page.get_by_role("button", name="创建商品").click()
    page.locator(".messages .success").wait_for()
    product = Product.objects.get(name="有机牛奶")
    assert product.skus.get().tier_prices.get(tier_code="gold").price_fen == 1390
    assert "¥13.90" in page.locator("#skus").inner_text()
