"""Fixtures shared by the commerce tests."""

import pytest

from shequn.commerce import catalog, stock


@pytest.fixture
def sku(system_actor, store):
    """草莓 500g at ¥39.90 with 20 on hand at the Shanghai store."""
    item = catalog.create_product(system_actor, name="丹东草莓", category="水果",
                                  skus=[{"code": "BERRY-500", "spec": "500g", "price_fen": 3990}]).skus.get()
    stock.receive(system_actor, item, store, 20)
    return item


@pytest.fixture
def make_sku(system_actor, store):
    def make(code: str, price_fen: int, quantity: int = 10, **kwargs):
        item = catalog.create_product(system_actor, name=kwargs.pop("name", code),
                                      skus=[{"code": code, "price_fen": price_fen, **kwargs}]).skus.get()
        if quantity:
            stock.receive(system_actor, item, store, quantity)
        return item
    return make
