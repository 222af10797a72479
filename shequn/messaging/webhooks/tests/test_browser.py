"""In real Chromium: an HQ operator creates a subscription, copies the secret shown once, and sees the
delivery of a new member's event in the log."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from shequn.core import outbox
from shequn.messaging.webhooks import sender
from shequn.messaging.webhooks.signing import verify

from .conftest import PASSWORD

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_creates_a_subscription_and_sees_the_delivery(live_server, chromium_page, console_as, receiver,
                                                               make_member, store):
    SHOTS.mkdir(parents=True, exist_ok=True)
    reverse("console:webhooks")  # import the URLs (and the apps behind them) before the first page load
    console_as("hq_operator", username="yunying")
    page, url = chromium_page(viewport={"width": 1280, "height": 800}), live_server.url
    page.goto(f"{url}/console/login/")
    page.get_by_label("用户名").fill("yunying")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/console/")

    page.get_by_role("link", name="Webhook 订阅").click()
    page.wait_for_url(f"{url}/console/webhooks/")
    page.get_by_label("接收地址 (URL)").fill(receiver.url)
    page.get_by_label("说明").fill("收银系统")
    page.get_by_label("会员注册").check()
    page.get_by_label("支付成功").check()
    page.screenshot(path=SHOTS / "console-webhooks-new.png", full_page=True)
    page.get_by_role("button", name="创建订阅").click()

    secret_box = page.locator("#new-secret-value")
    secret_box.wait_for()
    secret = secret_box.inner_text().strip()
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", secret)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    page.get_by_role("button", name="复制").click()
    page.get_by_role("button", name="已复制").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    page.screenshot(path=SHOTS / "console-webhooks-secret.png", full_page=True)

    make_member(store=store, name="王小雨")
    outbox.drain()
    assert sender.send_due() == {"succeeded": 1}
    page.goto(page.url.split("?")[0])
    assert page.locator("#new-secret-value").count() == 0 and secret not in page.content()
    row = page.locator("#deliveries tbody tr").first
    assert "会员注册" in row.inner_text() and "已送达" in row.inner_text() and "200" in row.inner_text()
    page.screenshot(path=SHOTS / "console-webhooks-log.png", full_page=True)
    [request] = receiver.requests
    verify(secret, request.headers["X-Shequn-Signature"], request.body)

    page.get_by_role("link", name="全部订阅").click()
    page.locator("table").get_by_text("收银系统").wait_for()
    page.screenshot(path=SHOTS / "console-webhooks-list.png", full_page=True)
