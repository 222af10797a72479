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
    page.wait_for_url(f"{url}/console/groups/activities/{activity.pk}/#activity")
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


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_operator_routes_an_entry_code_by_tier_and_reads_the_group_story(live_server, desk_page, staff_user, store,
                                                                         make_member):
    from shequn.communities import services
    from shequn.communities.attribution import attribute_order, attribute_refund
    from shequn.communities.models import EntryCode
    from shequn.core.actor import SYSTEM
    from shequn.loyalty.program import ensure_default_tiers

    ensure_default_tiers()
    staff_user("community_operator", stores=["SH01"], username="qunyun")
    admin = make_member(store=store, name="群主小王")
    vip = services.create_group(SYSTEM, name="静安金卡群", store=store, admins=[admin])
    everyone = services.create_group(SYSTEM, name="静安会员群", store=store, admins=[admin])
    page, url = desk_page, live_server.url
    log_in(page, url, "qunyun")
    page.goto(f"{url}/console/entry-codes/")
    form = page.locator("#create-code")
    form.get_by_label("名称").fill("收银台")
    form.get_by_label("分配方式").select_option("attributes")
    form.get_by_label("第 1 个群").select_option(label="静安金卡群（上海静安店）")
    form.locator("[name=tier_0]").select_option("gold")
    form.get_by_label("第 2 个群").select_option(label="静安会员群（上海静安店）")
    form.get_by_role("button", name="创建活码").click()
    page.wait_for_url(f"{url}/console/entry-codes/")
    code = EntryCode.objects.get()
    assert code.routing == "attributes" and code.slots.get(group=vip).tier_code == "gold"
    mum = make_member(store=store, name="李小雨")
    assert services.join_via_code(SYSTEM, code.code, mum)[0].group_id == everyone.pk
    page.reload()
    page.screenshot(path=SHOTS / "entry-codes.png", full_page=True)
    page.locator(f'[data-code="{code.code}"]').get_by_role("button", name="停用").click()
    page.wait_for_url(f"{url}/console/entry-codes/")
    assert "已停用" in page.locator(f'[data-code="{code.code}"]').inner_text()

    post = services.publish_post(SYSTEM, everyone, kind="question", body="周末有亲子活动吗？")
    services.reply_to_post(SYSTEM, post, body="有的，周六上午烘焙课。", staff_label="小林")
    services.publish_post(SYSTEM, everyone, kind="link", title="团购说明", url="https://example.com/tuan")
    services.create_red_packet(SYSTEM, everyone, total_fen=888, count=3, mode="random")
    services.reply_to_post(SYSTEM, post, body="太好了", member=mum)
    attribute_order(mum.pk, "SO1", 9900, timezone.now())
    attribute_refund(mum.pk, "SO1", "RF1", 2000, timezone.now())
    spammer = make_member(store=store, name="广告哥")
    services.join_group(SYSTEM, everyone, spammer, accepted_rules_version=None)
    services.remove_member(SYSTEM, everyone, spammer, reason="ads", note="发二维码")
    page.goto(f"{url}/console/groups/{everyone.pk}/")
    assert "广告哥 被移出：发广告" in page.locator("#timeline").inner_text()
    assert "¥8.88" in page.locator("#costs [data-cost-total]").inner_text()
    page.get_by_label("类型").first.select_option("link")
    assert page.locator("#post_url").is_visible() and not page.locator("#post_product_ref").is_visible()
    page.screenshot(path=SHOTS / "group-detail-story.png", full_page=True)
