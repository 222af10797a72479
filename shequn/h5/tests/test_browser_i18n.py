"""Switching the member pages between 中文 and English in real Chromium."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_switches_the_card_to_english(live_server, phone_page, store, system_actor):
    from django.contrib.sessions.backends.db import SessionStore

    from shequn.loyalty.program import ensure_default_tiers
    from shequn.members.services import create_member

    ensure_default_tiers()
    member = create_member(system_actor, phone="13912345679", name="李小雪", store=store)
    session = SessionStore()
    session["member_id"] = member.pk
    session.create()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, url = phone_page, live_server.url
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session.session_key,
                               "url": url}])

    page.goto(f"{url}/m/")
    assert page.get_by_role("button", name="签到领积分").is_visible()
    page.get_by_role("button", name="English").click()
    page.wait_for_url(f"{url}/m/")
    page.get_by_role("button", name="Check in", exact=True).click()
    page.locator(".toast").filter(has_text="Checked in: +").wait_for()
    assert "Points history" in page.locator("nav.menu").inner_text()
    page.screenshot(path=SHOTS / "h5-card-en.png", full_page=True)
