"""Member shop pages: product list and page, cart, checkout, payment (sandbox and counter), my orders."""

import re

import pytest
from django.test import Client

from shequn.commerce import catalog, orders, stock
from shequn.commerce.models import Order, Payment, StockLevel
from shequn.h5 import cart
from shequn.loyalty import points
from shequn.loyalty.models import LoyaltyAccount
from shequn.loyalty.tiers import set_tier

pytestmark = pytest.mark.django_db


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def text(response) -> str:
    return response.content.decode()


@pytest.fixture(autouse=True)
def sandbox_on(settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"


@pytest.fixture
def berries(system_actor, store):
    """草莓: two specs; gold members pay an explicit member price for the 500g box."""
    product = catalog.create_product(system_actor, name="丹东草莓", category="水果", tags=["当季"], skus=[
        {"code": "BERRY-500", "spec": "500g", "price_fen": 3990, "tier_prices": {"gold": 3590}},
        {"code": "BERRY-1000", "spec": "1kg 礼盒", "price_fen": 6990}])
    for sku in product.skus.all():
        stock.receive(system_actor, sku, store, 20)
    return product


@pytest.fixture
def porridge(system_actor, store):
    """小米粥 in the 早餐 category, 3 in stock."""
    return catalog.create_simple_product(system_actor, sku="MILLET-1", name="有机小米粥", price_fen=1290,
                                         stock_quantity=3, store=store, category="早餐")


@pytest.fixture
def puree(system_actor, store):
    """宝宝辅食 with no stock anywhere: 已售罄."""
    return catalog.create_simple_product(system_actor, sku="PUREE-1", name="南瓜泥", price_fen=1890,
                                         category="宝宝辅食")


@pytest.fixture
def shopper(member, system_actor):
    set_tier(system_actor, member.pk, "gold", reason="测试")  # 95折, and 35.90 for BERRY-500
    points.earn(system_actor, member.pk, 5000, source="gift", ref="shop-test", reason="测试积分")
    return member


@pytest.fixture
def client(shopper):
    return logged_in(shopper)


def _fill_cart(client, *pairs):
    for code, quantity in pairs:
        product_id = catalog.Sku.objects.get(code=code).product_id
        response = client.post(f"/m/shop/{product_id}/", {"sku": code, "quantity": str(quantity), "then": "cart"})
        assert response.status_code == 302, text(response)


def _token(client) -> str:
    page = text(client.get("/m/checkout/"))
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def _level(sku_code, store):
    return StockLevel.objects.get(sku__code=sku_code, store=store)


# --- list and product page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/m/shop/", "/m/cart/", "/m/checkout/", "/m/orders/", "/m/orders/X/"])
def test_shop_pages_need_a_member_login(path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"].startswith("/m/login/?next=")


def test_list_shows_my_member_price_categories_and_sold_out(client, berries, porridge, puree):
    page = text(client.get("/m/shop/"))
    assert "丹东草莓" in page and "有机小米粥" in page and "南瓜泥" in page
    assert "早餐" in page and "宝宝辅食" in page and "水果" in page
    # gold member: 35.90 (explicit price) is cheaper than 95折 of 69.90, shown with the list price
    assert "¥35.90" in page and "¥39.90" in page
    assert "¥12.26" in page  # 12.90 at 95折, rounded to the fen by the order core
    tiles = re.findall(r'data-product="(\d+)"(.*?)</a>', page, re.S)
    sold_out = {int(pid) for pid, body in tiles if "data-sold-out" in body}
    assert sold_out == {puree.product_id}


def test_list_filters_by_category_and_search(client, berries, porridge, puree):
    page = text(client.get("/m/shop/", {"category": "早餐"}))
    assert "有机小米粥" in page and "丹东草莓" not in page and "南瓜泥" not in page
    page = text(client.get("/m/shop/", {"q": "草莓"}))
    assert "丹东草莓" in page and "有机小米粥" not in page
    page = text(client.get("/m/shop/", {"q": "没有这种东西"}))
    assert "没有找到相关商品" in page
    assert client.get("/m/shop/", {"cursor": "garbage"})["Location"] == "/m/shop/"


def test_list_pages_through_products(client, system_actor, store):
    for i in range(23):
        catalog.create_simple_product(system_actor, sku=f"P-{i}", name=f"商品{i:02d}", price_fen=100 + i,
                                      stock_quantity=1, store=store)
    first = text(client.get("/m/shop/"))
    assert "商品00" in first and "商品19" in first and "商品20" not in first
    cursor = re.search(r'href="\?cursor=([^"&]+)', first).group(1)
    second = text(client.get(f"/m/shop/?cursor={cursor}"))
    assert "商品20" in second and "商品22" in second and "商品00" not in second


def test_inactive_product_is_not_listed_and_its_page_is_404(client, system_actor, berries):
    catalog.update_product(system_actor, berries, is_active=False)
    assert "丹东草莓" not in text(client.get("/m/shop/"))
    assert client.get(f"/m/shop/{berries.pk}/").status_code == 404
    assert client.get("/m/shop/999999/").status_code == 404


def test_product_page_shows_specs_member_price_and_stock(client, berries, store):
    page = text(client.get(f"/m/shop/{berries.pk}/"))
    assert "500g" in page and "1kg 礼盒" in page
    assert "¥35.90" in page and "¥66.41" in page  # 69.90 at 95折
    assert "上海静安店自提" in page and "有货" in page
    assert "配送：暂时缺货" in page  # nothing in the central warehouse


def test_product_page_low_stock_hint_and_sold_out_disables_buying(client, porridge, puree):
    assert "仅剩 3 件" in text(client.get(f"/m/shop/{porridge.product_id}/"))
    page = text(client.get(f"/m/shop/{puree.product_id}/"))
    assert "已售罄" in page and 'value="buy"' not in page


def test_add_to_cart_and_buy_now(client, berries):
    response = client.post(f"/m/shop/{berries.pk}/", {"sku": "BERRY-500", "quantity": "2", "then": "cart"})
    assert response.status_code == 302 and response["Location"] == f"/m/shop/{berries.pk}/?sku=BERRY-500"
    assert "已加入购物车（共 2 件）" in text(client.get(response["Location"]))
    response = client.post(f"/m/shop/{berries.pk}/", {"sku": "BERRY-1000", "quantity": "1", "then": "buy"})
    assert response["Location"] == "/m/checkout/"
    assert client.session[cart.SESSION_KEY] == {"BERRY-500": 2, "BERRY-1000": 1}


@pytest.mark.parametrize("form, message", [
    ({"sku": "BERRY-500", "quantity": "0"}, "数量须为 1 到 99 之间的整数"),
    ({"sku": "BERRY-500", "quantity": "abc"}, "数量须为 1 到 99 之间的整数"),
    ({"sku": "BERRY-500", "quantity": "-1"}, "数量须为 1 到 99 之间的整数"),
    ({"sku": "BERRY-500", "quantity": "100"}, "数量须为 1 到 99 之间的整数"),
    ({"sku": "EGG-6", "quantity": "1"}, "请选择规格"),
])
def test_add_to_cart_refuses_bad_input(client, berries, form, message):
    response = client.post(f"/m/shop/{berries.pk}/", form)
    assert response.status_code == 422 and message in text(response)
    assert cart.SESSION_KEY not in client.session


def test_cart_caps_quantity_per_sku(client, berries):
    _fill_cart(client, ("BERRY-500", 60))
    response = client.post(f"/m/shop/{berries.pk}/", {"sku": "BERRY-500", "quantity": "40"})
    assert response.status_code == 422 and "每种商品一次最多买 99 件" in text(response)
    assert client.session[cart.SESSION_KEY] == {"BERRY-500": 60}


# --- cart ---------------------------------------------------------------------------------------------------


def test_cart_page_updates_and_removes(client, berries, porridge):
    _fill_cart(client, ("BERRY-500", 1), ("MILLET-1", 2))
    page = text(client.get("/m/cart/"))
    assert "丹东草莓" in page and "有机小米粥" in page and "去结算（3 件）" in page
    assert "¥60.42" in page  # 35.90 + 2 × 12.26
    client.post("/m/cart/update/", {"sku": "BERRY-500", "quantity": "3"})
    assert client.session[cart.SESSION_KEY]["BERRY-500"] == 3
    client.post("/m/cart/update/", {"sku": "MILLET-1", "action": "remove"})
    client.post("/m/cart/update/", {"sku": "BERRY-500", "quantity": "0"})
    assert client.session[cart.SESSION_KEY] == {}
    assert "购物车是空的" in text(client.get("/m/cart/"))


def test_cart_update_refuses_bad_input_and_keeps_the_cart(client, berries):
    _fill_cart(client, ("BERRY-500", 2))
    response = client.post("/m/cart/update/", {"sku": "BERRY-500", "quantity": "x"}, follow=True)
    assert "数量须为 0 到 99 之间的整数" in text(response)
    response = client.post("/m/cart/update/", {"sku": "NOPE", "quantity": "1"}, follow=True)
    assert "购物车里没有这件商品" in text(response)
    assert client.session[cart.SESSION_KEY] == {"BERRY-500": 2}
    assert client.get("/m/cart/update/").status_code == 405


def test_cart_shows_short_stock(client, porridge):
    _fill_cart(client, ("MILLET-1", 5))
    assert "库存仅剩 3 件" in text(client.get("/m/cart/"))


def test_product_taken_off_sale_blocks_checkout_until_removed(client, system_actor, berries, porridge):
    _fill_cart(client, ("BERRY-500", 1), ("MILLET-1", 1))
    catalog.update_product(system_actor, porridge.product, is_active=False)
    assert "以下商品已下架" in text(client.get("/m/cart/"))
    token = _token(client)
    response = client.post("/m/checkout/", {"action": "place", "token": token, "fulfilment": "pickup",
                                            "store": "SH01"})
    assert response.status_code == 409 and "已下架" in text(response)
    assert not Order.objects.exists()


def test_cart_session_values_are_cleaned():
    session = {cart.SESSION_KEY: {"A": 2, "B": "3", "C": 0, "D": True, 5: 1, "E": 100}}
    assert cart.items(session) == {"A": 2}
    assert cart.items({cart.SESSION_KEY: ["A"]}) == {}


def test_cart_holds_at_most_twenty_kinds(system_actor, store):
    session: dict = {}
    for i in range(cart.MAX_LINES):
        catalog.create_simple_product(system_actor, sku=f"K-{i}", name=f"K{i}", price_fen=100)
        cart.add(session, f"K-{i}", 1)
    catalog.create_simple_product(system_actor, sku="K-LAST", name="K", price_fen=100)
    with pytest.raises(cart.InvalidCart):
        cart.add(session, "K-LAST", 1)
    cart.add(session, "K-0", 1)  # more of one already in the cart is fine
    assert cart.count(session) == cart.MAX_LINES + 1


# --- checkout -----------------------------------------------------------------------------------------------


def test_checkout_with_empty_cart_goes_back_to_cart(client):
    assert client.get("/m/checkout/")["Location"] == "/m/cart/"


def test_checkout_shows_the_breakdown_the_order_gets(client, shopper, berries, porridge, store):
    _fill_cart(client, ("BERRY-500", 2), ("MILLET-1", 1))
    page = text(client.get("/m/checkout/"))
    assert "上海静安店" in page and "使用 4203 积分抵 ¥42.03" in page and "积分余额 5000" in page
    quoted = text(client.post("/m/checkout/", {"action": "quote", "fulfilment": "pickup", "store": "SH01",
                                               "use_points": "1", "token": _token(client)}))
    # 2 × 39.90 + 12.90 = 92.70; gold prices 2 × 35.90 + 12.26 = 84.06; half of it as points: 42.03 → 4,203
    assert "¥92.70" in quoted and "-¥8.64" in quoted and "-¥42.03" in quoted and "¥42.03" in quoted
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01",
                                            "use_points": "1", "token": _token(client)})
    order = Order.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/m/orders/{order.order_no}/pay/"
    assert (order.subtotal_fen, order.member_discount_fen, order.points_offset_fen, order.total_fen) == (
        9270, 864, 4203, 4203)
    assert order.points_used == 4203 and order.store == store and order.fulfilment == "pickup"
    assert LoyaltyAccount.objects.get(member=shopper).points_balance == 5000 - 4203
    assert _level("BERRY-500", store).reserved == 2
    assert cart.SESSION_KEY not in client.session


def test_the_same_checkout_form_sent_twice_places_one_order(client, berries):
    _fill_cart(client, ("BERRY-500", 1))
    token = _token(client)
    form = {"action": "place", "fulfilment": "pickup", "store": "SH01", "token": token}
    first = client.post("/m/checkout/", form)
    second = client.post("/m/checkout/", form)
    order = Order.objects.get()
    assert first["Location"] == f"/m/orders/{order.order_no}/pay/"
    assert second["Location"] == f"/m/orders/{order.order_no}/"


def test_a_stale_checkout_form_is_refused(client, berries):
    _fill_cart(client, ("BERRY-500", 1))
    _token(client)
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01",
                                            "token": "forged"})
    assert response.status_code == 409 and "页面已过期" in text(response)
    assert not Order.objects.exists()


def test_out_of_stock_is_readable_reserves_nothing_and_keeps_the_cart(client, berries, porridge, store):
    _fill_cart(client, ("BERRY-500", 2), ("MILLET-1", 5))
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01",
                                            "use_points": "1", "token": _token(client)})
    assert response.status_code == 409
    assert "「有机小米粥」库存不足：仅剩 3 件，你要买 5 件" in text(response)
    assert not Order.objects.exists()
    assert _level("BERRY-500", store).reserved == 0 and _level("MILLET-1", store).reserved == 0
    assert LoyaltyAccount.objects.get(member__pk=client.session["member_id"]).points_balance == 5000
    assert client.session[cart.SESSION_KEY] == {"BERRY-500": 2, "MILLET-1": 5}


def test_pickup_at_another_store_without_that_stock_is_out_of_stock(client, berries, other_store):
    _fill_cart(client, ("BERRY-500", 1))
    page = text(client.get("/m/checkout/"))
    assert "北京朝阳店" in page
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "BJ01",
                                            "token": _token(client)})
    assert response.status_code == 409 and "库存不足" in text(response)


def test_delivery_needs_an_address_and_ships_from_the_warehouse(client, system_actor, berries):
    warehouse = stock.default_location()
    stock.receive(system_actor, berries.skus.get(code="BERRY-500"), warehouse, 10)
    _fill_cart(client, ("BERRY-500", 1))
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "delivery", "token": _token(client)})
    assert response.status_code == 400 and "请填写收货地址" in text(response)
    assert not Order.objects.exists()
    page = text(client.post("/m/checkout/", {"action": "quote", "fulfilment": "delivery", "token": _token(client)}))
    assert "收货地址" in page and "满 ¥99.00 免运费" in page
    client.post("/m/checkout/", {"action": "place", "fulfilment": "delivery", "address": "上海市静安区南京西路 1 号",
                                 "note": "放门卫", "token": _token(client)})
    order = Order.objects.get()
    assert order.store == warehouse and order.fulfilment == "delivery" and order.pickup_code == ""
    assert order.address == "上海市静安区南京西路 1 号" and order.note == "放门卫"


def test_member_without_home_store_must_choose_one(make_member, system_actor, berries):
    member = make_member(store=None)
    client = logged_in(member)
    _fill_cart(client, ("BERRY-500", 1))
    assert "请选择门店" in text(client.get("/m/checkout/"))
    response = client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "token": _token(client)})
    assert response.status_code == 400 and "请选择自提门店" in text(response)


def test_referrer_from_a_distributor_link_goes_on_the_order(client, make_member, store, berries):
    friend = make_member(store=store, name="推荐人")
    session = client.session
    session["referrer_member_id"] = friend.pk
    session.save()
    _fill_cart(client, ("BERRY-500", 1))
    assert "通过好友分享链接下单" in text(client.get("/m/checkout/"))
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "token": _token(client)})
    assert Order.objects.get().referrer == friend


def test_own_referral_or_junk_is_ignored(client, shopper, berries):
    session = client.session
    session["referrer_member_id"] = shopper.pk
    session.save()
    _fill_cart(client, ("BERRY-500", 1))
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "token": _token(client)})
    assert Order.objects.get().referrer is None


@pytest.mark.parametrize("use_points, fulfilment", [(False, "pickup"), (True, "pickup"), (True, "delivery"),
                                                    (False, "delivery")])
def test_quote_equals_the_placed_order(shopper, system_actor, berries, porridge, store, use_points, fulfilment):
    stock.receive(system_actor, porridge, stock.default_location(), 5)
    for sku in berries.skus.all():
        stock.receive(system_actor, sku, stock.default_location(), 5)
    items = {"BERRY-500": 1, "BERRY-1000": 1, "MILLET-1": 2}
    quote = cart.quote(shopper, items, fulfilment=fulfilment, use_points=use_points)
    order = orders.place_order(system_actor, member=shopper, fulfilment=fulfilment, points=quote.points_used,
                               store=store if fulfilment == "pickup" else None, address="上海",
                               items=[{"sku": c, "quantity": q} for c, q in items.items()])
    assert (quote.subtotal_fen, quote.member_discount_fen, quote.points_used, quote.points_offset_fen,
            quote.delivery_fee_fen, quote.total_fen) == (
        order.subtotal_fen, order.member_discount_fen, order.points_used, order.points_offset_fen,
        order.delivery_fee_fen, order.total_fen)


# --- payment ------------------------------------------------------------------------------------------------


@pytest.fixture
def placed(client, berries):
    _fill_cart(client, ("BERRY-500", 2))
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "token": _token(client)})
    return Order.objects.get()


def test_pay_page_offers_online_and_counter_payment(client, placed):
    page = text(client.get(f"/m/orders/{placed.order_no}/pay/"))
    assert "¥71.80" in page and "在线支付" in page and "到店付款" in page and "沙箱" in page


def test_counter_payment_leaves_the_order_pending_and_explains(client, placed):
    response = client.post(f"/m/orders/{placed.order_no}/pay/", {"method": "offline"}, follow=True)
    assert "店员确认收款后订单变为已付款" in text(response)
    placed.refresh_from_db()
    assert placed.status == Order.Status.PENDING_PAYMENT and not Payment.objects.exists()


def test_pay_refuses_an_unknown_method(client, placed):
    response = client.post(f"/m/orders/{placed.order_no}/pay/", {"method": "cash"})
    assert response.status_code == 400 and "请选择支付方式" in text(response)


def test_sandbox_payment_pays_the_order_once(client, placed, store):
    response = client.post(f"/m/orders/{placed.order_no}/pay/", {"method": "sandbox"})
    assert response["Location"] == f"/m/pay/sandbox/{placed.order_no}/"
    page = text(client.get(response["Location"]))
    assert "沙箱支付 · 非真实付款" in page and "¥71.80" in page and "确认支付" in page
    response = client.post(f"/m/pay/sandbox/{placed.order_no}/")
    assert response["Location"] == f"/m/orders/{placed.order_no}/"
    placed.refresh_from_db()
    assert placed.status == Order.Status.PAID and placed.paid_fen == 7180 and placed.payment_method == "sandbox"
    assert Payment.objects.get().provider == "sandbox"
    level = _level("BERRY-500", store)
    assert (level.on_hand, level.reserved) == (18, 0)
    page = text(client.get(response["Location"]))
    assert "支付成功" in page and "已付款" in page
    again = client.post(f"/m/pay/sandbox/{placed.order_no}/", follow=True)
    assert "无需付款" in text(again) and Payment.objects.count() == 1


def test_sandbox_page_for_a_cancelled_order_takes_no_money(client, placed, system_actor):
    orders.cancel_order(system_actor, placed, reason="测试")
    response = client.post(f"/m/pay/sandbox/{placed.order_no}/")
    assert response["Location"] == f"/m/orders/{placed.order_no}/" and not Payment.objects.exists()
    assert client.get(f"/m/orders/{placed.order_no}/pay/")["Location"] == f"/m/orders/{placed.order_no}/"


@pytest.mark.parametrize("configured, demo, debug", [("wechat", True, True), (None, False, False)])
def test_sandbox_page_is_off_outside_the_demo_unless_configured(client, placed, settings, configured, demo, debug):
    if configured is None:
        del settings.SHEQUN_H5_ONLINE_PAYMENT
    else:
        settings.SHEQUN_H5_ONLINE_PAYMENT = configured
    settings.DEMO_MODE, settings.DEBUG = demo, debug
    assert client.get(f"/m/pay/sandbox/{placed.order_no}/").status_code == 404
    assert client.post(f"/m/pay/sandbox/{placed.order_no}/").status_code == 404
    assert "在线支付" not in text(client.get(f"/m/orders/{placed.order_no}/pay/"))
    response = client.post(f"/m/orders/{placed.order_no}/pay/", {"method": "sandbox"})
    assert response.status_code == 400
    placed.refresh_from_db()
    assert placed.status == Order.Status.PENDING_PAYMENT and not Payment.objects.exists()


def test_sandbox_is_on_in_the_demo(client, placed, settings):
    del settings.SHEQUN_H5_ONLINE_PAYMENT
    settings.DEMO_MODE = True
    assert "沙箱支付" in text(client.get(f"/m/pay/sandbox/{placed.order_no}/"))


def test_another_members_order_is_not_found(placed, make_member, store):
    stranger = logged_in(make_member(store=store))
    for path in (f"/m/orders/{placed.order_no}/", f"/m/orders/{placed.order_no}/pay/",
                 f"/m/pay/sandbox/{placed.order_no}/"):
        assert stranger.get(path).status_code == 404
    assert stranger.post(f"/m/pay/sandbox/{placed.order_no}/").status_code == 404
    assert stranger.post(f"/m/orders/{placed.order_no}/cancel/").status_code == 404
    placed.refresh_from_db()
    assert placed.status == Order.Status.PENDING_PAYMENT


# --- my orders ----------------------------------------------------------------------------------------------


def test_orders_tabs(client, placed, system_actor, berries):
    assert placed.order_no in text(client.get("/m/orders/"))
    assert placed.order_no in text(client.get("/m/orders/?tab=pending"))
    assert placed.order_no not in text(client.get("/m/orders/?tab=pickup"))
    client.post(f"/m/pay/sandbox/{placed.order_no}/")
    assert placed.order_no in text(client.get("/m/orders/?tab=pickup"))
    assert placed.order_no not in text(client.get("/m/orders/?tab=pending"))
    assert "暂无订单" in text(client.get("/m/orders/?tab=refund"))
    assert client.get("/m/orders/?tab=nope")["Location"] == "/m/orders/"
    assert client.get("/m/orders/?cursor=bad")["Location"] == "/m/orders/"


def test_pending_order_page_offers_pay_and_cancel_which_releases_everything(client, shopper, berries, store):
    _fill_cart(client, ("BERRY-500", 2))
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "use_points": "1",
                                 "token": _token(client)})
    order = Order.objects.get()
    page = text(client.get(f"/m/orders/{order.order_no}/"))
    assert "待付款" in page and "取消订单" in page and "去付款" in page and "data-pickup-code" not in page
    assert "积分抵扣" in page and "超时订单自动取消" in page
    assert client.get(f"/m/orders/{order.order_no}/cancel/").status_code == 405
    response = client.post(f"/m/orders/{order.order_no}/cancel/", follow=True)
    assert "订单已取消" in text(response)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert _level("BERRY-500", store).reserved == 0
    assert LoyaltyAccount.objects.get(member=shopper).points_balance == 5000
    again = client.post(f"/m/orders/{order.order_no}/cancel/", follow=True)  # cancelling twice is a no-op
    assert again.status_code == 200 and Order.objects.get().status == Order.Status.CANCELLED


def test_paid_order_cannot_be_cancelled_by_the_member(client, placed):
    client.post(f"/m/pay/sandbox/{placed.order_no}/")
    response = client.post(f"/m/orders/{placed.order_no}/cancel/", follow=True)
    assert "订单状态已变化" in text(response)
    placed.refresh_from_db()
    assert placed.status == Order.Status.PAID


def test_paid_pickup_order_shows_code_qr_and_timeline(client, placed, system_actor, store):
    client.post(f"/m/pay/sandbox/{placed.order_no}/")
    placed.refresh_from_db()
    page = text(client.get(f"/m/orders/{placed.order_no}/"))
    code = placed.pickup_code
    assert f"{code[:4]} {code[4:]}" in page and 'class="pickup-qr"' in page and "上海静安店" in page
    assert "提交订单" in page and "已付款" in page
    orders.verify_pickup(system_actor, code=code, store=store)
    page = text(client.get(f"/m/orders/{placed.order_no}/"))
    assert "已自提" in page and "data-pickup-code" not in page
    assert placed.order_no in text(client.get("/m/orders/?tab=done"))


def test_card_menu_links_to_the_shop_and_orders(client):
    page = text(client.get("/m/"))
    assert 'href="/m/shop/"' in page and 'href="/m/orders/"' in page



def test_list_and_quote_queries_do_not_grow_with_products(client, shopper, system_actor, store,
                                                          django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    basket: dict = {}

    def make(start, count):
        for i in range(start, start + count):
            sku = catalog.create_product(system_actor, name=f"商品{i:02d}", category=f"分类{i % 3}", skus=[
                {"code": f"Q-{i}-A", "price_fen": 500 + i, "tier_prices": {"gold": 400 + i}},
                {"code": f"Q-{i}-B", "price_fen": 900 + i}]).skus.first()
            stock.receive(system_actor, sku, store, 5)
            cart.add(basket, sku.code, 1)

    make(0, 3)
    with CaptureQueriesContext(connection) as few:
        client.get("/m/shop/")
    with CaptureQueriesContext(connection) as small_quote:
        cart.quote(shopper, cart.items(basket), use_points=True, coupon_ids=[])
    make(3, 17)
    with django_assert_max_num_queries(len(few)):
        assert client.get("/m/shop/").status_code == 200
    with django_assert_max_num_queries(len(small_quote)):
        assert len(cart.quote(shopper, cart.items(basket), use_points=True, coupon_ids=[]).lines) == 20


def test_orders_from_other_channels_say_where_they_came_from(client, shopper, system_actor, store, berries):
    order = orders.place_order(system_actor, member=shopper, items=[{"sku": "BERRY-500", "quantity": 1}],
                               fulfilment="pickup", store=store, channel="team", channel_ref="T1")
    assert "拼团" in text(client.get("/m/orders/"))
    assert 'data-channel>拼团' in text(client.get(f"/m/orders/{order.order_no}/"))


def test_a_refused_notification_is_shown_and_leaves_the_order_unpaid(client, placed, monkeypatch):
    from shequn.commerce.providers import InvalidNotification
    from shequn.h5 import views_pay

    def refuse(*_args):
        raise InvalidNotification("The sandbox notification signature does not match.")

    monkeypatch.setattr(views_pay.payments, "handle_notification", refuse)
    response = client.post(f"/m/pay/sandbox/{placed.order_no}/")
    assert response.status_code == 400 and "支付失败" in text(response)
    placed.refresh_from_db()
    assert placed.status == Order.Status.PENDING_PAYMENT and not Payment.objects.exists()
