"""In Chromium: an operator sends a red packet from the group page and sees who grabbed it."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from .test_browser import log_in

SHOTS = Path(django_settings.BASE_DIR) / "var" / "screenshots"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_sends_red_packet_and_sees_it_grabbed(live_server, desk_page, staff_user, store, other_store,
                                                       make_member):
    from shequn.communities import services
    from shequn.communities.models import GroupDailyMetric, RedPacket
    from shequn.core.actor import SYSTEM

    SHOTS.mkdir(parents=True, exist_ok=True)
    staff_user("community_operator", stores=["SH01"], username="qunyun")
    admin = make_member(store=store, name="群主小王")
    group = services.create_group(SYSTEM, name="静安宝妈群", store=store, capacity=50, rules_text="友善交流",
                                  admins=[admin])
    quiet = services.create_group(SYSTEM, name="静安咖啡群", store=store, admins=[admin])
    services.create_group(SYSTEM, name="朝阳吃货群", store=other_store, admins=[make_member(store=other_store)])
    GroupDailyMetric.objects.create(group=group, day="2026-11-20", members=2, active_members_7d=3)
    GroupDailyMetric.objects.create(group=quiet, day="2026-11-20", members=1, active_members_7d=1)
    member = make_member(store=store, name="李小雨")
    services.join_group(SYSTEM, group, member, accepted_rules_version=1)
    page, url = desk_page, live_server.url

    log_in(page, url, "qunyun")
    page.get_by_role("link", name="社群矩阵").click()
    page.wait_for_url(f"{url}/console/groups/")
    assert page.locator(".group-card").count() == 2  # the Beijing group is outside this operator's stores
    page.screenshot(path=SHOTS / "console-groups-matrix.png", full_page=True)

    page.get_by_role("link", name="静安宝妈群").click()
    page.wait_for_url(f"{url}/console/groups/{group.pk}/")
    red_packet_form = page.locator("#red-packet-form")
    red_packet_form.get_by_label("总金额（元）").fill("8.88")
    red_packet_form.get_by_label("份数").fill("3")
    red_packet_form.get_by_label("类型").select_option("random")
    red_packet_form.get_by_role("button", name="发红包").click()
    page.wait_for_url(f"{url}/console/groups/{group.pk}/#red-packets")
    packet = RedPacket.objects.get(group=group)
    assert packet.total_fen == 888 and packet.count == 3
    assert "已领 0 份" in page.locator(f'[data-red-packet="{packet.pk}"]').inner_text()

    grab = services.grab_red_packet(SYSTEM, packet.pk, member)
    page.reload()
    shown = page.locator(f'[data-red-packet="{packet.pk}"]').inner_text()
    yuan = f"¥{grab.amount_fen // 100}.{grab.amount_fen % 100:02d}"
    assert "已领 1 份" in shown and f"李小雨 {yuan}" in shown
    page.screenshot(path=SHOTS / "console-groups-detail.png", full_page=True)

    code = services.create_entry_code(SYSTEM, name="收银台", group_ids=[group.pk])
    page.goto(f"{url}/console/entry-codes/")
    page.screenshot(path=SHOTS / "console-groups-entry-codes.png", full_page=True)
    page.goto(f"{url}/console/entry-codes/{code.code}/poster/")
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=SHOTS / "console-groups-poster.png", full_page=True)
