"""Coupon fixtures: the commerce SKUs (BERRY-500 ¥39.90, make_sku) and coupon templates."""

import pytest

from shequn.commerce.coupons import services
from shequn.commerce.tests.conftest import make_sku, sku  # noqa: F401  (shared commerce fixtures)


@pytest.fixture
def make_template(system_actor):
    def make(**kwargs):
        kwargs.setdefault("name", "满99减20")
        kwargs.setdefault("kind", "threshold")
        kwargs.setdefault("amount_fen", 2000)
        kwargs.setdefault("threshold_fen", 9900)
        kwargs.setdefault("valid_days", 30)
        return services.create_template(system_actor, **kwargs)
    return make
