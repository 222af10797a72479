"""The operator's main flow in real Chromium, and the console screenshots."""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from .conftest import PASSWORD

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"
# The README picture is refreshed only on request (SHEQUN_UPDATE_README_SHOTS=1), so a test run leaves the tree clean.
README_SHOT = Path(django_settings.BASE_DIR) / "docs" / "screenshots" / "console-dashboard.png"
UPDATE_README_SHOT = os.environ.get("SHEQUN_UPDATE_README_SHOTS") == "1"


def log_in(page, url, username):
    page.goto(f"{url}/console/")
    assert "/console/login/" in page.url
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/console/")


def shown_balance(page) -> int:
    return int(page.locator("#balance").inner_text().replace(",", ""))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_finds_member_and_adjusts_points(live_server, desk_page, staff_user, store, system_actor):
    from shequn.loyalty.models import PointsEntry
    from shequn.loyalty.selectors import account
    from shequn.loyalty.services import earn
    from shequn.members.services import create_member

    SHOTS.mkdir(parents=True, exist_ok=True)
    staff_user("hq_operator", username="yunying")
    member = create_member(system_actor, phone="13912345678", name="王小雨", store=store)
    for n in range(3):
        create_member(system_actor, phone=f"1370000000{n}", name=f"李{n}", store=store)
    earn(system_actor, member.pk, 200, source="gift", reason="开卡礼")
    page, url = desk_page, live_server.url

    log_in(page, url, "yunying")
    page.get_by_role("link", name="会员", exact=True).click()
    page.wait_for_url(f"{url}/console/members/")
    page.screenshot(path=SHOTS / "console-member-list.png", full_page=True)

    # Live search (HTMX): typing the full phone number narrows the list without a page load.
    page.get_by_label("搜索会员").fill("139 1234 5678")
    page.wait_for_url(lambda u: "q=139" in u)
    results = page.locator("#member-results tbody tr")
    results.filter(has_text="王小雨").wait_for()
    assert results.count() == 1
    assert "139****5678" in results.first.inner_text()
    page.screenshot(path=SHOTS / "console-member-search.png", full_page=True)

    page.get_by_role("link", name="王小雨").click()
    page.wait_for_url(f"{url}/console/members/{member.pk}/")
    assert shown_balance(page) == 200

    adjust = page.locator("#adjust")
    adjust.get_by_label("积分").fill("150")
    adjust.get_by_label("原因").fill("顾客投诉补偿")
    adjust.get_by_role("button", name="确认调整").dblclick()  # a double click grants once
    page.wait_for_url(f"{url}/console/members/{member.pk}/#ledger")
    page.locator(".messages .success").wait_for()
    assert "已增加 150 积分，当前余额 350" in page.locator(".messages").inner_text()
    assert shown_balance(page) == 350
    newest = page.locator("#ledger tbody tr").first
    assert "顾客投诉补偿" in newest.inner_text() and "+150" in newest.inner_text()
    assert PointsEntry.objects.filter(member=member, source="manual").count() == 1
    assert account(member.pk).points_balance == 350

    page.get_by_role("button", name="显示").click()
    page.locator("#phone.revealed").wait_for()
    assert page.locator("#phone").inner_text() == "13912345678"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SHOTS / "console-member-detail.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_with_data_screenshot(live_server, desk_page, staff_user, system_actor):
    from .seed import seed

    SHOTS.mkdir(parents=True, exist_ok=True)
    seed(system_actor)
    staff_user("owner", username="laoban")
    page, url = desk_page, live_server.url
    log_in(page, url, "laoban")
    page.locator("[data-chart=flow] canvas").wait_for()
    page.locator("[data-chart=tiers] canvas").wait_for()
    page.wait_for_timeout(1200)  # let the chart animation finish
    assert page.locator("#card-total").inner_text() == "180"
    if UPDATE_README_SHOT:
        page.screenshot(path=README_SHOT)
    page.screenshot(path=SHOTS / "console-dashboard.png", full_page=True)
    for name, path in [("会员", "members/"), ("等级与积分规则", "loyalty/"), ("批量发积分", "loyalty/grants/"),
                       ("操作日志", "audit/"), ("员工与 API 令牌", "staff/"), ("导入会员", "members/import/")]:
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_url(f"{url}/console/{path}")
        page.screenshot(path=SHOTS / f"console-{path.strip('/').replace('/', '-')}.png", full_page=True)
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, portrait
    page.goto(f"{url}/console/")
    page.locator("[data-chart=flow] canvas").wait_for()
    page.wait_for_timeout(800)
    page.screenshot(path=SHOTS / "console-dashboard-tablet.png", full_page=True)
