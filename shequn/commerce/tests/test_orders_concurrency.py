"""PostgreSQL, real threads and connections: a hot SKU is never oversold, a payment notification
delivered many times at once is applied once, and racing cancel/pay leave consistent ledgers."""

import pytest
from django.utils import timezone

from shequn.commerce import orders, payments, refunds, stock
from shequn.commerce.errors import OutOfStock
from shequn.commerce.models import Order, Payment, StockEntry, StockLevel
from shequn.core.tests.threads import bulk_members, run_together, spread
from shequn.loyalty.models import LoyaltyAccount, PointsEntry
from shequn.loyalty.services import check_ledgers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 30


def _members(store, n):
    return bulk_members(store, n, "抢购会员", accounts=True)


def test_500_orders_for_50_units(system_actor, store, make_sku):
    hot = make_sku("HOT-1", 990, quantity=50)
    buyers = _members(store, 500)

    results = spread(buyers, lambda m: orders.place_order(system_actor, member=m, fulfilment="pickup", store=store,
                                                           items=[{"sku": hot.code, "quantity": 1}]))

    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OutOfStock)]
    assert len(placed) == 50 and len(refused) == 450
    assert not [r for r in results if not isinstance(r, Order | OutOfStock)]
    level = StockLevel.objects.get(sku=hot, store=store)
    assert (level.on_hand, level.reserved, level.available) == (50, 50, 0)
    assert stock.check_stock() == []

    spread(placed, lambda o: payments.start_payment(system_actor, o, "offline"))
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (0, 0)
    assert StockEntry.objects.filter(level=level, kind="sale").count() == 50
    assert stock.check_stock() == []


def test_duplicate_notifications_at_once_pay_once(system_actor, store, make_sku):
    item = make_sku("DUP-1", 2590, quantity=5)
    (buyer,) = _members(store, 1)
    order = orders.place_order(system_actor, member=buyer, fulfilment="pickup", store=store,
                               items=[{"sku": item.code, "quantity": 2}])
    paid_at = timezone.now()

    results = run_together(WORKERS, lambda _: payments.confirm_payment(
        system_actor, provider="sandbox", order_no=order.order_no, transaction_id="SBX-1", amount_fen=5180,
        paid_at=paid_at), timeout=120)

    assert all(isinstance(r, Order) for r in results), [r for r in results if not isinstance(r, Order)][:3]
    assert Payment.objects.filter(order=order).count() == 1
    assert PointsEntry.objects.filter(member=buyer, source="purchase").count() <= 1
    assert LoyaltyAccount.objects.get(member=buyer).points_balance == sum(
        PointsEntry.objects.filter(member=buyer).values_list("points", flat=True))
    level = StockLevel.objects.get(sku=item, store=store)
    assert (level.on_hand, level.reserved) == (3, 0)
    assert check_ledgers() == []


def test_racing_cancel_and_payment_settle_one_way(system_actor, store, make_sku):
    item = make_sku("RACE-1", 1000, quantity=40)
    buyers = _members(store, 20)
    placed = [orders.place_order(system_actor, member=m, fulfilment="pickup", store=store,
                                 items=[{"sku": item.code, "quantity": 2}]) for m in buyers]
    jobs = [(o, "pay") for o in placed] + [(o, "cancel") for o in placed]

    def act(job):
        order, what = job
        if what == "pay":
            return payments.confirm_payment(system_actor, provider="sandbox", order_no=order.order_no,
                                            transaction_id=f"T-{order.order_no}", amount_fen=2000,
                                            paid_at=timezone.now())
        return orders.cancel_order(system_actor, order)

    spread(jobs, act)
    final = Order.objects.filter(pk__in=[o.pk for o in placed])
    paid = final.filter(status="paid").count()
    cancelled = final.filter(status="cancelled").count()
    assert paid + cancelled == 20
    # money for an order cancelled first came back at once
    assert Payment.objects.filter(status="late").count() == cancelled
    level = StockLevel.objects.get(sku=item, store=store)
    assert (level.on_hand, level.reserved) == (40 - 2 * paid, 0)
    assert stock.check_stock() == []


def test_concurrent_refunds_never_exceed_what_was_paid(system_actor, store, make_sku):
    item = make_sku("REF-1", 1000, quantity=10)
    (buyer,) = _members(store, 1)
    order = orders.place_order(system_actor, member=buyer, fulfilment="pickup", store=store,
                               items=[{"sku": item.code, "quantity": 10}])
    payments.start_payment(system_actor, order, "offline")

    results = run_together(WORKERS, lambda i: refunds.refund_order(system_actor, order, reason="部分退款",
                                                                   amount_fen=700), timeout=120)

    ok = [r for r in results if not isinstance(r, BaseException)]
    order.refresh_from_db()
    assert len(ok) == 14  # 14 × 700 = 9800 ≤ 10000 < 15 × 700
    assert order.refunded_fen == 9800 and order.status == "partially_refunded"
    assert check_ledgers() == []
