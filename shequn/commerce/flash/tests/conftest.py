"""Fixtures for flash sale tests: a SKU with 100 at the store and a running sale of 10, limit 2."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import catalog, stock
from shequn.commerce.flash import services


@pytest.fixture
def flash_sku(system_actor, store):
    """五常大米 5kg at ¥89.00, 100 on hand at the store."""
    sku = catalog.create_product(system_actor, name="五常大米", category="粮油",
                                 skus=[{"code": "RICE-5KG", "spec": "5kg", "price_fen": 8900}]).skus.get()
    stock.receive(system_actor, sku, store, 100)
    return sku


@pytest.fixture
def make_sale(system_actor, store, flash_sku):
    def make(**kwargs):
        now = timezone.now()
        values = dict(title="大米秒杀", sku=flash_sku, store=store, flash_price_fen=4900, quantity=10,
                      per_member_limit=2, starts_at=now - dt.timedelta(minutes=1), ends_at=now + dt.timedelta(hours=1))
        values.update(kwargs)
        return services.create_sale(system_actor, **values)
    return make


@pytest.fixture
def sale(make_sale):
    return make_sale()


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
