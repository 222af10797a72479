"""Coupons at the member checkout: the best set suggested, my choice applied, refusals readable, and the
order gets exactly the breakdown the page showed."""
# ruff: noqa: F811  (the shop fixtures are imported from test_shop and named as test arguments)

import pytest

from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon
from shequn.commerce.models import Order
from shequn.h5 import cart

from .test_shop import _fill_cart, _token, berries, client, porridge, shopper, text  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def goods(berries, porridge):
    return berries, porridge


@pytest.fixture
def coupons(system_actor, shopper):
    def give(name, **terms):
        template = services.create_template(system_actor, name=name, valid_days=30, **terms)
        return services.issue(system_actor, template, shopper, "manual", f"test-{name}")
    return {
        "80-10": give("满80减10", kind="threshold", amount_fen=1000, threshold_fen=8000),
        "5": give("立减5元", kind="fixed", amount_fen=500),
        "200-50": give("满200减50", kind="threshold", amount_fen=5000, threshold_fen=20000),
        "stack-3": give("叠加券3元", kind="fixed", amount_fen=300, stackable=True),
    }


def _cart(client):
    _fill_cart(client, ("BERRY-500", 2), ("MILLET-1", 1))  # gold prices: 2 × 35.90 + 12.26 = 84.06


def test_checkout_suggests_the_best_coupons_and_the_order_uses_them(client, coupons):
    _cart(client)
    page = text(client.get("/m/checkout/"))
    assert "满80减10" in page and "立减5元" in page and "叠加券3元" in page
    assert "本单可减 ¥10.00" in page and "-¥13.00" in page  # 满80减10 + the stackable 3 yuan
    assert "满200减50" in page and f'value="{coupons["200-50"].pk}" data-requote disabled' in page
    form = {"action": "place", "fulfilment": "pickup", "store": "SH01", "coupons_chosen": "1",
            "coupon": [str(coupons["80-10"].pk), str(coupons["stack-3"].pk)], "use_points": "1",
            "token": _token(client)}
    client.post("/m/checkout/", form)
    order = Order.objects.get()
    # 84.06 - 13.00 = 71.06; half of it in points: 35.53
    assert (order.coupon_discount_fen, order.points_offset_fen, order.total_fen) == (1300, 3553, 3553)
    assert set(Coupon.objects.filter(order=order, status="locked").values_list("pk", flat=True)) == {
        coupons["80-10"].pk, coupons["stack-3"].pk}


def test_member_can_choose_no_coupon(client, coupons):
    _cart(client)
    page = text(client.post("/m/checkout/", {"action": "quote", "fulfilment": "pickup", "store": "SH01",
                                             "coupons_chosen": "1", "token": _token(client)}))
    assert "data-coupon-discount" not in page and "¥84.06" in page
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "coupons_chosen": "1",
                                 "token": _token(client)})
    order = Order.objects.get()
    assert order.coupon_discount_fen == 0 and order.total_fen == 8406
    assert not Coupon.objects.filter(order=order).exists()


def test_two_coupons_that_do_not_stack_are_refused_and_nothing_is_written(client, coupons):
    _cart(client)
    form = {"fulfilment": "pickup", "store": "SH01", "coupons_chosen": "1",
            "coupon": [str(coupons["80-10"].pk), str(coupons["5"].pk)], "token": _token(client)}
    quoted = text(client.post("/m/checkout/", {"action": "quote", **form}))
    assert "都不可叠加" in quoted
    response = client.post("/m/checkout/", {"action": "place", **form})
    assert response.status_code == 422 and "都不可叠加" in text(response)
    assert not Order.objects.exists()
    assert Coupon.objects.filter(status="available").count() == 4


def test_someone_elses_or_unknown_coupon_ids_are_ignored(client, coupons, make_member, store, system_actor):
    stranger = make_member(store=store)
    template = services.create_template(system_actor, name="别人的券", kind="fixed", amount_fen=800, valid_days=3)
    theirs = services.issue(system_actor, template, stranger, "manual", "theirs")
    _cart(client)
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "coupons_chosen": "1",
                                 "coupon": [str(theirs.pk), "99999999", "x", "-1"], "token": _token(client)})
    order = Order.objects.get()
    assert order.coupon_discount_fen == 0
    theirs.refresh_from_db()
    assert theirs.status == "available" and theirs.order is None


def test_cancelling_the_order_gives_the_coupon_back(client, coupons):
    _cart(client)
    client.post("/m/checkout/", {"action": "place", "fulfilment": "pickup", "store": "SH01", "coupons_chosen": "1",
                                 "coupon": [str(coupons["80-10"].pk)], "token": _token(client)})
    order = Order.objects.get()
    client.post(f"/m/orders/{order.order_no}/cancel/")
    coupons["80-10"].refresh_from_db()
    assert coupons["80-10"].status == "available" and coupons["80-10"].order is None


@pytest.mark.parametrize("fulfilment", ["pickup", "delivery"])
def test_quote_with_coupons_and_points_equals_the_placed_order(shopper, system_actor, store, coupons, fulfilment):
    from shequn.commerce import orders, pricing, stock

    settings = pricing.settings_row()
    settings.delivery_fee_fen = 800  # below ¥99 after coupons: delivery costs ¥8
    settings.save()
    warehouse = stock.default_location()
    for code in ("BERRY-500", "MILLET-1"):
        stock.receive(system_actor, orders.Sku.objects.get(code=code), warehouse, 5)
    items = {"BERRY-500": 2, "MILLET-1": 1}
    quote = cart.quote(shopper, items, fulfilment=fulfilment, use_points=True)
    assert quote.coupon_discount_fen == 1300 and quote.points_used
    assert quote.delivery_fee_fen == (800 if fulfilment == "delivery" else 0)
    order = orders.place_order(system_actor, member=shopper, fulfilment=fulfilment, points=quote.points_used,
                               coupon_ids=quote.coupon_ids, store=store if fulfilment == "pickup" else None,
                               address="上海", items=[{"sku": c, "quantity": q} for c, q in items.items()])
    assert (quote.subtotal_fen, quote.member_discount_fen, quote.coupon_discount_fen, quote.points_used,
            quote.points_offset_fen, quote.delivery_fee_fen, quote.total_fen) == (
        order.subtotal_fen, order.member_discount_fen, order.coupon_discount_fen, order.points_used,
        order.points_offset_fen, order.delivery_fee_fen, order.total_fen)
