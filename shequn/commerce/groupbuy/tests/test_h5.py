"""Member H5 group-buy pages: the leader's page, ordering and paying, the leader's view, applying."""

import pytest
from django.test import Client

from shequn.commerce import payments
from shequn.commerce.groupbuy.models import CommissionEntry, LeaderApplication
from shequn.commerce.models import Order

pytestmark = pytest.mark.django_db


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def test_leader_page_needs_login(client, leader):
    r = client.get(f"/m/gb/{leader.code}/")
    assert r.status_code == 302 and r["Location"].startswith("/m/login/")


def test_unknown_leader_is_404(member):
    assert logged_in(member).get("/m/gb/NOPE99/").status_code == 404


def test_member_orders_through_the_link_and_goes_to_pay(campaign, leader, member, settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"
    client = logged_in(member)
    page = client.get(f"/m/gb/{leader.code}/").content.decode()
    assert "周末草莓团" in page and "¥29.90" in page and "幸福里自提点" in page
    r = client.post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, "qty_GB-BERRY": "2", "qty_GB-EGG": "0"})
    order = Order.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/m/pay/sandbox/{order.order_no}/"
    assert (order.total_fen, order.pickup_point_id, order.payment_method) == (5980, leader.pickup_point_id, "sandbox")


@pytest.mark.parametrize("post, text", [
    ({"qty_GB-BERRY": "0"}, "请至少选择一件商品"),
    ({"qty_GB-BERRY": "abc"}, "请至少选择一件商品"),
    ({"qty_GB-BERRY": "25"}, "库存不足"),
])
def test_bad_orders_show_a_readable_error(campaign, leader, member, post, text):
    r = logged_in(member).post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, **post})
    assert r.status_code in (409, 422) and text in r.content.decode()
    assert not Order.objects.exists()


def test_limit_error(make_campaign, leader, member):
    campaign = make_campaign(limit=1)
    r = logged_in(member).post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, "qty_GB-BERRY": "2"})
    assert r.status_code == 409 and "超过每人限购数量" in r.content.decode()


def test_closed_campaign_cannot_be_ordered(make_campaign, leader, member):
    campaign = make_campaign(open_=False)
    r = logged_in(member).post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, "qty_GB-BERRY": "1"})
    assert r.status_code == 409 and not Order.objects.exists()


def test_leader_view_verifies_and_shows_commission(campaign, leader, member, system_actor):
    client = logged_in(member)
    client.post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, "qty_GB-BERRY": "1"})
    order = Order.objects.get()
    payments.confirm_payment(system_actor, provider="sandbox", order_no=order.order_no, transaction_id="SBX-T1",
                             amount_fen=order.total_fen, paid_at=order.created_at)
    boss = logged_in(leader.member)
    home = boss.get("/m/leader/").content.decode()
    assert order.order_no in home and "核销提货" in home and "<svg" in home
    r = boss.post("/m/leader/verify/", {"code": "12345678"})
    assert r.status_code == 302
    assert "提货码无效" in boss.get("/m/leader/").content.decode()
    r = boss.post("/m/leader/verify/", {"code": order.pickup_code})
    order.refresh_from_db()
    assert order.status == "picked_up"
    home = boss.get("/m/leader/").content.decode()
    assert f'data-verified="{order.order_no}"' in home and "¥2.99" in home
    assert CommissionEntry.objects.get().amount_fen == 299
    # a member who is not the leader has no leader view and cannot verify
    assert "申请成为团长" in client.get("/m/leader/").content.decode()


def test_apply_to_be_a_leader(member, store):
    client = logged_in(member)
    r = client.post("/m/leader/apply/", {"point_name": "", "address": "x", "store": store.code})
    assert r.status_code == 422 and "请填写自提点名称" in r.content.decode()
    r = client.post("/m/leader/apply/", {"point_name": "阳光小区门岗", "address": "阳光小区 1 号门", "hours": "8-21",
                                         "store": store.code})
    assert r.status_code == 302
    application = LeaderApplication.objects.get()
    assert (application.member, application.store, application.status) == (member, store, "pending")
    assert "正在审核中" in client.get("/m/leader/").content.decode()


def test_find_a_leader_by_code(leader, member):
    client = logged_in(member)
    assert client.get("/m/gb/").status_code == 200
    r = client.get("/m/gb/", {"code": f" {leader.code.lower()} "})
    assert r.status_code == 302 and r["Location"] == f"/m/gb/{leader.code}/"
    r = client.get("/m/gb/", {"code": "ZZZZZZ"})
    assert r.status_code == 404 and "没有这个团长码" in r.content.decode()


def test_without_the_sandbox_the_order_goes_to_the_cashier(campaign, leader, member, settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "wechat"
    r = logged_in(member).post(f"/m/gb/{leader.code}/", {"campaign": campaign.pk, "qty_GB-EGG": "1"})
    order = Order.objects.get()
    assert r["Location"] == f"/m/orders/{order.order_no}/pay/" and order.status == "pending_payment"
