"""The group buy in real Chromium on a phone-sized screen: a member opens a leader's link, orders, pays in
the sandbox; the leader verifies the pickup in the leader view; the order shows 已自提 and the commission
appears."""

import datetime as dt
from pathlib import Path

import pytest

from shequn.h5.tests.browser import log_in_by_sms

SHOTS = Path("/tmp/shots-groupbuy")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "user_agent": IPHONE}


def _login_cookie(page, url, member):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    session = SessionStore()
    session["member_id"] = member.pk
    session.create()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": url}])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_buys_through_a_leader_link_and_the_leader_verifies_the_pickup(live_server, settings, chromium_page,
                                                                              store, system_actor):
    from django.utils import timezone

    from shequn.commerce import catalog, stock
    from shequn.commerce.groupbuy import campaigns, leaders
    from shequn.commerce.groupbuy.models import CommissionEntry
    from shequn.commerce.models import Order
    from shequn.members.services import create_member

    settings.DEV_INBOX = True
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"
    SHOTS.mkdir(parents=True, exist_ok=True)
    boss = create_member(system_actor, phone="13700001111", name="王团长", store=store)
    leader = leaders.approve(system_actor, leaders.apply(
        system_actor, boss, point_name="幸福里 3 号楼便利店", address="静安区幸福里 3 号楼 101",
        hours="每天 8:00-21:00", store=store))
    berries = catalog.create_product(system_actor, name="丹东99草莓", category="水果",
                                     skus=[{"code": "GB-BERRY", "spec": "500g 盒装", "price_fen": 3990}]).skus.get()
    eggs = catalog.create_product(system_actor, name="散养土鸡蛋", category="早餐",
                                  skus=[{"code": "GB-EGG", "spec": "10 枚", "price_fen": 1890}]).skus.get()
    stock.receive(system_actor, berries, store, 40)
    stock.receive(system_actor, eggs, store, 60)
    now = timezone.now()
    campaign = campaigns.create_campaign(system_actor, title="周末鲜果团", starts_at=now - dt.timedelta(hours=1),
                                         ends_at=now + dt.timedelta(days=2),
                                         pickup_date=(now + dt.timedelta(days=3)).date(), commission_permille=100,
                                         min_quantity=10)
    campaigns.add_item(system_actor, campaign, sku=berries, group_price_fen=2990, per_member_limit=3)
    campaigns.add_item(system_actor, campaign, sku=eggs, group_price_fen=1290)
    campaigns.open_campaign(system_actor, campaign)
    url = live_server.url

    page = chromium_page(**PHONE)
    page.goto(f"{url}/m/gb/{leader.code}/")  # the link shared in the group chat
    assert page.url.startswith(f"{url}/m/login/")
    log_in_by_sms(page, url, "13912345678")
    page.wait_for_url(f"{url}/m/gb/{leader.code}/")

    assert "幸福里 3 号楼便利店" in page.locator("[data-leader]").inner_text()
    page.locator("[data-qty='GB-BERRY']").fill("2")
    page.locator("[data-qty='GB-EGG']").fill("1")
    page.screenshot(path=SHOTS / "1-leader-link.png", full_page=True)
    page.locator(f"[data-campaign='{campaign.pk}'] [data-order]").click()

    page.wait_for_url(f"{url}/m/pay/sandbox/*/")
    page.screenshot(path=SHOTS / "2-sandbox.png", full_page=True)
    page.get_by_role("button", name="确认支付").click()
    order = Order.objects.get()
    page.wait_for_url(f"{url}/m/orders/{order.order_no}/")
    order.refresh_from_db()
    assert (order.status, order.paid_fen, order.pickup_point_id) == ("paid", 2 * 2990 + 1290, leader.pickup_point_id)
    assert page.locator("[data-pickup-code]").inner_text().replace(" ", "") == order.pickup_code
    page.screenshot(path=SHOTS / "3-order-paid.png", full_page=True)

    desk = chromium_page(**PHONE)  # the leader's own phone
    _login_cookie(desk, url, boss)
    desk.goto(f"{url}/m/leader/")
    assert desk.locator(f"[data-hand-out='{order.order_no}']").is_visible()
    desk.locator("[data-pickup-code]").fill(order.pickup_code)
    desk.screenshot(path=SHOTS / "4-leader-verify.png", full_page=True)
    desk.locator("[data-verify]").click()
    desk.locator(f"[data-verified='{order.order_no}']").wait_for()
    assert desk.locator(f"[data-hand-out='{order.order_no}']").count() == 0
    assert desk.locator("[data-commission]").inner_text() == "¥7.27"  # 10% of ¥72.70, rounded down
    desk.screenshot(path=SHOTS / "5-leader-commission.png", full_page=True)

    page.reload()
    assert page.locator("[data-status]").first.inner_text() == "已自提"
    page.screenshot(path=SHOTS / "6-order-picked-up.png", full_page=True)
    assert CommissionEntry.objects.get().amount_fen == 727
