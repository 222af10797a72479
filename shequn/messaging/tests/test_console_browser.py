"""An operator sets up a channel, writes a template, previews it with a member and test-sends it, in Chromium."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-42"


def test_operator_sets_up_in_app_channel_template_and_sends(live_server, chromium_page, make_member, store, settings):
    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM
    from shequn.messaging.models import Message

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    ensure_staff(SYSTEM, "hq", role="hq_operator", password=PASSWORD, display_name="总部运营")
    member = make_member(store=store, name="李雷", consents={"marketing": True})
    page = chromium_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    page.goto(f"{live_server.url}/console/")
    page.get_by_label("用户名").fill("hq")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("link", name="消息渠道").click()
    page.get_by_role("link", name="＋ 站内信").click()
    page.get_by_role("button", name="保存渠道").click()
    page.get_by_role("button", name="发送测试").wait_for()
    page.get_by_label("会员号").fill(member.member_no)
    page.get_by_label("内容").fill("欢迎加入社群会员俱乐部")
    page.get_by_role("button", name="发送测试").click()
    page.get_by_text("测试消息已发出").wait_for()
    page.screenshot(path="/tmp/messaging-console-channel.png", full_page=True)

    page.get_by_role("link", name="消息模板").click()
    page.get_by_label("模板名称").fill("会员日")
    page.get_by_label("用途").select_option("marketing")
    page.get_by_label("标题（中文）").fill("{{ member.name }}，8 号会员日")
    body = page.get_by_label("正文（中文）")
    body.fill("{{ member.tier }}全场 9 折，积分 {{ member.points }} 可抵现 {{ member.age }}")
    page.get_by_role("button", name="创建模板").click()
    page.get_by_text("不认识的变量：member.age").wait_for()
    body.fill("{{ member.tier }}全场 9 折，积分 {{ member.points }} 可抵现：{{ link.shop }}")
    page.get_by_role("button", name="创建模板").click()
    page.get_by_text("已创建模板").wait_for()
    page.locator("#id_member_no").fill(member.member_no)
    page.get_by_role("button", name="预览").click()
    assert page.locator("[data-preview-subject]").inner_text() == "李雷，8 号会员日"
    page.screenshot(path="/tmp/messaging-console-template.png", full_page=True)

    page.get_by_role("link", name="消息记录").click()
    assert page.locator("tr[data-status=delivered]").count() == 1
    page.screenshot(path="/tmp/messaging-console-log.png", full_page=True)
    assert Message.objects.get().body == "欢迎加入社群会员俱乐部"
