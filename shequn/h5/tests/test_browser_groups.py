"""Joining a group through an entry code in real Chromium on a phone-sized screen."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_scans_entry_code_accepts_rules_and_joins(live_server, phone_page, store, make_member, system_actor):
    from shequn.communities import services
    from shequn.communities.models import Membership

    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = make_member(store=store, name="群主小李")
    member = make_member(store=store, name="王小雨")
    group = services.create_group(system_actor, name="静安店宝妈群", store=store, capacity=200,
                                  description="静安店宝妈们的育儿交流与亲子活动群",
                                  rules_text="1. 友善交流，互相帮助\n2. 禁止发广告、拉人\n3. 每周五晚八点亲子话题",
                                  admins=[admin])
    services.publish_post(system_actor, group, kind="text", title="欢迎新朋友", body="本周六上午亲子烘焙课，群内报名")
    services.create_red_packet(system_actor, group, total_fen=888, count=8, mode="random", greeting="入群有礼")
    code = services.create_entry_code(system_actor, name="宝妈群活码", group_ids=[group.pk]).code

    page = phone_page
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": _session_for(member),
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/m/join/{code}/")
    assert "静安店宝妈群" in page.locator("[data-group-name]").inner_text()
    assert "禁止发广告" in page.locator("[data-rules]").inner_text()
    page.screenshot(path=SHOTS / "h5-groups-join.png", full_page=True)

    page.get_by_label("我已阅读并同意群规").check()
    page.get_by_role("button", name="加入社群").click()
    page.wait_for_url(f"{live_server.url}/m/groups/{group.pk}/")
    assert "欢迎加入「静安店宝妈群」" in page.locator(".toast").inner_text()
    assert "欢迎新朋友" in page.locator(".feed").inner_text()
    assert Membership.objects.filter(group=group, member=member, left_at__isnull=True).exists()
    page.screenshot(path=SHOTS / "h5-groups-page.png", full_page=True)

    page.get_by_role("button", name="抢").click()
    page.locator("[data-rp-opened]").wait_for()
    assert page.locator("[data-rp-amount]").inner_text().startswith("¥")
    page.wait_for_timeout(1100)
    page.screenshot(path=SHOTS / "h5-groups-red-packet.png")


def _session_for(member) -> str:
    from importlib import import_module

    engine = import_module(django_settings.SESSION_ENGINE)
    session = engine.SessionStore()
    session["member_id"] = member.pk
    session.save()
    return session.session_key
