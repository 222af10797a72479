"""The member's main flow in real Chromium on a phone-sized screen."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


def balance(page) -> int:
    return int(page.locator("[data-points-balance]").first.inner_text().replace(",", ""))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_logs_in_with_code_checks_in_and_sees_points(live_server, settings, phone_page, store,
                                                            system_actor):
    from shequn.loyalty.models import CheckIn
    from shequn.loyalty.services import earn, record_purchase
    from shequn.members.services import create_member

    settings.DEV_INBOX = True
    SHOTS.mkdir(parents=True, exist_ok=True)
    member = create_member(system_actor, phone="13912345678", name="王小雨", store=store)
    start = timezone.now() - dt.timedelta(days=200)
    earn(system_actor, member.pk, 200, source="gift", ref="welcome", reason="开卡礼", at=start)
    for i, (fen, day) in enumerate([(128_000, 3), (196_500, 45), (289_900, 90), (64_800, 150)]):
        record_purchase(system_actor, member.pk, fen, ref=f"POS-{i}", occurred_at=start + dt.timedelta(days=day))
    page = phone_page
    url = live_server.url

    page.goto(f"{url}/m/")
    assert page.url.startswith(f"{url}/m/login/")
    page.screenshot(path=SHOTS / "h5-login.png")
    page.get_by_placeholder("请输入手机号").fill("139 1234 5678")
    page.get_by_role("button", name="获取验证码").click()
    page.locator("[data-sent]").wait_for()
    assert "139****5678" in page.locator("[data-sent]").inner_text()
    assert page.locator(".btn-code").is_disabled()  # countdown before another code

    inbox = page.context.new_page()
    inbox.goto(f"{url}/m/dev/inbox/")
    code = inbox.locator("[data-code]").first.inner_text().strip()
    assert len(code) == 6 and code.isdigit()
    inbox.screenshot(path=SHOTS / "h5-dev-inbox.png")
    inbox.close()

    page.get_by_placeholder("6 位数字验证码").fill(code)
    page.get_by_role("button", name="登录 / 注册").click()
    assert "请阅读并勾选同意《会员隐私政策》" in page.locator("[data-error]").inner_text()
    page.get_by_placeholder("6 位数字验证码").fill(code)
    page.get_by_label("我已阅读并同意").check()
    page.get_by_role("button", name="登录 / 注册").click()
    page.wait_for_url(f"{url}/m/")

    assert page.locator("[data-member-no]").inner_text() == member.member_no
    assert page.locator(".tier-badge").inner_text() == "金卡会员"
    assert "升级钻石会员" in page.locator("[data-progress]").inner_text()
    assert page.locator("svg.member-qr").is_visible()
    before = balance(page)
    page.get_by_role("button", name="签到领积分").click()
    page.locator(".toast").wait_for()
    assert "签到成功 +5 积分" in page.locator(".toast").inner_text()
    assert balance(page) == before + 5
    assert page.locator("[data-checkin]").inner_text() == "今天已签到"
    assert CheckIn.objects.filter(member=member).count() == 1
    page.screenshot(path=SHOTS / "h5-checked-in.png")

    page.reload()  # the card as the member sees it afterwards, without the toast
    page.screenshot(path=SHOTS / "h5-card.png")
    page.screenshot(path=SHOTS / "h5-card-full.png", full_page=True)

    page.get_by_role("link", name="积分明细").first.click()
    page.wait_for_url(f"{url}/m/points/")
    assert balance(page) == before + 5
    first_row = page.locator(".ledger-row").first
    assert "每日签到" in first_row.inner_text() and "+5" in first_row.inner_text()
    page.screenshot(path=SHOTS / "h5-points.png")
