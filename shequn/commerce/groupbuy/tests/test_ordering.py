import datetime as dt

import pytest
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import orders, payments, refunds
from shequn.commerce.errors import OutOfStock
from shequn.commerce.groupbuy import campaigns, leaders
from shequn.commerce.groupbuy.errors import (
    CampaignNotOpen,
    CampaignStateConflict,
    InvalidCampaign,
    LeaderOutOfScope,
    LeaderSuspended,
    MemberLimitReached,
    NotInCampaign,
    NotTheLeader,
)
from shequn.commerce.groupbuy.models import Campaign, GroupBuyOrder
from shequn.commerce.groupbuy.ordering import place_groupbuy_order
from shequn.commerce.models import Order, StockLevel

pytestmark = pytest.mark.django_db


def _order(campaign, leader, member, items, actor=None):
    return place_groupbuy_order(actor or member_actor(member.pk), campaign=campaign, leader=leader, member=member,
                                items=items)


def test_order_through_a_leader_at_group_price(campaign, leader, member, gb_skus, store):
    order = _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}, {"sku": "GB-EGG", "quantity": 1}])
    assert (order.channel, order.channel_ref, order.fulfilment) == ("groupbuy", str(campaign.pk), "pickup")
    assert order.pickup_point == leader.pickup_point and order.store == store
    assert order.total_fen == 2 * 2990 + 990
    assert {ln.sku.code: ln.unit_price_fen for ln in order.lines.all()} == {"GB-BERRY": 2990, "GB-EGG": 990}
    gb = GroupBuyOrder.objects.get(order=order)
    assert (gb.campaign, gb.leader, gb.member) == (campaign, leader, member)
    assert gb.rates == {str(gb_skus["GB-BERRY"].pk): 100, str(gb_skus["GB-EGG"].pk): 100}
    assert StockLevel.objects.get(sku=gb_skus["GB-BERRY"], store=store).reserved == 2


def test_item_rate_overrides_the_campaign_rate(make_campaign, leader, member, gb_skus):
    campaign = make_campaign(rate=50, berry_rate=120)
    order = _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}, {"sku": "GB-EGG", "quantity": 1}])
    assert GroupBuyOrder.objects.get(order=order).rates == {str(gb_skus["GB-BERRY"].pk): 120,
                                                            str(gb_skus["GB-EGG"].pk): 50}


def test_per_member_limit_counts_earlier_orders_not_cancelled_ones(make_campaign, leader, member, system_actor):
    campaign = make_campaign(limit=3)
    first = _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}])
    with pytest.raises(MemberLimitReached) as err:
        _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}])
    assert err.value.extra == {"sku": "GB-BERRY", "limit": 3, "already": 2}
    orders.cancel_order(system_actor, first)
    _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 3}])
    assert Order.objects.filter(status="pending_payment").count() == 1


def test_refunded_units_come_back_to_the_limit(make_campaign, leader, member, system_actor):
    campaign = make_campaign(limit=2)
    order = _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}])
    payments.start_payment(system_actor, order, "offline")
    line = order.lines.get()
    refunds.refund_order(system_actor, order, reason="坏果", lines=[{"line_id": line.pk, "quantity": 1}])
    _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])
    with pytest.raises(MemberLimitReached):
        _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])


@pytest.mark.parametrize("items, error", [
    ([], InvalidCampaign), ([{"sku": "GB-BERRY", "quantity": 0}], InvalidCampaign),
    ([{"sku": "GB-BERRY", "quantity": "2"}], InvalidCampaign), ([{"quantity": 1}], InvalidCampaign),
    ([{"sku": "NOT-IN", "quantity": 1}], NotInCampaign), (["GB-BERRY"], InvalidCampaign),
])
def test_bad_items_write_nothing(campaign, leader, member, items, error):
    with pytest.raises(error):
        _order(campaign, leader, member, items)
    assert not Order.objects.exists() and not GroupBuyOrder.objects.exists()


def test_out_of_stock_writes_nothing(campaign, leader, member):
    with pytest.raises(OutOfStock):
        _order(campaign, leader, member, [{"sku": "GB-EGG", "quantity": 5}, {"sku": "GB-BERRY", "quantity": 21}])
    assert not Order.objects.exists() and not GroupBuyOrder.objects.exists()
    assert not StockLevel.objects.filter(reserved__gt=0).exists()


def test_orders_only_in_the_open_window(make_campaign, leader, member, system_actor):
    draft = make_campaign(open_=False)
    with pytest.raises(CampaignNotOpen):
        _order(draft, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])
    later = make_campaign(title="下周团")
    Campaign.objects.filter(pk=later.pk).update(starts_at=timezone.now() + dt.timedelta(hours=2))
    with pytest.raises(CampaignNotOpen):
        _order(later, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])
    over = make_campaign(title="已截单")
    Campaign.objects.filter(pk=over.pk).update(ends_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(CampaignNotOpen):
        _order(over, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])
    assert not Order.objects.exists()


def test_suspended_leader_and_out_of_scope_leader(make_campaign, make_leader, make_member, member, system_actor,
                                                   store, other_store):
    leader = make_leader()
    leaders.suspend(system_actor, leader, reason="暂停")
    leader.refresh_from_db()
    campaign = make_campaign(stores=[other_store])
    with pytest.raises(LeaderSuspended):
        _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])
    leaders.resume(system_actor, leader)
    leader.refresh_from_db()
    with pytest.raises(LeaderOutOfScope):
        _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}])


def test_a_member_orders_only_for_themselves(campaign, leader, member, make_member, store):
    other = make_member(store=store)
    with pytest.raises(NotTheLeader):
        _order(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}], actor=member_actor(other.pk))


def test_items_fixed_once_open_and_prices_checked(campaign, system_actor, gb_skus, make_campaign):
    with pytest.raises(CampaignStateConflict):
        campaigns.add_item(system_actor, campaign, sku=gb_skus["GB-EGG"], group_price_fen=500)
    draft = make_campaign(open_=False, title="草稿")
    with pytest.raises(InvalidCampaign):
        campaigns.add_item(system_actor, draft, sku=gb_skus["GB-EGG"], group_price_fen=1291)
    with pytest.raises(InvalidCampaign):
        campaigns.add_item(system_actor, draft, sku=gb_skus["GB-EGG"], group_price_fen=0)
    with pytest.raises(InvalidCampaign):
        campaigns.add_item(system_actor, draft, sku=gb_skus["GB-EGG"], group_price_fen=900, commission_permille=1001)


@pytest.mark.parametrize("change, field", [
    ({"title": ""}, "title"), ({"ends_at": "start"}, "ends_at"), ({"pickup_date": "yesterday"}, "pickup_date"),
    ({"min_quantity": -1}, "min_quantity"), ({"commission_permille": 2000}, "commission_permille"),
])
def test_bad_campaigns_are_refused(system_actor, change, field):
    now = timezone.now()
    data = {"title": "团", "starts_at": now, "ends_at": now + dt.timedelta(days=1),
            "pickup_date": (now + dt.timedelta(days=2)).date(), "min_quantity": 0, "commission_permille": 0}
    if change.get("ends_at") == "start":
        change = {"ends_at": now}
    if change.get("pickup_date") == "yesterday":
        change = {"pickup_date": (now - dt.timedelta(days=1)).date()}
    data.update(change)
    with pytest.raises(InvalidCampaign) as err:
        campaigns.create_campaign(system_actor, **data)
    assert err.value.extra["field"] == field
    assert not Campaign.objects.exists()


def test_campaign_without_items_cannot_open(system_actor):
    now = timezone.now()
    campaign = campaigns.create_campaign(system_actor, title="空团", starts_at=now, ends_at=now + dt.timedelta(days=1),
                                         pickup_date=(now + dt.timedelta(days=2)).date())
    with pytest.raises(CampaignStateConflict):
        campaigns.open_campaign(system_actor, campaign)
