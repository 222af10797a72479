"""The console in English and Chinese: zh-hans by default, English by cookie, header or the switch."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
NAV_ZH = ["概览", "会员", "导入会员", "积分与等级", "等级与积分规则", "批量发积分", "操作日志", "员工与 API 令牌"]
NAV_EN = ["Dashboard", "Members", "Import members", "Points & tiers", "Tiers & points rules",
          "Bulk points grants", "Audit log", "Staff & API tokens"]
CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"


def sidebar(html: str) -> str:
    return html[html.index('<aside class="sidebar">'):html.index("</aside>")]


def topbar(html: str) -> str:
    return html[html.index('<header class="topbar">'):html.index("</header>")]


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_chinese_is_the_default(owner, tiers):
    html = owner.get("/console/").content.decode()
    assert '<html lang="zh-hans">' in html
    for label in NAV_ZH:
        assert f"{label}</a>" in sidebar(html) or f">{label}</li>" in sidebar(html), label
    assert "会员总数" in html and "Members" not in sidebar(html)


def test_dashboard_in_english_by_cookie(owner, tiers):
    html = in_english(owner).get("/console/").content.decode()
    assert '<html lang="en">' in html
    nav = sidebar(html)
    for label in NAV_EN:
        assert label in nav, label
    for label in NAV_ZH:
        assert label not in nav, label
    assert not CJK.search(nav), CJK.findall(nav)
    assert "Sign out" in topbar(html) and "退出" not in topbar(html)
    assert "Owner" in topbar(html)  # the role badge
    for text in ("New this week", "Active members", "Outstanding points", "Tier distribution",
                 "Points flow, last 30 days"):
        assert text in html, text
    assert '"members": "members"' in html  # the chart words, for console.js


def test_member_list_in_english_keeps_data_as_it_is(owner, tiers, make_member, store):
    make_member(store=store, name="王小明")
    make_member(store=store, name="李娜")
    html = in_english(owner).get("/console/members/").content.decode()
    for text in ("Search members", "Full phone number, member number or name", "Member no.", "Phone",
                 "Joined", ">2</b> members in total"):
        assert text in html, text
    assert not CJK.search(sidebar(html))
    for label in ("搜索会员", "会员号", "入会时间", "位会员"):
        assert label not in html, label
    assert "王小明" in html and "上海静安店" in html and "普通会员" in html  # names are data
    html = owner.get("/console/members/?q=王小明").content.decode()
    assert 'Found <b class="num" id="member-count">1</b> member</p>' in html  # one member, singular


def test_accept_language_picks_english_and_the_cookie_wins(owner, tiers):
    assert "Dashboard" in sidebar(owner.get("/console/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode())
    owner.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    html = owner.get("/console/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "概览" in sidebar(html)


def test_form_errors_and_messages_follow_the_language(owner, member):
    r = in_english(owner).post(f"/console/members/{member.pk}/adjust/", {"points": "0", "reason": " ",
                                                                          "token": "t" * 32})
    html = r.content.decode()
    assert "Points cannot be 0." in html and "Please enter a reason for the adjustment." in html
    r = owner.post(f"/console/members/{member.pk}/adjust/", {"points": "25", "reason": "补偿", "token": "u" * 32},
                   follow=True)
    assert "Added 25 points; the balance is now 25." in r.content.decode()


def test_loyalty_settings_errors_in_english(owner, tiers):
    from .test_loyalty_settings import URL, program_post, tier_post

    r = in_english(owner).post(URL, tier_post(tiers, gold={"min_spend_fen": "500"}))
    html = r.content.decode()
    assert 'The 12-month spend threshold of "金卡会员" must be higher than that of "银卡会员".' in html.replace(
        "&quot;", '"')
    assert "Discount ‰" in html and "Save tiers" in html
    r = owner.post(URL, program_post(offset_cap_pct="150", checkin_streak_bonus="3=5"))
    html = r.content.decode().replace("&quot;", '"')
    assert "Points payment cap % cannot be more than 100." in html
    assert '"3=5" is not in the right format; use days:points, e.g. 7:20.' in html


def test_language_switch_posts_to_setlang_and_returns(owner, tiers):
    html = owner.get("/console/members/?q=abc").content.decode()
    switch = html[html.index('<form class="lang-switch"'):]
    switch = switch[:switch.index("</form>")]
    assert 'action="/i18n/setlang/"' in switch and 'name="csrfmiddlewaretoken"' in switch
    assert 'name="next" value="/console/members/?q=abc"' in switch
    assert 'value="en"' in switch and ">English<" in switch and ">中文<" in switch
    r = owner.post("/i18n/setlang/", {"language": "en", "next": "/console/members/?q=abc"})
    assert r.status_code == 302 and r["Location"] == "/console/members/?q=abc"
    assert r.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert "Members" in sidebar(owner.get("/console/").content.decode())


def test_login_page_has_the_switch_and_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/console/login/").content.decode()
    assert "Shequn Operator Console" in html and "Username" in html and "Password" in html
    assert 'action="/i18n/setlang/"' in html
    assert not CJK.search(html.replace(">中文<", "><"))


def read_po(path: Path) -> dict[str, str]:
    """msgid -> msgstr (plural forms joined by |) from a .po file; a msgid with a context is keyed
    "context\x04msgid", as gettext itself stores it."""
    entries, current, key = {}, {}, None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        match = re.match(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d\])?) (".*")$', line)
        if match:
            key = match[1]
            current[key] = ast.literal_eval(match[2])  # a PO string literal reads as a Python one
        elif line.startswith('"') and key:
            current[key] += ast.literal_eval(line)
        elif not line.strip() and current:
            if current.get("msgid"):
                strs = [v for k, v in sorted(current.items()) if k.startswith("msgstr")]
                context = current.get("msgctxt")
                entries[f"{context}\x04{current['msgid']}" if context else current["msgid"]] = "|".join(strs)
            current, key = {}, None
    return entries


def test_english_catalogue_is_complete_and_compiled():
    po = read_po(CATALOGUE / "django.po")
    assert len(po) > 300
    untranslated = [msgid for msgid, msgstr in po.items() if not msgstr.strip("|")]
    assert not untranslated
    with open(CATALOGUE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for msgid, msgstr in po.items():
        if "\x04" in msgid:
            assert compiled.pgettext(*msgid.split("\x04")) == msgstr, f"django.mo is older ({msgid!r})"
            continue
        got = compiled.gettext(msgid) if "|" not in msgstr else "|".join(
            compiled.ngettext(msgid, msgid, n) for n in (1, 2))
        assert got == msgstr, f"django.mo is older than django.po ({msgid!r}): run compilemessages"
