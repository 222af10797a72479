"""In real Chromium on a phone-sized screen: 马上抢 in a running flash sale, then pay on the sandbox gateway."""

import pytest
from django.conf import settings as django_settings

from shequn.commerce.flash.models import FlashSale
from shequn.commerce.models import Order

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def online_payment(settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"


def session_for(member) -> str:
    from importlib import import_module

    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session["member_id"] = member.pk
    session.save()
    return session.session_key


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_grabs_and_pays(live_server, chromium_page, make_sale, member):
    sale = make_sale(quantity=3, per_member_limit=1)
    page = chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session_for(member),
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/m/flash/{sale.pk}/")
    assert page.locator("[data-phase]").get_attribute("data-phase") == "live"
    page.get_by_role("button", name="马上抢").click()
    page.wait_for_url(f"{live_server.url}/m/pay/sandbox/**")
    page.locator("[data-confirm-pay]").click()
    page.wait_for_url(f"{live_server.url}/m/orders/**")
    order = Order.objects.get(channel="flash", member=member)
    assert order.status == Order.Status.PAID and order.total_fen == 4900
    assert FlashSale.objects.get(pk=sale.pk).remaining == 2
    page.goto(f"{live_server.url}/m/flash/{sale.pk}/")
    assert page.locator("[data-grab]").count() == 0  # at the limit: no more 马上抢
