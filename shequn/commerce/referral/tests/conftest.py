"""Fixtures for referral and distribution: a priced SKU and a helper that buys and pays."""

import pytest

from shequn.commerce import catalog, orders, payments, stock


@pytest.fixture
def sku(system_actor, store):
    """草莓 500g at ¥100.00 with 100 on hand at the Shanghai store."""
    item = catalog.create_product(system_actor, name="丹东草莓", category="水果",
                                  skus=[{"code": "BERRY-500", "spec": "500g", "price_fen": 10000}]).skus.get()
    stock.receive(system_actor, item, store, 100)
    return item


@pytest.fixture
def buy(system_actor, store, sku):
    """buy(member, quantity=1, referrer=None, pay=True) -> Order, paid offline."""

    def make(member, quantity: int = 1, referrer=None, pay: bool = True, code: str | None = None):
        order = orders.place_order(system_actor, member=member, items=[{"sku": code or sku.code,
                                                                        "quantity": quantity}],
                                   fulfilment="pickup", store=store, referrer=referrer)
        if pay:
            payments.start_payment(system_actor, order, "offline")
            order.refresh_from_db()
        return order

    return make
