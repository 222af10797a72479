"""Member pages: 我的优惠券 with its tabs, and claiming from a template's page."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shequn.commerce import orders, payments
from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon

pytestmark = pytest.mark.django_db


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def test_claim_page_then_limit(make_template, member):
    template = make_template(per_member_limit=1)
    client = logged_in(member)
    page = client.get(f"/m/coupons/claim/{template.pk}/").content.decode()
    assert "满99减20" in page and "data-claim" in page
    response = client.post(f"/m/coupons/claim/{template.pk}/")
    assert response.status_code == 302 and response["Location"] == "/m/coupons/"
    coupon = Coupon.objects.get(member=member)
    listing = client.get("/m/coupons/").content.decode()
    assert f'data-coupon="{coupon.pk}"' in listing and "领取成功" in listing
    again = client.post(f"/m/coupons/claim/{template.pk}/")
    assert again.status_code == 409 and "你已经领过这张券了" in again.content.decode()
    assert Coupon.objects.filter(member=member).count() == 1


def test_sold_out_paused_and_hidden_templates(system_actor, make_template, make_member, member, store):
    sold = make_template(total_quantity=1)
    services.claim(system_actor, sold, make_member(store=store))
    client = logged_in(member)
    assert "券已经被领完了" in client.get(f"/m/coupons/claim/{sold.pk}/").content.decode()
    assert client.post(f"/m/coupons/claim/{sold.pk}/").status_code == 409
    hidden = make_template(claimable=False)
    assert client.get(f"/m/coupons/claim/{hidden.pk}/").status_code == 404
    assert client.get("/m/coupons/claim/999999/").status_code == 404
    assert not Coupon.objects.filter(member=member).exists()


def test_tabs_show_available_used_and_expired(system_actor, make_template, member, store, sku):
    template = make_template(kind="fixed", amount_fen=500, per_member_limit=3, name="立减5元")
    used, lapsed, fresh = (services.claim(system_actor, template, member) for _ in range(3))
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                               fulfilment="pickup", store=store, coupon_ids=[used.pk])
    payments.start_payment(system_actor, order, "offline")
    Coupon.objects.filter(pk=lapsed.pk).update(valid_until=timezone.now() - dt.timedelta(hours=1))
    client = logged_in(member)
    available = client.get("/m/coupons/").content.decode()
    assert f'data-coupon="{fresh.pk}"' in available and f'data-coupon="{used.pk}"' not in available
    assert "立减5" in available
    used_tab = client.get("/m/coupons/?tab=used").content.decode()
    assert f'data-coupon="{used.pk}"' in used_tab and "省 ¥5.00" in used_tab
    expired = client.get("/m/coupons/?tab=expired").content.decode()
    assert f'data-coupon="{lapsed.pk}"' in expired and f'data-coupon="{fresh.pk}"' not in expired


def test_login_required(make_template):
    response = Client().get("/m/coupons/")
    assert response.status_code == 302 and "/m/login/" in response["Location"]
