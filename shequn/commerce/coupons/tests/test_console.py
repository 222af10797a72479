"""Console coupon pages: list with cost per campaign, the new-template form with readable errors, granting by
member numbers / tag / tier, pausing, and store scoping."""

import pytest

from shequn.commerce import orders, payments
from shequn.commerce.coupons import services
from shequn.commerce.coupons.models import Coupon, CouponTemplate

pytestmark = pytest.mark.django_db

FORM = {"name": "满99减20", "kind": "threshold", "amount": "20", "threshold": "99", "scope": "all",
        "validity": "days", "valid_days": "30", "per_member_limit": "1", "total_quantity": "500",
        "claimable": "on", "campaign": "双11"}


@pytest.fixture
def console_as(db):
    from django.test import Client

    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None):
        user, _ = ensure_staff(SYSTEM, f"{role}_coupons", role=role, store_codes=stores)
        client = Client()
        client.force_login(user)
        return client
    return make


def test_create_through_the_form(console_as):
    client = console_as()
    assert 'id="new-coupon"' in client.get("/console/commerce/coupons/").content.decode()
    response = client.post("/console/commerce/coupons/", FORM)
    template = CouponTemplate.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/commerce/coupons/{template.pk}/"
    assert (template.kind, template.amount_fen, template.threshold_fen, template.remaining) == ("threshold", 2000,
                                                                                               9900, 500)
    page = client.get(response["Location"]).content.decode()
    assert "满99减20" in page and 'id="grant-coupon"' in page
    assert f"/m/coupons/claim/{template.pk}/</code>" in page


@pytest.mark.parametrize("changes, text", [
    ({"threshold": "10"}, "请填写满减门槛，且不能低于减免金额。"),
    ({"amount": "abc"}, "请输入金额"),
    ({"amount": ""}, "请填写减免金额"),
    ({"kind": "percent"}, "折扣券请填写 1–99 的折扣"),
    ({"scope": "skus", "sku_codes": "NOPE-1, NOPE-2"}, "找不到：NOPE-1、NOPE-2"),
    ({"validity": "window", "valid_days": ""}, "固定时间段的券请填写开始时间和结束时间。"),
    ({"name": ""}, "这个字段是必填项"),
])
def test_bad_forms_are_shown_next_to_the_field_and_write_nothing(console_as, changes, text):
    response = console_as().post("/console/commerce/coupons/", {**FORM, **changes})
    assert response.status_code == 422
    assert text in response.content.decode()
    assert not CouponTemplate.objects.exists()


def test_grant_by_numbers_tag_and_tier(console_as, system_actor, make_member, store, make_template):
    from shequn.loyalty.program import ensure_default_tiers

    ensure_default_tiers()
    template = make_template(per_member_limit=1)
    a, b = make_member(store=store), make_member(store=store, tags=["宝妈"])
    client = console_as()
    response = client.post(f"/console/commerce/coupons/{template.pk}/grant/",
                           {"member_nos": f"{a.member_no}\nM99999999", "ref": "第一批"})
    assert response.status_code == 422 and "M99999999" in response.content.decode()
    assert not Coupon.objects.exists()
    response = client.post(f"/console/commerce/coupons/{template.pk}/grant/",
                           {"member_nos": a.member_no, "tag": "宝妈", "ref": "第一批"})
    assert response.status_code == 302
    assert set(Coupon.objects.values_list("member_id", flat=True)) == {a.pk, b.pk}
    client.post(f"/console/commerce/coupons/{template.pk}/grant/", {"tier": "basic", "ref": "第一批"}, follow=True)
    assert Coupon.objects.count() == 2  # the same batch again gives nobody a second coupon
    page = client.get(f"/console/commerce/coupons/{template.pk}/").content.decode()
    assert a.member_no in page and b.member_no in page


def test_usage_and_cost_on_the_list(console_as, system_actor, member, store, sku, make_template):
    template = make_template(campaign="双11")
    coupon = services.claim(system_actor, template, member)
    order = orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 3}],
                               fulfilment="pickup", store=store, coupon_ids=[coupon.pk])
    payments.start_payment(system_actor, order, "offline")
    page = console_as().get("/console/commerce/coupons/").content.decode()
    assert 'data-cost="2000"' in page and "¥99.70" in page
    detail = console_as().get(f"/console/commerce/coupons/{template.pk}/").content.decode()
    assert order.order_no in detail


def test_pause_and_resume_and_permissions(console_as, make_template, store):
    template = make_template()
    client = console_as()
    client.post(f"/console/commerce/coupons/{template.pk}/status/", {"status": "paused"})
    assert CouponTemplate.objects.get().status == "paused"
    client.post(f"/console/commerce/coupons/{template.pk}/status/", {"status": "active"})
    assert CouponTemplate.objects.get().status == "active"
    manager = console_as("store_manager", stores=[store.code])
    assert manager.get("/console/commerce/coupons/").status_code == 200
    assert manager.post(f"/console/commerce/coupons/{template.pk}/status/", {"status": "paused"}).status_code == 403
    assert manager.post("/console/commerce/coupons/", FORM).status_code == 403
    assert CouponTemplate.objects.get().status == "active"
    assert client.get("/console/commerce/coupons/999999/").status_code == 404
