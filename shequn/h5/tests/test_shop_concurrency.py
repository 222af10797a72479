"""PostgreSQL, real threads: the same checkout form arriving many times at once places one order."""

import pytest
from django.conf import settings as django_settings
from django.test import Client

from shequn.commerce import catalog, stock
from shequn.commerce.models import Order, StockLevel
from shequn.core.tests.threads import run_together
from shequn.h5 import cart
from shequn.h5.views_shop import CHECKOUT_TOKEN
from shequn.loyalty import points
from shequn.loyalty.models import LoyaltyAccount

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

COPIES = 12


def _session(member, token: str) -> str:
    from importlib import import_module

    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session["member_id"] = member.pk
    session[cart.SESSION_KEY] = {"BERRY-500": 2}
    session[CHECKOUT_TOKEN] = token
    session.save()
    return session.session_key


def test_one_checkout_form_sent_many_times_at_once_places_one_order(member, store, system_actor):
    sku = catalog.create_product(system_actor, name="丹东草莓",
                                 skus=[{"code": "BERRY-500", "price_fen": 3990}]).skus.get()
    stock.receive(system_actor, sku, store, 20)
    points.earn(system_actor, member.pk, 2000, source="gift", ref="concurrency", reason="测试积分")
    key = _session(member, "form-token-1")
    form = {"action": "place", "token": "form-token-1", "fulfilment": "pickup", "store": store.code,
            "use_points": "1", "coupons_chosen": "1"}

    def submit(_i):
        client = Client()
        client.cookies[django_settings.SESSION_COOKIE_NAME] = key
        response = client.post("/m/checkout/", form)
        return response.status_code, response.get("Location", "")

    results = run_together(COPIES, submit)
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    order = Order.objects.get()
    assert order.points_used == 2000 and order.total_fen == 3990 * 2 - 2000
    placed = [r for r in results if r == (302, f"/m/orders/{order.order_no}/pay/")]
    replayed = [r for r in results if r == (302, f"/m/orders/{order.order_no}/")]
    busy = [r for r in results if r[0] == 409]
    assert len(placed) == 1 and len(placed) + len(replayed) + len(busy) == COPIES, results
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (20, 2)
    assert LoyaltyAccount.objects.get(member=member).points_balance == 0
