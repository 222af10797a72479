"""The member shop in real Chromium on a phone-sized screen: log in, buy two products with points, pay in
the sandbox, see the pickup code."""

from pathlib import Path

import pytest

from shequn.h5.tests.browser import log_in_by_sms

SHOTS = Path("/tmp/shots-h5shop")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_buys_two_products_with_points_and_pays_in_the_sandbox(live_server, settings, phone_page, store,
                                                                       system_actor):
    from shequn.commerce import catalog, stock
    from shequn.commerce.models import Order, StockLevel
    from shequn.loyalty.models import LoyaltyAccount
    from shequn.loyalty.points import earn
    from shequn.members.services import create_member

    settings.DEV_INBOX = True
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"
    SHOTS.mkdir(parents=True, exist_ok=True)
    member = create_member(system_actor, phone="13912345678", name="王小雨", store=store)
    earn(system_actor, member.pk, 3000, source="gift", ref="welcome", reason="开卡礼")
    berries = catalog.create_product(system_actor, name="丹东99草莓", category="水果", tags=["当季", "爆品"],
                                     description="丹东东港产，个大汁多，冷链直达门店。", skus=[
                                         {"code": "BERRY-500", "spec": "500g 盒装", "price_fen": 3990},
                                         {"code": "BERRY-1000", "spec": "1kg 礼盒", "price_fen": 6990}])
    for sku in berries.skus.all():
        stock.receive(system_actor, sku, store, 30)
    catalog.create_simple_product(system_actor, sku="MILLET-1", name="有机小米 2.5kg", price_fen=4590,
                                  stock_quantity=12, store=store, category="早餐")
    catalog.create_simple_product(system_actor, sku="PUREE-1", name="南瓜米粉 宝宝辅食", price_fen=5800,
                                  stock_quantity=0, store=store, category="宝宝辅食")
    page, url = phone_page, live_server.url

    page.goto(f"{url}/m/shop/")
    assert page.url.startswith(f"{url}/m/login/")
    log_in_by_sms(page, url, "13912345678")
    page.wait_for_url(f"{url}/m/shop/")

    assert page.locator("[data-sold-out]").count() == 1
    page.screenshot(path=SHOTS / "1-shop.png", full_page=True)
    page.locator(f"[data-product='{berries.pk}']").click()
    page.get_by_label("1kg 礼盒").check()
    assert page.locator("[data-price-box] [data-member-price]").inner_text() == "¥69.90"
    page.get_by_role("button", name="加入购物车").click()
    assert "已加入购物车" in page.locator(".toast").inner_text()
    page.screenshot(path=SHOTS / "2-product.png", full_page=True)

    page.goto(f"{url}/m/shop/?category=早餐")
    page.get_by_text("有机小米 2.5kg").click()
    page.get_by_role("button", name="加入购物车").click()
    page.locator(".toast").wait_for()
    assert page.locator(".buy-bar-cart [data-cart-count]").inner_text() == "2"
    page.locator(".buy-bar-cart").click()
    page.wait_for_url(f"{url}/m/cart/")
    page.locator("[data-cart-line='MILLET-1']").get_by_role("button", name="增加").click()
    page.wait_for_url(f"{url}/m/cart/")
    assert page.locator("[data-cart-line='MILLET-1'] [data-quantity]").inner_text() == "2"
    page.screenshot(path=SHOTS / "2b-cart.png", full_page=True)
    page.locator("[data-checkout]").click()
    page.wait_for_url(f"{url}/m/checkout/")
    assert page.locator("[data-total]").inner_text() == "¥161.70"  # 69.90 + 2 × 45.90
    page.locator("input[name=use_points]").check()  # the page re-prices itself
    page.locator("[data-points-offset]").wait_for()
    assert page.locator("[data-points-offset]").inner_text() == "-¥30.00"
    assert page.locator("[data-total]").inner_text() == "¥131.70"
    page.screenshot(path=SHOTS / "3-checkout.png", full_page=True)
    page.get_by_role("button", name="提交订单").click()

    page.wait_for_url(f"{url}/m/orders/*/pay/")
    assert page.locator("[data-amount]").inner_text() == "¥131.70"
    page.screenshot(path=SHOTS / "4-pay.png", full_page=True)
    page.get_by_role("button", name="去付款").click()
    page.wait_for_url(f"{url}/m/pay/sandbox/*/")
    assert "非真实付款" in page.locator("[data-sandbox-banner]").inner_text()
    page.screenshot(path=SHOTS / "5-sandbox.png", full_page=True)
    page.get_by_role("button", name="确认支付").click()

    order = Order.objects.get()
    page.wait_for_url(f"{url}/m/orders/{order.order_no}/")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_fen == 13170 and order.points_used == 3000
    assert page.locator(".order-hero [data-status]").inner_text() == "已付款"
    shown = page.locator("[data-pickup-code]").inner_text().replace(" ", "")
    assert shown == order.pickup_code and len(shown) == 8
    assert page.locator("svg.pickup-qr").is_visible()
    assert LoyaltyAccount.objects.get(member=member).points_balance > 0  # spent 3,000, earned on 131.70
    level = StockLevel.objects.get(sku__code="MILLET-1", store=store)
    assert (level.on_hand, level.reserved) == (10, 0)
    page.screenshot(path=SHOTS / "6-order-paid.png", full_page=True)

    page.goto(f"{url}/m/orders/?tab=pickup")
    assert page.locator(f"[data-order='{order.order_no}'] [data-status]").inner_text() == "已付款"
    page.screenshot(path=SHOTS / "7-my-orders.png", full_page=True)
