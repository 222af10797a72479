"""PostgreSQL, real threads and connections: per-member limits and stock hold under simultaneous orders, a
pickup verified at once by many hands accrues once, refunds racing pickups keep the commission ledger
exact, and two closing jobs at once refund each order of a failed campaign once."""

import datetime as dt

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import payments, refunds, stock
from shequn.commerce.errors import OutOfStock
from shequn.commerce.groupbuy import campaigns
from shequn.commerce.groupbuy.commissions import check_leader_commissions, commission_due, verify_pickup_by_leader
from shequn.commerce.groupbuy.errors import MemberLimitReached
from shequn.commerce.groupbuy.models import Campaign, CommissionEntry, GroupBuyOrder, Leader
from shequn.commerce.groupbuy.ordering import place_groupbuy_order
from shequn.commerce.models import Order, OrderLine, Refund, StockLevel
from shequn.core.tests.threads import bulk_members, run_together, spread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _members(store, n):
    return bulk_members(store, n, "团购会员", accounts=True)


def _buy(campaign, leader, member, sku, qty):
    return place_groupbuy_order(member_actor(member.pk), campaign=campaign, leader=leader, member=member,
                                items=[{"sku": sku, "quantity": qty}])


def test_30_members_against_a_limit_and_small_stock(make_campaign, leader, store, gb_skus):
    campaign = make_campaign(limit=2)  # 草莓: 20 in stock, at most 2 per member
    buyers = _members(store, 30)
    # three simultaneous one-unit orders per member: the same member's calls land on different threads
    calls = [m for m in buyers for _ in range(3)]

    results = spread(calls, lambda m: _buy(campaign, leader, m, "GB-BERRY", 1))

    placed = [r for r in results if isinstance(r, Order)]
    assert not [r for r in results if not isinstance(r, Order | OutOfStock | MemberLimitReached)], results[:3]
    assert len(placed) == 20  # 30 members × 2 allowed > 20 in stock: stock is sold out, no more
    held = (OrderLine.objects.filter(order__groupbuy__campaign=campaign).values("order__member_id")
            .annotate(q=Sum("quantity")))
    assert max(row["q"] for row in held) <= 2
    level = StockLevel.objects.get(sku=gb_skus["GB-BERRY"], store=store)
    assert (level.on_hand, level.reserved) == (20, 20)
    assert stock.check_stock() == []
    assert GroupBuyOrder.objects.count() == 20


def test_limit_binds_before_stock(make_campaign, leader, store, gb_skus):
    campaign = make_campaign(limit=1)  # 鸡蛋 has no limit; 草莓 1 per member, 20 in stock
    buyers = _members(store, 10)
    calls = [m for m in buyers for _ in range(3)]

    results = spread(calls, lambda m: _buy(campaign, leader, m, "GB-BERRY", 1))

    placed = [r for r in results if isinstance(r, Order)]
    limited = [r for r in results if isinstance(r, MemberLimitReached)]
    assert (len(placed), len(limited)) == (10, 20)
    assert sorted(o.member_id for o in placed) == sorted(m.pk for m in buyers)
    assert StockLevel.objects.get(sku=gb_skus["GB-BERRY"], store=store).reserved == 10


def test_one_pickup_verified_by_10_threads_accrues_once(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = payments.start_payment(system_actor, _buy(campaign, leader, member, "GB-BERRY", 2), "offline")

    results = run_together(10, lambda i: verify_pickup_by_leader(
        member_actor(leader.member_id) if i % 2 else system_actor, leader, order.pickup_code))

    assert all(isinstance(r, Order) and r.status == Order.Status.PICKED_UP for r in results), results
    assert list(CommissionEntry.objects.values_list("kind", "amount_fen")) == [("accrual", 598)]
    leader.refresh_from_db()
    assert leader.commission_fen == 598
    assert check_leader_commissions() == []


def test_refunds_racing_pickups_keep_the_ledger_exact(make_campaign, leader, store, system_actor):
    campaign = make_campaign(rate=130)
    buyers = _members(store, 15)
    paid = [payments.start_payment(system_actor, _buy(campaign, leader, m, "GB-BERRY", 2), "offline")
            for m in buyers[:8]]
    paid += [payments.start_payment(system_actor, _buy(campaign, leader, m, "GB-EGG", 3), "offline")
             for m in buyers[8:]]
    jobs = [("pickup", o) for o in paid] + [("refund", o) for o in paid]

    def act(job):
        kind, order = job
        if kind == "pickup":
            return verify_pickup_by_leader(system_actor, leader, order.pickup_code)
        line = order.lines.get()
        return refunds.refund_order(system_actor, order, reason="坏了", refund_no=f"RACE-{order.order_no}",
                                    lines=[{"line_id": line.pk, "quantity": 1}])

    results = spread(jobs, act, workers=len(jobs))
    assert not [r for r in results if isinstance(r, Exception)], [r for r in results if isinstance(r, Exception)][:3]
    for order in paid:
        order.refresh_from_db()
        gb = GroupBuyOrder.objects.get(order=order)
        booked = CommissionEntry.objects.filter(groupbuy_order=gb).aggregate(s=Sum("amount_fen"))["s"] or 0
        assert booked == commission_due(gb, order)[0], order.order_no
        assert Refund.objects.filter(order=order).count() == 1
    leader.refresh_from_db()
    assert leader.commission_fen == CommissionEntry.objects.aggregate(s=Sum("amount_fen"))["s"]
    assert check_leader_commissions() == []


def test_two_closing_jobs_at_once_refund_each_order_once(make_campaign, leader, store, system_actor, gb_skus):
    campaign = make_campaign(min_quantity=100)
    buyers = _members(store, 12)
    placed = [_buy(campaign, leader, m, "GB-EGG", 2) for m in buyers]
    for order in placed[:9]:
        payments.start_payment(system_actor, order, "offline")
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))

    results = run_together(2, lambda _: campaigns.close_due())

    assert not [r for r in results if isinstance(r, BaseException)], results
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FAILED
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == ["cancelled"] * 3 + ["refunded"] * 9
    assert Refund.objects.count() == 9
    assert not Order.objects.filter(refunded_fen__gt=F("paid_fen")).exists()
    level = StockLevel.objects.get(sku=gb_skus["GB-EGG"], store=store)
    assert (level.on_hand, level.reserved) == (30, 0)
    assert stock.check_stock() == []
    assert Leader.objects.get().commission_fen == 0
