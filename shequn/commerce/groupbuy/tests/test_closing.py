import datetime as dt

import pytest
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import payments, stock
from shequn.commerce.groupbuy import campaigns
from shequn.commerce.groupbuy.models import Campaign
from shequn.commerce.groupbuy.ordering import place_groupbuy_order
from shequn.commerce.models import Order, Refund, StockLevel

pytestmark = pytest.mark.django_db


def _buy(campaign, leader, member, qty, pay=True, actor=None):
    order = place_groupbuy_order(member_actor(member.pk), campaign=campaign, leader=leader, member=member,
                                 items=[{"sku": "GB-BERRY", "quantity": qty}])
    if pay:
        payments.start_payment(actor, order, "offline")
    return order


def _end(campaign):
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))


def test_minimum_reached_succeeds(make_campaign, leader, make_member, store, system_actor):
    campaign = make_campaign(min_quantity=3)
    for _ in range(2):
        _buy(campaign, leader, make_member(store=store), 2, actor=system_actor)
    _end(campaign)
    assert campaigns.close_due() == 1
    campaign.refresh_from_db()
    assert (campaign.status, campaign.sold_quantity_at_close) == ("succeeded", 4)
    assert not Refund.objects.exists()
    assert campaigns.close_due() == 0


def test_minimum_missed_refunds_paid_and_cancels_unpaid_once(make_campaign, leader, make_member, store,
                                                             system_actor, gb_skus):
    campaign = make_campaign(min_quantity=10)
    paid = [_buy(campaign, leader, make_member(store=store), 2, actor=system_actor) for _ in range(2)]
    unpaid = _buy(campaign, leader, make_member(store=store), 1, pay=False)
    _end(campaign)
    campaigns.close_due()
    campaigns.close_due()
    campaigns.close_campaign(system_actor, campaign)  # an operator pressing close afterwards changes nothing
    campaign.refresh_from_db()
    assert campaign.status == "failed" and campaign.sold_quantity_at_close == 4
    for order in paid:
        order.refresh_from_db()
        assert order.status == "refunded" and order.refunded_fen == order.paid_fen
        assert list(Refund.objects.filter(order=order).values_list("refund_no", flat=True)) == [
            campaigns.failed_refund_no(order)]
    unpaid.refresh_from_db()
    assert unpaid.status == "cancelled"
    level = StockLevel.objects.get(sku=gb_skus["GB-BERRY"], store=store)
    assert (level.on_hand, level.reserved) == (20, 0)
    assert stock.check_stock() == []


def test_a_late_payment_after_failure_is_sent_back(make_campaign, leader, member, system_actor):
    campaign = make_campaign(min_quantity=10)
    order = _buy(campaign, leader, member, 1, pay=False)
    _end(campaign)
    campaigns.close_due()
    order.refresh_from_db()
    assert order.status == "cancelled"
    payments.confirm_payment(system_actor, provider="sandbox", order_no=order.order_no, transaction_id="SBX-late",
                             amount_fen=order.total_fen, paid_at=timezone.now())
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Refund.objects.filter(order=order, amount_fen=order.total_fen).count() == 1


def test_no_orders_after_close(make_campaign, leader, member, system_actor):
    from shequn.commerce.groupbuy.errors import CampaignNotOpen
    campaign = make_campaign()
    campaigns.close_campaign(system_actor, campaign)
    with pytest.raises(CampaignNotOpen):
        _buy(campaign, leader, member, 1, pay=False)
    assert not Order.objects.exists()


def test_progress(make_campaign, leader, member, system_actor):
    from shequn.commerce.groupbuy.selectors import campaign_progress
    campaign = make_campaign(min_quantity=4)
    _buy(campaign, leader, member, 1, actor=system_actor)
    _buy(campaign, leader, member, 1, pay=False)
    assert campaign_progress(campaign) == {"sold": 1, "min_quantity": 4, "reached": False, "percent": 25}
