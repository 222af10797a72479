"""PostgreSQL, real threads and connections: hundreds of simultaneous flash-sale buyers never oversell the
allotment, never take a member over the limit, and leave the stock ledger adding up."""

import pytest

from shequn.commerce import stock
from shequn.commerce.flash import services
from shequn.commerce.flash.errors import FlashSaleLimit, FlashSaleSoldOut
from shequn.commerce.flash.models import FlashBuyer, FlashOrder, FlashSale
from shequn.commerce.models import Order, StockLevel
from shequn.core.tests.threads import run_together
from shequn.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 30


def test_300_attempts_by_150_members_for_50_units(system_actor, make_sale, make_member, store):
    sale = make_sale(quantity=50, per_member_limit=2)
    members = [make_member(store=store, name=f"抢购会员{i}") for i in range(150)]
    # every member tries twice, some for 2 units: 300 attempts asking for far more than 50
    attempts = [(m.pk, 1 + (i % 2)) for i, m in enumerate(members)] + [(m.pk, 1) for m in members]

    def share(worker: int) -> list:
        results = []
        for member_id, quantity in attempts[worker::WORKERS]:
            try:
                live = FlashSale.objects.get(pk=sale.pk)
                results.append(services.buy(system_actor, live, Member.objects.get(pk=member_id), quantity=quantity))
            except Exception as exc:  # collected for the assertions
                results.append(exc)
        return results

    per_worker = run_together(WORKERS, share, timeout=240)
    crashed = [r for r in per_worker if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    results = [r for rs in per_worker for r in rs]
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if not isinstance(r, Order)]
    assert all(isinstance(e, (FlashSaleSoldOut, FlashSaleLimit)) for e in refused), refused[:3]
    assert len(placed) + len(refused) == 300

    sale.refresh_from_db()
    held = sum(FlashOrder.objects.filter(sale=sale, cancelled=False).values_list("quantity", flat=True))
    assert sale.remaining >= 0 and held == 50 - sale.remaining
    assert sale.remaining == 0  # demand far above supply: every unit went
    assert sum(o.lines.get().quantity for o in placed) == 50
    assert not FlashBuyer.objects.filter(bought__gt=2).exists()
    per_member: dict[int, int] = {}
    for o in placed:
        per_member[o.member_id] = per_member.get(o.member_id, 0) + o.lines.get().quantity
    assert max(per_member.values()) <= 2
    level = StockLevel.objects.get(sku=sale.sku, store=store)
    assert (level.on_hand, level.reserved) == (100, 50)
    assert stock.check_stock() == [] and services.check_flash_sales() == []


def test_expired_orders_given_back_while_others_buy(system_actor, make_sale, make_member, store):
    import datetime as dt

    from shequn.commerce import orders

    sale = make_sale(quantity=20, per_member_limit=1)
    early = [make_member(store=store) for _ in range(20)]
    for member in early:
        services.buy(system_actor, FlashSale.objects.get(pk=sale.pk), member)
    later = [make_member(store=store) for _ in range(28)]
    # just past the early orders' deadline: orders placed during the test are not yet due
    after_deadline = max(Order.objects.filter(channel="flash").values_list("expires_at", flat=True)) + \
        dt.timedelta(milliseconds=1)

    def act(i: int):
        if i < 2:
            return orders.cancel_expired(after_deadline, limit=20)
        results = []
        for member in later[i - 2::28][:1]:
            try:
                results.append(services.buy(system_actor, FlashSale.objects.get(pk=sale.pk), member))
            except FlashSaleSoldOut as exc:
                results.append(exc)
        return results

    results = run_together(30, act)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results[:2]) == 20  # every early order cancelled exactly once
    sale.refresh_from_db()
    held = sum(FlashOrder.objects.filter(sale=sale, cancelled=False).values_list("quantity", flat=True))
    assert sale.remaining >= 0 and held == 20 - sale.remaining
    assert FlashOrder.objects.filter(sale=sale, cancelled=True).count() == 20
    assert stock.check_stock() == [] and services.check_flash_sales() == []
