import pytest

from shequn.analytics.models import Transaction
from shequn.analytics.transactions import backfill_from_orders
from shequn.commerce import catalog, orders, payments, refunds, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_order(system_actor, member, store):
    sku = catalog.create_product(system_actor, name="丹东草莓", skus=[{"code": "B-1", "price_fen": 3990}]).skus.get()
    stock.receive(system_actor, sku, store, 10)
    order = orders.place_order(system_actor, member=member, items=[{"sku": "B-1", "quantity": 2}],
                               fulfilment="pickup", store=store)
    payments.start_payment(system_actor, order, "offline")
    order.refresh_from_db()
    return order


def test_paid_and_refunded_orders_become_transactions(system_actor, paid_order):
    sale = Transaction.objects.get(source="order")
    assert (sale.order_no, sale.amount_fen, sale.quantity) == (paid_order.order_no, 7980, 2)
    refund = refunds.refund_order(system_actor, paid_order, reason="坏果", lines=[{"sku": "B-1", "quantity": 1}])
    back = Transaction.objects.get(source="refund")
    assert (back.source_ref, back.amount_fen, back.quantity) == (refund.refund_no, -3990, -1)
    assert backfill_from_orders() == 0


def test_backfill_writes_what_is_missing_once(system_actor, paid_order):
    refunds.refund_order(system_actor, paid_order, reason="坏果")
    Transaction.objects.all().delete()
    assert backfill_from_orders() == 2
    assert backfill_from_orders() == 0
    assert sum(Transaction.objects.values_list("amount_fen", flat=True)) == 0
