"""Member pages: the flash sale list and page, 马上抢 and what the member sees when refused."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shequn.commerce.flash.models import FlashSale
from shequn.commerce.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def online_payment(settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def test_list_and_page(sale, member):
    client = logged_in(member)
    assert f'data-flash-sale="{sale.pk}"' in client.get("/m/flash/").content.decode()
    page = client.get(f"/m/flash/{sale.pk}/").content.decode()
    assert 'data-phase="live"' in page and "data-grab" in page and "¥49.00" in page


def test_grab_pays_then_limit(make_sale, member):
    sale = make_sale(per_member_limit=1)
    client = logged_in(member)
    response = client.post(f"/m/flash/{sale.pk}/")
    order = Order.objects.get(channel="flash")
    assert response.status_code == 302 and response["Location"] == f"/m/pay/sandbox/{order.order_no}/"
    assert FlashSale.objects.get(pk=sale.pk).remaining == 9
    page = client.get(f"/m/flash/{sale.pk}/").content.decode()
    assert "data-grab" not in page
    refused = client.post(f"/m/flash/{sale.pk}/")
    assert refused.status_code == 409 and "限购" in refused.content.decode()


def test_sold_out_and_upcoming(make_sale, make_member, store, system_actor):
    from shequn.commerce.flash import services

    sale = make_sale(quantity=1)
    services.buy(system_actor, sale, make_member(store=store))
    client = logged_in(make_member(store=store))
    page = client.get(f"/m/flash/{sale.pk}/").content.decode()
    assert 'data-phase="sold_out"' in page and "data-sold-out" in page
    refused = client.post(f"/m/flash/{sale.pk}/")
    assert refused.status_code == 409 and "抢光" in refused.content.decode()
    upcoming = make_sale(starts_at=timezone.now() + dt.timedelta(minutes=10))
    page = client.get(f"/m/flash/{upcoming.pk}/").content.decode()
    assert 'data-phase="upcoming"' in page and "data-countdown" in page
    assert client.post(f"/m/flash/{upcoming.pk}/").status_code == 409
    assert client.get("/m/flash/999999/").status_code == 404
