"""Switching the console between 中文 and English in real Chromium."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from .conftest import PASSWORD

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_switches_the_console_to_english_and_back(live_server, desk_page, staff_user, store, system_actor):
    from shequn.loyalty.program import ensure_default_tiers
    from shequn.members.services import create_member

    SHOTS.mkdir(parents=True, exist_ok=True)
    ensure_default_tiers()
    staff_user("owner", username="laoban")
    create_member(system_actor, phone="13912345678", name="王小雨", store=store)
    page, url = desk_page, live_server.url

    page.goto(f"{url}/console/login/")
    page.get_by_label("用户名").fill("laoban")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{url}/console/")
    assert page.locator(".topbar h1").inner_text() == "概览"

    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{url}/console/")
    assert page.locator(".topbar h1").inner_text() == "Dashboard"
    nav = page.locator(".sidebar nav").inner_text()
    assert "Members" in nav and "Tiers & points rules" in nav and "会员" not in nav
    page.locator(".chart canvas").first.wait_for()
    page.screenshot(path=SHOTS / "console-dashboard-en.png", full_page=True)

    page.get_by_role("link", name="Tiers & points rules").click()
    page.wait_for_url(f"{url}/console/loyalty/")
    assert page.get_by_role("button", name="Save points rules").is_visible()
    page.screenshot(path=SHOTS / "console-loyalty-en.png", full_page=True)

    page.get_by_role("button", name="中文").click()
    page.wait_for_url(f"{url}/console/loyalty/")  # back on the same page
    assert page.locator(".topbar h1").inner_text() == "等级与积分规则"
