"""In Chromium: an operator creates a poll and an activity from the group page, sees the poll's bars and
the activity's check-in QR, and then its attendance after a member checks in."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from .test_browser import log_in

SHOTS = Path("/tmp/shots-issue4")


def local(delta: dt.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_creates_poll_and_activity_and_sees_check_in_qr(live_server, desk_page, staff_user, store,
                                                                 make_member):
    from shequn.communities import services
    from shequn.communities.models import Activity, Poll
    from shequn.core.actor import SYSTEM

    SHOTS.mkdir(parents=True, exist_ok=True)
    staff_user("community_operator", stores=["SH01"], username="qunyun")
    admin = make_member(store=store, name="群主小王")
    group = services.create_group(SYSTEM, name="静安宝妈群", store=store, capacity=50, rules_text="友善交流",
                                  admins=[admin])
    mums = [make_member(store=store, name=name) for name in ("李小雨", "陈晨", "周周")]
    for mum in mums:
        services.join_group(SYSTEM, group, mum, accepted_rules_version=1)
    page, url = desk_page, live_server.url
    log_in(page, url, "qunyun")
    page.goto(f"{url}/console/groups/{group.pk}/")

    poll_form = page.locator("#poll-form")
    poll_form.get_by_label("投票主题").fill("下周亲子活动选哪天？")
    poll_form.get_by_label("选项（每行一个，2–10 个）").fill("周六上午\n周六下午\n周日上午")
    poll_form.get_by_label("截止时间").fill(local(dt.timedelta(days=2)))
    poll_form.get_by_role("button", name="发起投票").click()
    page.wait_for_url(f"{url}/console/groups/{group.pk}/#polls")
    poll = Poll.objects.get(post__group=group)
    assert [o.text for o in poll.options.all()] == ["周六上午", "周六下午", "周日上午"] and not poll.multiple
    first, second = poll.options.all()[:2]
    services.vote(SYSTEM, poll, mums[0], [first.pk])
    services.vote(SYSTEM, poll, mums[1], [first.pk])
    services.vote(SYSTEM, poll, mums[2], [second.pk])
    page.reload()
    shown = page.locator(f'[data-poll="{poll.pk}"]')
    assert "3 人投票" in shown.inner_text() and "2 票 · 67%" in shown.inner_text()
    width = shown.locator(".bar > span").first.evaluate("e => e.getBoundingClientRect().width")
    track = shown.locator(".bar").first.evaluate("e => e.getBoundingClientRect().width")
    assert 0.6 < width / track < 0.72  # the bar really is two thirds long

    form = page.locator("#activity-form")
    form.get_by_label("活动名称").fill("周末亲子烘焙课")
    form.get_by_label("形式").select_option("in_store")
    form.get_by_label("名额").fill("12")
    form.get_by_label("开始时间").fill(local(dt.timedelta(hours=1)))
    form.get_by_label("结束时间").fill(local(dt.timedelta(hours=3)))
    form.get_by_label("地点 / 线上链接").fill("静安店二楼烘焙教室")
    form.get_by_role("button", name="创建活动").click()
    activity = Activity.objects.get(group=group)
    page.wait_for_url(f"{url}/console/groups/activities/{activity.pk}/")
    assert activity.capacity == 12 and activity.store_id == store.pk and activity.location == "静安店二楼烘焙教室"

    services.sign_up(SYSTEM, activity, mums[0])
    services.check_in_activity(SYSTEM, activity.checkin_token, mums[0])
    services.sign_up(SYSTEM, activity, mums[1])
    page.reload()
    assert page.locator("[data-checked-in]").inner_text() == "1"
    assert "已签到" in page.locator(f'[data-attendee="{mums[0].pk}"]').inner_text()
    assert "未到" in page.locator(f'[data-attendee="{mums[1].pk}"]').inner_text()
    page.screenshot(path=SHOTS / "activity-attendance.png", full_page=True)

    with page.expect_popup() as popup:
        page.get_by_role("link", name="打开签到二维码（可打印）").click()
    qr_page = popup.value
    qr_page.wait_for_load_state()
    assert qr_page.locator(".qr svg").count() == 1
    assert f"/m/activities/checkin/{activity.checkin_token}/" in qr_page.locator(".url").inner_text()
    qr_page.screenshot(path=SHOTS / "activity-qr.png", full_page=True)

    page.goto(f"{url}/console/groups/{group.pk}/")
    timeline = page.locator("#timeline").inner_text()
    assert "创建活动" in timeline and "发起投票" in timeline and "李小雨 入群" in timeline
    page.screenshot(path=SHOTS / "group-detail.png", full_page=True)
