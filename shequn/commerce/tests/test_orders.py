import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import orders, payments, pricing, refunds, stock
from shequn.commerce.errors import InvalidOrder, InvalidRefund, OrderStateConflict, OutOfStock
from shequn.commerce.models import Order, StockEntry, StockLevel
from shequn.core.models import OutboxEvent
from shequn.loyalty import points
from shequn.loyalty.models import LoyaltyAccount

pytestmark = pytest.mark.django_db


def _level(sku, store):
    return StockLevel.objects.get(sku=sku, store=store)


def _ledger_sums(level):
    entries = StockEntry.objects.filter(level=level)
    return sum(e.on_hand_delta for e in entries), sum(e.reserved_delta for e in entries)


def test_place_reserves_stock_and_fixes_the_total(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 3}],
                               fulfilment="pickup", store=store)
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.total_fen == 3 * 3990
    assert len(order.pickup_code) == 8
    level = _level(sku, store)
    assert (level.on_hand, level.reserved, level.available) == (20, 3, 17)
    assert _ledger_sums(level) == (20, 3)


def test_out_of_stock_reserves_nothing(system_actor, member, store, sku, make_sku):
    other = make_sku("EGG-6", 1290, quantity=5)
    with pytest.raises(OutOfStock) as err:
        orders.place_order(system_actor, member=member, fulfilment="pickup", store=store,
                           items=[{"sku": other.code, "quantity": 1}, {"sku": sku.code, "quantity": 21}])
    assert err.value.type == "out-of-stock"
    assert _level(other, store).reserved == 0 and _level(sku, store).reserved == 0
    assert not Order.objects.exists()


@pytest.mark.parametrize("items, slug", [
    ([], "invalid-order"),
    ([{"sku": "NOPE", "quantity": 1}], "unknown-sku"),
    ([{"sku": "BERRY-500", "quantity": 0}], "invalid-order"),
    ([{"sku": "BERRY-500", "quantity": True}], "invalid-order"),
    ([{"sku": "BERRY-500", "quantity": 1000}], "invalid-order"),
])
def test_bad_items_are_refused(system_actor, member, store, sku, items, slug):
    with pytest.raises(InvalidOrder) as err:
        orders.place_order(system_actor, member=member, items=items, fulfilment="pickup", store=store)
    assert err.value.type == slug
    assert not Order.objects.exists()


def test_offline_payment_sells_stock_earns_points_and_emits(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 2}],
                               fulfilment="pickup", store=store)
    before = LoyaltyAccount.objects.get(member=member).points_balance
    payments.start_payment(system_actor, order, "offline")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_fen == 7980
    level = _level(sku, store)
    assert (level.on_hand, level.reserved) == (18, 0) and _ledger_sums(level) == (18, 0)
    assert LoyaltyAccount.objects.get(member=member).points_balance > before
    event = OutboxEvent.objects.get(topic="order.paid")
    assert event.payload["order_no"] == order.order_no and event.payload["amount_fen"] == 7980


def test_duplicate_notification_changes_nothing(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store)
    kwargs = dict(provider="sandbox", order_no=order.order_no, transaction_id="T1", amount_fen=3990,
                  paid_at=timezone.now())
    payments.confirm_payment(system_actor, **kwargs)
    balance = LoyaltyAccount.objects.get(member=member).points_balance
    payments.confirm_payment(system_actor, **kwargs)
    assert order.payments.count() == 1
    assert LoyaltyAccount.objects.get(member=member).points_balance == balance
    assert _level(sku, store).on_hand == 19
    assert OutboxEvent.objects.filter(topic="order.paid").count() == 1


def test_cancel_releases_stock_and_points(system_actor, member, store, sku):
    points.earn(system_actor, member.pk, 1000, source="gift", ref="seed")
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 2}],
                               fulfilment="pickup", store=store, points=1000)
    assert order.points_used == 1000 and order.points_offset_fen == 1000
    assert order.total_fen == 7980 - 1000
    assert LoyaltyAccount.objects.get(member=member).points_balance == 0
    orders.cancel_order(system_actor, order)
    orders.cancel_order(system_actor, order)  # twice: a no-op
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert LoyaltyAccount.objects.get(member=member).points_balance == 1000
    assert _level(sku, store).reserved == 0


def test_points_offset_is_capped(system_actor, member, store, sku):
    points.earn(system_actor, member.pk, 100_000, source="gift", ref="seed")
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store, points=100_000)
    assert order.points_offset_fen == 3990 * 50 // 100
    assert order.total_fen == 3990 - order.points_offset_fen


def test_expired_unpaid_orders_are_cancelled(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 4}],
                               fulfilment="pickup", store=store)
    assert orders.cancel_expired(now=timezone.now()) == 0
    assert orders.cancel_expired(now=order.expires_at + dt.timedelta(seconds=1)) == 1
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancel_reason == "超时未支付"
    assert _level(sku, store).available == 20


def test_paid_order_cannot_be_cancelled(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store)
    payments.start_payment(system_actor, order, "offline")
    with pytest.raises(OrderStateConflict):
        orders.cancel_order(system_actor, order)


def _paid(system_actor, member, store, items, **kw):
    order = orders.place_order(system_actor, member=member, items=items, fulfilment="pickup", store=store, **kw)
    payments.start_payment(system_actor, order, "offline")
    order.refresh_from_db()
    return order


def test_partial_then_full_refund(system_actor, member, store, sku, make_sku):
    egg = make_sku("EGG-6", 1290)
    order = _paid(system_actor, member, store, [{"sku": sku.code, "quantity": 2}, {"sku": egg.code, "quantity": 1}])
    first = refunds.refund_order(system_actor, order, reason="草莓压坏", lines=[{"sku": sku.code, "quantity": 1}])
    assert first.amount_fen == 3990
    order.refresh_from_db()
    assert order.status == Order.Status.PARTIALLY_REFUNDED
    assert _level(sku, store).on_hand == 19  # not handed over: back on the shelf
    again = refunds.refund_order(system_actor, order, reason="草莓压坏", refund_no=first.refund_no,
                                 lines=[{"sku": sku.code, "quantity": 1}])
    assert again.pk == first.pk
    with pytest.raises(InvalidRefund):
        refunds.refund_order(system_actor, order, reason="多退", amount_fen=order.paid_fen)
    rest = refunds.refund_order(system_actor, order, reason="不要了")
    order.refresh_from_db()
    assert rest.amount_fen == 3990 + 1290
    assert order.status == Order.Status.REFUNDED and order.refunded_fen == order.paid_fen
    assert _level(sku, store).on_hand == 20 and _level(egg, store).on_hand == 10
    assert OutboxEvent.objects.filter(topic="order.refunded").count() == 2


def test_refund_after_pickup_keeps_stock_and_returns_points_used(system_actor, member, store, sku):
    points.earn(system_actor, member.pk, 500, source="gift", ref="seed")
    order = _paid(system_actor, member, store, [{"sku": sku.code, "quantity": 1}], points=500)
    orders.verify_pickup(system_actor, code=order.pickup_code, store=store)
    order.refresh_from_db()
    assert order.status == Order.Status.PICKED_UP
    refund = refunds.refund_order(system_actor, order, reason="质量问题")
    assert refund.amount_fen == 3990 - 500 and refund.points_returned == 500
    assert _level(sku, store).on_hand == 19  # handed over: not restocked
    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED


def test_tier_price_and_line_allocation(system_actor, member, store, make_sku):
    a = make_sku("A", 1000)
    b = make_sku("B", 333)
    shares = orders._line_discounts([pricing.PricedLine(a.pk, "A", 1, None, 1, 1000, 1000),
                                     pricing.PricedLine(b.pk, "B", 2, None, 3, 333, 333)], [], 1001)
    assert sum(shares) == 1001 and all(s >= 0 for s in shares)


def test_allocate_sums_exactly():
    assert pricing.allocate(100, [100, 100, 100]) == [34, 33, 33]
    with pytest.raises(ValueError):
        pricing.allocate(4, [1, 2])
    assert sum(pricing.allocate(7, [3, 5, 11])) == 7


def test_check_stock_finds_and_fixes_drift(system_actor, store, sku):
    assert stock.check_stock() == []
    StockLevel.objects.filter(sku=sku).update(on_hand=99)
    assert len(stock.check_stock(fix=True)) == 1
    assert stock.check_stock() == []


class _FakeWechat:
    name = "wechat"

    def __init__(self, state, notice=None):
        self.state, self.notice, self.closed = state, notice, []

    def query_payment(self, order_no):
        return self.state, self.notice

    def close_order(self, order_no):
        self.closed.append(order_no)


def _wechat_order(system_actor, member, store, sku):
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store)
    Order.objects.filter(pk=order.pk).update(payment_method="wechat")
    return order


@pytest.mark.parametrize("state, cancelled, closed", [("NOTPAY", 1, 1), ("USERPAYING", 0, 0),
                                                      ("ORDER_NOT_EXIST", 1, 0)])
def test_expired_wechat_orders_are_closed_at_the_provider_first(system_actor, member, store, sku, monkeypatch,
                                                                state, cancelled, closed):
    fake = _FakeWechat(state)
    monkeypatch.setattr("shequn.commerce.providers.get_provider", lambda name: fake)
    order = _wechat_order(system_actor, member, store, sku)
    assert orders.cancel_expired(now=order.expires_at + dt.timedelta(seconds=1)) == cancelled
    assert len(fake.closed) == closed
    order.refresh_from_db()
    assert order.status == ("cancelled" if cancelled else "pending_payment")


def test_expired_wechat_order_paid_after_all_is_confirmed(system_actor, member, store, sku, monkeypatch):
    from shequn.commerce.providers.base import PaidNotice
    order = _wechat_order(system_actor, member, store, sku)
    fake = _FakeWechat("SUCCESS", PaidNotice("wechat", order.order_no, "4200001", 3990, timezone.now()))
    monkeypatch.setattr("shequn.commerce.providers.get_provider", lambda name: fake)
    assert orders.cancel_expired(now=order.expires_at + dt.timedelta(seconds=1)) == 0
    order.refresh_from_db()
    assert order.status == "paid" and order.payments.get().transaction_id == "4200001"


def test_a_payment_of_the_wrong_amount_is_refused_and_audited(system_actor, member, store, sku):
    from shequn.commerce.errors import PaymentMismatch
    from shequn.core.models import AuditEntry
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store)
    with pytest.raises(PaymentMismatch):
        payments.confirm_payment(system_actor, provider="sandbox", order_no=order.order_no, transaction_id="X",
                                 amount_fen=1, paid_at=timezone.now())
    order.refresh_from_db()
    assert order.status == "pending_payment" and not order.payments.exists()
    assert AuditEntry.objects.filter(action="payment.mismatch").count() == 1


def test_a_refused_delivery_order_leaves_no_warehouse_behind(system_actor, member):
    from shequn.stores.models import Store
    with pytest.raises(InvalidOrder):
        orders.place_order(system_actor, member=member, items=[{"sku": "NOPE", "quantity": 1}],
                           fulfilment="delivery")
    assert not Store.objects.filter(kind="warehouse").exists()
