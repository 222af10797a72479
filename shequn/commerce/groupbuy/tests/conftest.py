"""Group-buy fixtures: an approved leader at the Shanghai store, an open campaign with two items."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import catalog, stock
from shequn.commerce.groupbuy import campaigns, leaders


@pytest.fixture
def make_leader(system_actor, make_member, store):
    def make(point_name="幸福里自提点", store_=None, **kwargs):
        member = kwargs.pop("member", None) or make_member(store=store_ or store, name="王团长")
        application = leaders.apply(system_actor, member, point_name=point_name, address="幸福里小区 3 号楼门口",
                                    hours="每天 9:00-20:00", store=store_ or store)
        return leaders.approve(system_actor, application)
    return make


@pytest.fixture
def leader(make_leader):
    return make_leader()


@pytest.fixture
def gb_skus(system_actor, store):
    """Two SKUs with stock at the Shanghai store: 草莓 ¥39.90 ×20, 鸡蛋 ¥12.90 ×30."""
    made = {}
    for code, name, price, qty in (("GB-BERRY", "丹东草莓", 3990, 20), ("GB-EGG", "土鸡蛋 6 枚", 1290, 30)):
        sku = catalog.create_product(system_actor, name=name, category="水果",
                                     skus=[{"code": code, "spec": "", "price_fen": price}]).skus.get()
        stock.receive(system_actor, sku, store, qty)
        made[code] = sku
    return made


@pytest.fixture
def make_campaign(system_actor, gb_skus):
    def make(*, min_quantity=0, rate=100, limit=None, stores=(), open_=True, hours=48, **kwargs):
        now = timezone.now()
        campaign = campaigns.create_campaign(
            system_actor, title=kwargs.pop("title", "周末草莓团"), starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=hours), pickup_date=(now + dt.timedelta(days=3)).date(),
            commission_permille=rate, min_quantity=min_quantity, stores=stores)
        campaigns.add_item(system_actor, campaign, sku=gb_skus["GB-BERRY"], group_price_fen=2990,
                           per_member_limit=limit, commission_permille=kwargs.pop("berry_rate", None))
        campaigns.add_item(system_actor, campaign, sku=gb_skus["GB-EGG"], group_price_fen=990)
        if open_:
            campaigns.open_campaign(system_actor, campaign)
        return campaign
    return make


@pytest.fixture
def campaign(make_campaign):
    return make_campaign()


@pytest.fixture
def console_as(db):
    """A console client logged in as a staff user of the given role."""
    from django.test import Client

    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None, username=None):
        user, _ = ensure_staff(SYSTEM, username or f"{role}_groupbuy", role=role, store_codes=stores)
        client = Client()
        client.force_login(user)
        return client
    return make
