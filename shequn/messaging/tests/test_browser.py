"""A member reads a message in the H5 inbox, in real Chromium."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_reads_a_message_in_the_inbox(live_server, chromium_page, system_actor, make_member, store, settings):
    settings.DEV_INBOX = True
    from shequn.h5.tests.browser import log_in_by_sms
    from shequn.messaging import sending
    from shequn.messaging.services import create_channel, save_template

    member = make_member(store=store, name="王小红", consents={"marketing": True})
    channel = create_channel(system_actor, name="站内信", kind="in_app")
    template = save_template(system_actor, channel=channel, name="会员日", purpose="marketing",
                             subject_zh="8 号会员日，全场 9 折", body_zh=(
                                 "{{ member.name }}您好！本月 8 号会员日，{{ member.tier }}全场 9 折，"
                                 "积分 {{ member.points }} 可抵现。进店逛逛：{{ link.shop }}"))
    sending.deliver(sending.compose(system_actor, channel=channel, member=member, template=template,
                                    enqueue=False).pk)
    sending.deliver(sending.compose(system_actor, channel=channel, member=member, subject="订单已可自提",
                                    body="您的订单已到上海静安店，请凭会员码自提。", enqueue=False).pk)

    page = chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page.goto(f"{live_server.url}/m/login/?next=/m/")
    log_in_by_sms(page, live_server.url, member.phone)
    badge = page.locator("[data-unread-badge]")
    assert badge.inner_text() == "2"
    page.screenshot(path="/tmp/messaging-h5-card.png", full_page=True)
    page.locator("[data-inbox-link]").click()
    page.wait_for_url("**/m/inbox/")
    assert page.locator("[data-unread]").get_attribute("data-unread") == "2"
    page.screenshot(path="/tmp/messaging-h5-inbox.png", full_page=True)
    page.get_by_text("8 号会员日，全场 9 折").click()
    body = page.locator(".msg-body")
    assert "王小红您好！本月 8 号会员日" in body.inner_text()
    assert "/l/" in body.locator("a").get_attribute("href")  # the shop link is a tracked short link
    page.screenshot(path="/tmp/messaging-h5-detail.png", full_page=True)
    page.get_by_role("link", name="返回消息中心").click()
    assert page.locator("[data-unread]").get_attribute("data-unread") == "1"
    page.goto(f"{live_server.url}/m/notifications/")
    page.screenshot(path="/tmp/messaging-h5-prefs.png", full_page=True)
    page.locator("[data-pref=marketing]").uncheck()
    page.get_by_role("button", name="保存").click()
    page.wait_for_url("**/m/notifications/")
    from shequn.members.services import current_consents

    assert current_consents(member)["marketing"] is False
