"""Console flash sale pages: list, new sale form, live figures and per-member stats, stopping a sale."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce.flash import services
from shequn.commerce.flash.models import FlashSale

pytestmark = pytest.mark.django_db


def _form(store, **kwargs):
    now = timezone.localtime()
    data = {"title": "大米秒杀", "sku": "RICE-5KG", "store": store.pk, "flash_price": "49", "quantity": 20,
            "per_member_limit": 2, "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
    data.update(kwargs)
    return data


def test_create_through_the_form(console_as, store, flash_sku):
    client = console_as()
    assert 'id="new-sale"' in client.get("/console/commerce/flash/").content.decode()
    response = client.post("/console/commerce/flash/", _form(store))
    sale = FlashSale.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/commerce/flash/{sale.pk}/"
    assert (sale.flash_price_fen, sale.quantity, sale.remaining) == (4900, 20, 20)


def test_allotment_above_stock_is_refused(console_as, store, flash_sku):
    response = console_as().post("/console/commerce/flash/", _form(store, quantity=101))
    assert response.status_code == 422 and "秒杀设置有误" in response.content.decode()
    assert not FlashSale.objects.exists()


def test_live_figures_and_buyers(console_as, system_actor, sale, member):
    services.buy(system_actor, sale, member, quantity=2)
    client = console_as()
    page = client.get(f"/console/commerce/flash/{sale.pk}/").content.decode()
    assert 'data-remaining="8"' in page and f'data-member="{member.pk}"' in page and "hx-get" in page
    live = client.get(f"/console/commerce/flash/{sale.pk}/live/").content.decode()
    assert live.startswith('<div id="flash-live"') and 'data-remaining="8"' in live
    listing = client.get("/console/commerce/flash/").content.decode()
    assert f'data-sale="{sale.pk}"' in listing


def test_stop_and_permissions(console_as, sale, other_store):
    manager = console_as("store_manager", stores=["SH01"])
    assert manager.post(f"/console/commerce/flash/{sale.pk}/cancel/").status_code == 403
    assert console_as().post(f"/console/commerce/flash/{sale.pk}/cancel/").status_code == 302
    assert FlashSale.objects.get(pk=sale.pk).status == "cancelled"
    outsider = console_as("store_manager", stores=[other_store.code], username="bj")
    assert outsider.get(f"/console/commerce/flash/{sale.pk}/").status_code == 404
