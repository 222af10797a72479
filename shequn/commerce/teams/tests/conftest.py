"""Fixtures for team purchase tests: a SKU with stock at the store and a running deal for teams of 3."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import catalog, stock
from shequn.commerce.teams import services


@pytest.fixture
def team_sku(system_actor, store):
    """阳光玫瑰葡萄 at ¥59.90, 30 on hand at the store."""
    sku = catalog.create_product(system_actor, name="阳光玫瑰葡萄", category="水果",
                                 skus=[{"code": "GRAPE-1KG", "spec": "1kg", "price_fen": 5990}]).skus.get()
    stock.receive(system_actor, sku, store, 30)
    return sku


@pytest.fixture
def make_deal(system_actor, store, team_sku):
    def make(**kwargs):
        now = timezone.now()
        values = dict(title="阳光玫瑰 3人团", sku=team_sku, store=store, team_price_fen=3990, team_size=3, hours=24,
                      starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=3), per_member_limit=2)
        values.update(kwargs)
        return services.create_deal(system_actor, **values)
    return make


@pytest.fixture
def deal(make_deal):
    return make_deal()


@pytest.fixture
def members(make_member, store):
    return [make_member(store=store, name=f"拼团会员{i}") for i in range(6)]


@pytest.fixture
def console_as(db):
    """A console client logged in as a staff user of the given role."""
    from django.test import Client

    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None, username=None):
        user, _ = ensure_staff(SYSTEM, username or f"{role}_console", role=role, store_codes=stores,
                               password="correct-horse-42", display_name=f"{role} 测试")
        client = Client()
        client.force_login(user)
        return client
    return make
