import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import orders, payments, refunds, stock
from shequn.commerce.flash import selectors, services
from shequn.commerce.flash.errors import FlashSaleClosed, FlashSaleLimit, FlashSaleSoldOut, InvalidFlashSale
from shequn.commerce.flash.models import FlashBuyer, FlashOrder, FlashSale
from shequn.commerce.models import Order, StockLevel

pytestmark = pytest.mark.django_db


def test_buy_takes_the_allotment_and_prices_the_order(system_actor, sale, member):
    order = services.buy(system_actor, sale, member, quantity=2)
    sale.refresh_from_db()
    assert sale.remaining == 8
    assert (order.channel, order.channel_ref, order.total_fen) == ("flash", str(sale.pk), 2 * 4900)
    assert order.expires_at <= timezone.now() + dt.timedelta(minutes=5)
    assert FlashBuyer.objects.get(sale=sale, member=member).bought == 2
    assert StockLevel.objects.get(sku=sale.sku, store=sale.store).reserved == 2


def test_per_member_limit(system_actor, sale, member):
    services.buy(system_actor, sale, member)
    with pytest.raises(FlashSaleLimit) as err:
        services.buy(system_actor, sale, member, quantity=2)
    assert err.value.type == "flash-sale-limit" and err.value.status == 409
    services.buy(system_actor, sale, member)
    with pytest.raises(FlashSaleLimit):
        services.buy(system_actor, sale, member)
    sale.refresh_from_db()
    assert sale.remaining == 8 and Order.objects.count() == 2


def test_sold_out(system_actor, make_sale, make_member, store):
    sale = make_sale(quantity=3)
    services.buy(system_actor, sale, make_member(store=store), quantity=2)
    with pytest.raises(FlashSaleSoldOut) as err:
        services.buy(system_actor, FlashSale.objects.get(pk=sale.pk), make_member(store=store), quantity=2)
    assert err.value.type == "flash-sale-sold-out" and err.value.extra["remaining"] == 1
    services.buy(system_actor, sale, make_member(store=store))
    with pytest.raises(FlashSaleSoldOut):
        services.buy(system_actor, sale, make_member(store=store))
    assert FlashSale.objects.get(pk=sale.pk).remaining == 0
    assert Order.objects.count() == 2


def test_closed_before_start_after_end_and_cancelled(system_actor, make_sale, member):
    now = timezone.now()
    upcoming = make_sale(starts_at=now + dt.timedelta(minutes=5))
    with pytest.raises(FlashSaleClosed) as err:
        services.buy(system_actor, upcoming, member)
    assert err.value.type == "flash-sale-closed"
    with pytest.raises(FlashSaleClosed):
        services.buy(system_actor, upcoming, member, now=upcoming.ends_at)
    cancelled = services.cancel_sale(system_actor, make_sale())
    with pytest.raises(FlashSaleClosed):
        services.buy(system_actor, cancelled, member)
    assert not Order.objects.exists()


def test_cancelled_unpaid_order_gives_units_back_refund_does_not(system_actor, sale, member, make_member, store):
    order = services.buy(system_actor, sale, member, quantity=2)
    orders.cancel_order(system_actor, order, reason="超时未支付")
    sale.refresh_from_db()
    assert sale.remaining == 10 and FlashBuyer.objects.get(sale=sale, member=member).bought == 0
    assert FlashOrder.objects.get(order=order).cancelled
    other = make_member(store=store)
    paid = services.buy(system_actor, sale, other, quantity=2)
    payments.start_payment(system_actor, paid, "offline")
    refunds.refund_order(system_actor, paid, reason="不想要了")
    sale.refresh_from_db()
    assert sale.remaining == 8 and FlashBuyer.objects.get(sale=sale, member=other).bought == 2
    assert services.check_flash_sales() == [] and stock.check_stock() == []
    stats = selectors.sale_stats(sale)
    assert (stats["paid"], stats["pending"], stats["given_back"], stats["buyers"]) == (2, 0, 2, 1)


def test_expired_orders_job_gives_units_back(system_actor, sale, member):
    services.buy(system_actor, sale, member, quantity=2)
    assert orders.cancel_expired(timezone.now() + dt.timedelta(minutes=6)) == 1
    assert FlashSale.objects.get(pk=sale.pk).remaining == 10


@pytest.mark.parametrize("field, value", [
    ("quantity", 0), ("quantity", 101), ("flash_price_fen", 8900), ("per_member_limit", 0), ("title", " "),
    ("ends_at", timezone.now() - dt.timedelta(days=1)), ("starts_at", dt.datetime(2026, 1, 1)),
])
def test_bad_sales_are_refused(make_sale, field, value):
    with pytest.raises(InvalidFlashSale) as err:
        make_sale(**{field: value})
    assert err.value.extra["field"] == field
    assert not FlashSale.objects.exists()


def test_bad_quantity_is_refused(system_actor, sale, member):
    for quantity in (0, -1, True, "2"):
        with pytest.raises(InvalidFlashSale):
            services.buy(system_actor, sale, member, quantity=quantity)
    assert FlashSale.objects.get(pk=sale.pk).remaining == 10


def test_check_finds_and_fixes_drift(system_actor, sale, member):
    services.buy(system_actor, sale, member)
    FlashSale.objects.filter(pk=sale.pk).update(remaining=10)
    assert services.check_flash_sales() == [{"sale": sale.pk, "remaining": 10, "expected": 9}]
    services.check_flash_sales(fix=True)
    assert services.check_flash_sales() == []


def test_phase(make_sale):
    now = timezone.now()
    sale = make_sale()
    assert selectors.phase(sale, now) == "live"
    assert selectors.phase(sale, sale.starts_at - dt.timedelta(seconds=1)) == "upcoming"
    assert selectors.phase(sale, sale.ends_at) == "ended"
