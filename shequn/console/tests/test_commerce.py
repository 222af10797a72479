"""Commerce console pages: products and stock, orders and their actions, hot products, settings, scoping."""

import pytest

from shequn.commerce import catalog, orders, payments, stock
from shequn.commerce.models import CommerceSettings, Order, Product, Refund, StockEntry, StockLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def berry(system_actor, store):
    product = catalog.create_product(system_actor, name="丹东草莓", category="水果", tags=["当季"],
                                     skus=[{"code": "BERRY-500", "spec": "500g", "price_fen": 3990}])
    sku = product.skus.get()
    stock.receive(system_actor, sku, store, 20)
    return sku


@pytest.fixture
def make_sku(system_actor, store):
    def make(code, price_fen, quantity=10, name=""):
        sku = catalog.create_product(system_actor, name=name or code,
                                     skus=[{"code": code, "price_fen": price_fen}]).skus.get()
        if quantity:
            stock.receive(system_actor, sku, store, quantity)
        return sku
    return make


def order_for(actor, member, store, items, pay=False, **kwargs):
    order = orders.place_order(actor, member=member, fulfilment=kwargs.pop("fulfilment", "pickup"), store=store,
                               items=[{"sku": s.code, "quantity": q} for s, q in items], **kwargs)
    if pay:
        payments.start_payment(actor, order, "offline")
        order.refresh_from_db()
    return order


def level(sku, store):
    return StockLevel.objects.get(sku=sku, store=store)


def text(response) -> str:
    return response.content.decode()


def test_product_list_search_and_filters(owner, berry, make_sku):
    make_sku("EGG-6", 1290, quantity=0, name="土鸡蛋")
    page = owner.get("/console/commerce/products/")
    assert page.status_code == 200
    assert "丹东草莓" in text(page) and "土鸡蛋" in text(page) and "¥39.90" in text(page)
    assert "丹东草莓" not in text(owner.get("/console/commerce/products/?q=EGG"))
    assert "土鸡蛋" not in text(owner.get("/console/commerce/products/?category=水果"))
    assert "没有符合条件的商品" in text(owner.get("/console/commerce/products/?status=inactive"))
    assert owner.get("/console/commerce/products/?cursor=bad").status_code == 200


def test_create_product_with_two_skus_and_member_price(owner, tiers):
    data = {"name": "有机牛奶", "category": "早餐", "tags": "冷藏，新品", "description": "", "image_url": "",
            "sku0-code": "MILK-250", "sku0-spec": "250ml", "sku0-price": "6.50", "sku0-tier_gold": "5.90",
            "sku1-code": "MILK-1L", "sku1-spec": "1L", "sku1-price": "15.9"}
    response = owner.post("/console/commerce/products/new/", data)
    product = Product.objects.get(name="有机牛奶")
    assert response.status_code == 302 and response["Location"] == f"/console/commerce/products/{product.pk}/"
    assert product.tags == ["冷藏", "新品"] and product.category.name == "早餐"
    skus = {s.code: s for s in product.skus.all()}
    assert skus["MILK-1L"].price_fen == 1590 and skus["MILK-250"].tier_prices.get().price_fen == 590


@pytest.mark.parametrize("rows, message", [
    ({}, "至少填写一个 SKU"),
    ({"sku0-code": "A-1", "sku0-price": "abc"}, "请输入金额"),
    ({"sku0-code": "A-1", "sku0-price": "1.234"}, "请输入金额"),
    ({"sku0-code": "A-1"}, "请填写售价"),
    ({"sku0-code": "A 1", "sku0-price": "2"}, "SKU 编码为 1-40 位"),
    ({"sku0-code": "A-1", "sku0-price": "2", "sku0-tier_gold": "3"}, "会员价不能高于售价"),
    ({"sku0-code": "A-1", "sku0-price": "2", "sku1-code": "A-1", "sku1-price": "3"}, "SKU 编码为 1-40 位"),
])
def test_bad_new_products_are_explained(owner, tiers, rows, message):
    response = owner.post("/console/commerce/products/new/", {"name": "坏商品", **rows})
    assert response.status_code == 200 and message in text(response)
    assert not Product.objects.exists()


def test_product_detail_receive_adjust_and_ledger(owner, berry, store):
    page = owner.get(f"/console/commerce/products/{berry.product_id}/")
    assert page.status_code == 200 and "上海静安店" in text(page) and "库存流水" in text(page)
    token = "a" * 32
    data = {"receive-token": token, "receive-sku": "BERRY-500", "receive-store": "SH01", "receive-quantity": "10",
            "receive-reason": "到货"}
    response = owner.post(f"/console/commerce/products/{berry.product_id}/stock/receive/", data)
    assert response.status_code == 302 and level(berry, store).on_hand == 30
    owner.post(f"/console/commerce/products/{berry.product_id}/stock/receive/", data)  # the same form again
    assert level(berry, store).on_hand == 30
    response = owner.post(f"/console/commerce/products/{berry.product_id}/stock/adjust/", {
        "adjust-token": "b" * 32, "adjust-sku": "BERRY-500", "adjust-store": "SH01", "adjust-quantity": "-4",
        "adjust-reason": "破损"})
    assert response.status_code == 302 and level(berry, store).on_hand == 26
    response = owner.post(f"/console/commerce/products/{berry.product_id}/stock/adjust/", {
        "adjust-token": "c" * 32, "adjust-sku": "BERRY-500", "adjust-store": "SH01", "adjust-quantity": "-4"})
    assert response.status_code == 422 and level(berry, store).on_hand == 26
    response = owner.post(f"/console/commerce/products/{berry.product_id}/stock/adjust/", {
        "adjust-token": "d" * 32, "adjust-sku": "BERRY-500", "adjust-store": "SH01", "adjust-quantity": "-100",
        "adjust-reason": "盘亏"})
    assert response.status_code == 422 and "调整后库存不能少于" in text(response)
    assert StockEntry.objects.filter(level__sku=berry).count() == 3
    assert owner.post(f"/console/commerce/products/{berry.product_id}/stock/move/", {}).status_code == 404


def test_edit_prices_and_deactivate(owner, berry, tiers):
    url = f"/console/commerce/products/{berry.product_id}"
    response = owner.post(f"{url}/edit/", {"name": "红颜草莓", "category": "", "tags": "", "description": "甜",
                                           "image_url": ""})
    assert response.status_code == 302
    berry.product.refresh_from_db()
    assert berry.product.name == "红颜草莓" and berry.product.category is None
    response = owner.post(f"{url}/prices/", {"sku": "BERRY-500", "p-BERRY-500-price": "42",
                                             "p-BERRY-500-tier_gold": "36.90"})
    assert response.status_code == 302
    berry.refresh_from_db()
    assert berry.price_fen == 4200 and berry.tier_prices.get(tier_code="gold").price_fen == 3690
    response = owner.post(f"{url}/prices/", {"sku": "BERRY-500", "p-BERRY-500-price": "30",
                                             "p-BERRY-500-tier_gold": "36.90"})
    assert response.status_code == 422 and "会员价不能高于售价" in text(response)
    owner.post(f"{url}/prices/", {"sku": "BERRY-500", "p-BERRY-500-price": "42"})  # empty: gold price removed
    assert not berry.tier_prices.exists()
    owner.post(f"{url}/active/", {"active": "0"})
    berry.product.refresh_from_db()
    assert berry.product.is_active is False


def test_store_manager_sees_products_but_cannot_edit_catalog(console_as, berry, store, other_store, system_actor):
    stock.receive(system_actor, berry, other_store, 3)
    manager = console_as("store_manager", ["BJ01"])
    page = manager.get(f"/console/commerce/products/{berry.product_id}/")
    assert page.status_code == 200 and "北京朝阳店" in text(page) and "上海静安店" not in text(page)
    assert manager.post(f"/console/commerce/products/{berry.product_id}/edit/", {"name": "x"}).status_code == 403
    assert manager.get("/console/commerce/products/new/").status_code == 302
    response = manager.post(f"/console/commerce/products/{berry.product_id}/stock/receive/", {
        "receive-token": "e" * 32, "receive-sku": "BERRY-500", "receive-store": "SH01", "receive-quantity": "5"})
    assert response.status_code == 422 and level(berry, store).on_hand == 20  # SH01 is not a choice for them


def test_order_list_filters_and_totals(owner, system_actor, member, make_member, store, berry):
    paid = order_for(system_actor, member, store, [(berry, 2)], pay=True)
    pending = order_for(system_actor, make_member(store=store, name="李四"), store, [(berry, 1)])
    page = text(owner.get("/console/commerce/orders/"))
    assert paid.order_no in page and pending.order_no in page and "¥119.70" in page
    page = text(owner.get("/console/commerce/orders/?status=paid"))
    assert paid.order_no in page and pending.order_no not in page
    assert pending.order_no in text(owner.get("/console/commerce/orders/?q=李四"))
    assert paid.order_no not in text(owner.get("/console/commerce/orders/?date_to=2000-01-01"))
    assert "结束日期不能早于开始日期" in text(owner.get("/console/commerce/orders/?date_from=2026-02-01&"
                                                       "date_to=2026-01-01"))


def test_order_detail_pay_refund_line_and_stock_back(owner, system_actor, member, store, berry, make_sku):
    egg = make_sku("EGG-6", 1290, quantity=5, name="土鸡蛋")
    order = order_for(system_actor, member, store, [(berry, 2), (egg, 1)])
    page = text(owner.get(f"/console/commerce/orders/{order.pk}/"))
    assert "确认线下收款 ¥92.70" in page and "金额明细" in page and "下单" in page
    assert owner.post(f"/console/commerce/orders/{order.pk}/pay/").status_code == 302
    order.refresh_from_db()
    assert order.status == "paid" and level(berry, store).on_hand == 18
    line = order.lines.get(sku=berry)
    token = "f" * 32
    data = {"token": token, "reason": "草莓压坏了", f"qty_{line.pk}": "1", "amount": ""}
    response = owner.post(f"/console/commerce/orders/{order.pk}/refund/", data)
    assert response.status_code == 302
    owner.post(f"/console/commerce/orders/{order.pk}/refund/", data)  # double submit: one refund
    refund = Refund.objects.get()
    assert refund.amount_fen == 3990 and refund.refund_no == f"RFC{token[:20]}"
    assert level(berry, store).on_hand == 19
    page = text(owner.get(f"/console/commerce/orders/{order.pk}/"))
    assert "部分退款" in page and "草莓压坏了" in page and "退款" in page


@pytest.mark.parametrize("data, message", [
    ({"reason": "x", "amount": "999"}, "最多还能退 ¥39.90"),
    ({"reason": "x"}, "请填写退款金额"),
    ({"reason": "", "amount": "1"}, "这个字段是必填项"),
    ({"reason": "x", "amount": "-1"}, "金额需在"),
])
def test_bad_refunds_are_explained(owner, system_actor, member, store, berry, data, message):
    order = order_for(system_actor, member, store, [(berry, 1)], pay=True)
    response = owner.post(f"/console/commerce/orders/{order.pk}/refund/", {"token": "0" * 32, **data})
    assert response.status_code == 422 and message in text(response), text(response)[:3000]
    assert not Refund.objects.exists()


def test_cancel_and_cannot_cancel_paid(owner, system_actor, member, store, berry):
    order = order_for(system_actor, member, store, [(berry, 3)])
    owner.post(f"/console/commerce/orders/{order.pk}/cancel/", {"reason": "顾客不要了"})
    order.refresh_from_db()
    assert order.status == "cancelled" and level(berry, store).reserved == 0
    paid = order_for(system_actor, member, store, [(berry, 1)], pay=True)
    response = owner.post(f"/console/commerce/orders/{paid.pk}/cancel/", follow=True)
    assert "已付款的订单只能退款" in text(response)
    paid.refresh_from_db()
    assert paid.status == "paid"


def test_fulfil_and_verify_pickup(owner, system_actor, member, store, berry):
    delivery = order_for(system_actor, member, store, [(berry, 1)], pay=True, fulfilment="delivery",
                         address="南京西路 1 号")
    owner.post(f"/console/commerce/orders/{delivery.pk}/fulfil/")
    delivery.refresh_from_db()
    assert delivery.status == "fulfilled"
    pickup = order_for(system_actor, member, store, [(berry, 1)], pay=True)
    response = owner.post(f"/console/commerce/orders/{pickup.pk}/pickup/", {"code": "12345678"})
    assert response.status_code == 422 and "取货码与这个订单不符" in text(response)
    owner.post(f"/console/commerce/orders/{pickup.pk}/pickup/", {"code": pickup.pickup_code})
    pickup.refresh_from_db()
    assert pickup.status == "picked_up"
    other = order_for(system_actor, member, store, [(berry, 1)], pay=True)
    response = owner.post("/console/commerce/pickups/verify/", {"code": other.pickup_code, "place": "store:SH01"})
    assert response.status_code == 302 and response["Location"] == f"/console/commerce/orders/{other.pk}/"
    assert Order.objects.get(pk=other.pk).status == "picked_up"
    response = owner.post("/console/commerce/pickups/verify/", {"code": "1234", "place": "store:SH01"}, follow=True)
    assert "取货码是 8 位数字" in text(response)


def test_store_manager_orders_are_scoped(console_as, system_actor, member, store, other_store, berry):
    order = order_for(system_actor, member, store, [(berry, 1)])
    manager = console_as("store_manager", ["BJ01"])
    assert order.order_no not in text(manager.get("/console/commerce/orders/"))
    assert manager.get(f"/console/commerce/orders/{order.pk}/").status_code == 404
    assert manager.post(f"/console/commerce/orders/{order.pk}/pay/").status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"
    analyst = console_as("analyst")
    assert analyst.get(f"/console/commerce/orders/{order.pk}/").status_code == 200
    assert analyst.post(f"/console/commerce/orders/{order.pk}/pay/").status_code == 403


def test_hot_products_page(owner, system_actor, member, store, berry):
    order_for(system_actor, member, store, [(berry, 2)], pay=True)
    page = owner.get("/console/commerce/hot-products/")
    assert page.status_code == 200
    body = text(page)
    assert "丹东草莓" in body and "pareto-chart" in body and "¥79.80" in body
    assert "开始日期不能晚于结束日期" in text(owner.get("/console/commerce/hot-products/?date_from=2026-02-01&"
                                                       "date_to=2026-01-01"))


def test_settings_page(owner, console_as, store):
    page = owner.get("/console/commerce/settings/")
    assert page.status_code == 200 and "积分抵现" in text(page)
    data = {"points_per_yuan": "200", "points_offset_max_percent": "20", "unpaid_timeout_minutes": "15",
            "complete_after_days": "7", "delivery_fee": "6", "free_delivery_from": "59.00"}
    assert owner.post("/console/commerce/settings/", data).status_code == 302
    row = CommerceSettings.objects.get()
    assert (row.points_per_yuan, row.delivery_fee_fen, row.free_delivery_from_fen) == (200, 600, 5900)
    response = owner.post("/console/commerce/settings/", {**data, "points_offset_max_percent": "150"})
    assert response.status_code == 200 and CommerceSettings.objects.get().points_offset_max_percent == 20
    manager = console_as("store_manager", ["SH01"])
    assert manager.get("/console/commerce/settings/").status_code == 200
    assert manager.post("/console/commerce/settings/", data).status_code == 403


def test_nav_has_commerce_group(owner, db):
    page = text(owner.get("/console/commerce/orders/"))
    assert "商城" in page and "商品与库存" in page and "爆品" in page and "商城设置" in page
