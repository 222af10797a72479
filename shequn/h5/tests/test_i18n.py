"""Member pages in English and Chinese: zh-hans by default, English by cookie or the footer switch."""

import re

import pytest
from django.conf import settings
from django.test import Client

from shequn.core.actor import SYSTEM
from shequn.loyalty.services import earn

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


@pytest.fixture(autouse=True)
def tiers(db):
    from shequn.loyalty.program import ensure_default_tiers

    ensure_default_tiers()


def member_client(member, language=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session["member_id"] = member.pk
    session.save()
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def menu(html: str) -> str:
    return html[html.index('<nav class="panel menu">'):html.index("</nav>")]


def test_card_is_chinese_by_default(member):
    html = member_client(member).get("/m/").content.decode()
    assert '<html lang="zh-hans">' in html
    for label in ("积分明细", "会员隐私政策", "退出登录"):
        assert label in menu(html)
    assert "签到领积分" in html and "会员码" in html and "95折" not in html  # 普通会员: no discount


def test_card_in_english(member, make_member, store):
    html = member_client(member, "en").get("/m/").content.decode()
    assert '<html lang="en">' in html
    nav = menu(html)
    for label in ("Points history", "Member Privacy Policy", "Sign out"):
        assert label in nav, label
    for label in ("积分明细", "会员隐私政策", "退出登录"):
        assert label not in nav, label
    assert not CJK.search(nav)
    for text in ("Member center", "Check in", "Member code", "Show it at checkout",
                 "Spend ¥1,000 more to reach 银卡会员", "Points for daily check-in"):
        assert text in html, text
    assert "普通会员" in html  # the tier's name is data: shown as stored


def test_benefits_in_english_say_percent_off(member):
    from shequn.loyalty.services import set_tier

    set_tier(SYSTEM, member.pk, "gold", "测试")
    html = member_client(member, "en").get("/m/").content.decode()
    assert "5% off on purchases" in html and "Points on purchases ×1.5" in html
    assert "95折" in member_client(member).get("/m/").content.decode()


def test_check_in_message_and_points_page_in_english(member):
    client = member_client(member, "en")
    client.get("/m/")
    r = client.post("/m/check-in/", {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}, follow=True)
    assert "Checked in: +5 points" in r.content.decode()
    earn(SYSTEM, member.pk, 30, source="manual", reason="")
    html = client.get("/m/points/").content.decode()
    assert "Points available" in html and "Earned" in html and "Balance 35" in html


def test_login_page_in_english_with_translated_errors(client, settings):
    settings.DEV_INBOX = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/m/login/").content.decode()
    assert "Sign in / Join" in html and 'data-countdown="Resend in {n} s"' in html
    r = client.post("/m/login/", {"phone": "12345", "action": "send"})
    assert "Please enter a valid 11-digit mainland China mobile number." in r.content.decode()
    r = client.post("/m/login/", {"phone": "13800000000", "code": "123456", "action": "login"})
    assert "Please read and agree to the Member Privacy Policy." in r.content.decode()


def test_footer_switch_changes_the_language(member):
    client = member_client(member)
    html = client.get("/m/points/").content.decode()
    footer = html[html.index('<footer class="footer">'):html.index("</footer>")]
    assert 'action="/i18n/setlang/"' in footer and 'name="next" value="/m/points/"' in footer
    token = client.cookies["csrftoken"].value
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/m/points/", "csrfmiddlewaretoken": token})
    assert r.status_code == 302 and r["Location"] == "/m/points/"
    assert "Points history" in client.get("/m/points/").content.decode()


def test_rate_limit_message_in_english_keeps_the_wait(client, settings):
    settings.DEV_INBOX = False
    settings.OTP_MIN_INTERVAL_SECONDS = 60
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/m/login/", {"phone": "13800000001", "action": "send"})
    r = client.post("/m/login/", {"phone": "13800000001", "action": "send"})
    assert r.status_code == 429
    assert re.search(r"Too many code requests; please try again in (60|59) seconds\.", r.content.decode())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    r = client.post("/m/login/", {"phone": "13800000001", "action": "send"})
    assert "验证码发送太频繁" in r.content.decode()  # in Chinese, the service's own words
