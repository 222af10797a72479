"""Console pages: create (secret shown once), edit, pause, rotate, delete, delivery log and redelivery."""

import re

import pytest
from django.urls import reverse

from shequn.core import outbox
from shequn.messaging.webhooks import sender
from shequn.messaging.webhooks.models import Delivery, Subscription
from shequn.messaging.webhooks.signing import verify

pytestmark = pytest.mark.django_db
SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{43}")


def test_create_shows_the_secret_once(console_as):
    owner = console_as("owner")
    response = owner.post(reverse("console:webhooks"), {
        "url": "https://pos.example.com/hooks", "description": "收银系统",
        "events": ["order.paid", "order.refunded"], "active": "on"})
    sub = Subscription.objects.get()
    page = reverse("console:webhook_detail", args=[sub.pk])
    assert response.status_code == 302 and response["Location"] == page  # a reload never creates it twice
    assert (sub.url, sub.events, sub.description, sub.active) == (
        "https://pos.example.com/hooks", ["order.paid", "order.refunded"], "收银系统", True)
    handed = dict(owner.session)["webhook_new_secret"]
    assert handed["sub"] == sub.pk and not SECRET.search(str(handed))  # kept encrypted until shown
    shown = owner.get(page)
    assert shown["Cache-Control"] == "no-store"
    html = shown.content.decode()
    [secret] = set(SECRET.findall(html))
    assert "订阅已创建" in html and "复制" in html
    assert secret not in str(dict(owner.session))
    for again in (owner.get(page), owner.get(reverse("console:webhooks"))):
        assert not SECRET.search(again.content.decode()) and "pos.example.com" in again.content.decode()


@pytest.mark.parametrize("url, message", [
    ("http://pos.example.com/hooks", "请使用 https:// 地址"),
    ("", "请填写接收事件的地址"),
    ("https://a:b@pos.example.com/", "不要带用户名或密码"),
    ("pos.example.com", "这不是有效的网址"),
])
def test_bad_url_gets_a_chinese_message_and_nothing_is_saved(console_as, url, message):
    response = console_as("owner").post(reverse("console:webhooks"), {"url": url, "all_events": "on"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not Subscription.objects.exists()


def test_no_event_chosen_is_refused(console_as):
    response = console_as("owner").post(reverse("console:webhooks"), {"url": "https://pos.example.com/hooks"})
    assert response.status_code == 400 and "请至少选择一种事件" in response.content.decode()
    assert not Subscription.objects.exists()


def test_edit_pause_rotate_and_delete(console_as, subscribe):
    owner = console_as("owner")
    sub, old_secret = subscribe(events=["order.paid"])
    page = reverse("console:webhook_detail", args=[sub.pk])
    response = owner.post(page, {"url": "https://crm.example.com/in", "all_events": "on", "active": "on"})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert (sub.url, sub.events) == ("https://crm.example.com/in", ["*"])

    owner.post(reverse("console:webhook_active", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.active is False
    assert "已暂停" in owner.get(page).content.decode()

    rotated = owner.post(reverse("console:webhook_rotate", args=[sub.pk]), follow=True)
    [new_secret] = set(SECRET.findall(rotated.content.decode()))
    assert new_secret != old_secret and rotated["Cache-Control"] == "no-store"
    assert "24 小时" in rotated.content.decode()

    assert owner.post(reverse("console:webhook_delete", args=[sub.pk])).status_code == 302
    assert not Subscription.objects.exists()
    assert owner.get(page).status_code == 404


def test_delivery_log_and_redeliver_button(console_as, subscribe, receiver):
    owner = console_as("owner")
    sub, secret = subscribe(receiver.url, events=["order.completed"])
    outbox.emit("order.completed", "order", 5, order_no="SO5", member_id=1)
    outbox.drain()
    receiver.script = [502]
    sender.send_due()
    page = reverse("console:webhook_detail", args=[sub.pk])
    html = owner.get(page).content.decode()
    assert "订单完成" in html and "失败待重试" in html and "502" in html and "重新推送" in html
    assert "没有这个状态的推送" in owner.get(page, {"status": "dead"}).content.decode()

    delivery = Delivery.objects.get()
    response = owner.post(reverse("console:webhook_redeliver", args=[delivery.pk]), follow=True)
    assert "已安排重新推送" in response.content.decode()
    assert sender.send_due() == {"succeeded": 1}
    verify(secret, receiver.requests[-1].headers["X-Shequn-Signature"], receiver.requests[-1].body)
    assert "已送达" in owner.get(page).content.decode()


@pytest.mark.parametrize("role", ["store_manager", "analyst", "community_operator"])
def test_other_roles_see_neither_the_page_nor_the_menu(console_as, role, store):
    client = console_as(role, stores=["SH01"] if role != "analyst" else None)
    assert client.get(reverse("console:webhooks")).status_code == 403
    assert client.post(reverse("console:webhooks"), {"url": "https://x.example.com", "all_events": "on"}
                       ).status_code == 403
    assert not Subscription.objects.exists()
    assert reverse("console:webhooks") not in client.get(reverse("console:dashboard")).content.decode()


def test_the_menu_links_to_webhooks_for_head_office(console_as):
    html = console_as("hq_operator").get(reverse("console:dashboard")).content.decode()
    assert reverse("console:webhooks") in html and "Webhook 订阅" in html
