"""Console group activation: posts (scheduled, Q&A), polls, activities (QR, attendance), timeline, costs."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.models import Activity, GroupCost, Poll, Post
from shequn.core.actor import SYSTEM


@pytest.fixture
def group(store, make_member):
    admin = make_member(store=store, name="群主小王")
    return services.create_group(SYSTEM, name="静安宝妈群", store=store, capacity=50, rules_text="友善交流",
                                 admins=[admin])


@pytest.fixture
def other_group(other_store, make_member):
    return services.create_group(SYSTEM, name="朝阳吃货群", store=other_store,
                                 admins=[make_member(store=other_store, name="北京群主")])


def join(group, member):
    return services.join_group(SYSTEM, group, member, accepted_rules_version=1)[0]


def local(delta: dt.timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def page_of(client, group) -> str:
    return client.get(f"/console/groups/{group.pk}/").content.decode()


# Posts

def test_text_post_now_and_scheduled_post_waits_until_due(owner, group):
    url = f"/console/groups/{group.pk}/posts/"
    response = owner.post(url, {"kind": "text", "body": "今晚 8 点团购接龙"})
    assert response.status_code == 302 and response["Location"].endswith("#posts")
    later = owner.post(url, {"kind": "product", "title": "有机草莓", "product_ref": "SKU-1001",
                             "scheduled_at": local(dt.timedelta(hours=2))})
    assert later.status_code == 302
    now_post, scheduled = Post.objects.order_by("id")
    assert now_post.published_at is not None and scheduled.published_at is None
    page = page_of(owner, group)
    block = page.split(f'data-post="{scheduled.pk}"')[1].split("</li>")[0]
    assert "待发布" in block and "SKU-1001" in block
    assert services.publish_due_posts(timezone.now() + dt.timedelta(hours=3)) == 1
    block = page_of(owner, group).split(f'data-post="{scheduled.pk}"')[1].split("</li>")[0]
    assert "待发布" not in block


@pytest.mark.parametrize("data, message", [
    ({"kind": "link", "title": "团购说明"}, "链接需要填写链接地址"),
    ({"kind": "image", "image_url": "ftp://x/a.png"}, "图片地址需以 https:// 或 / 开头"),
    ({"kind": "text", "body": "x", "scheduled_at": "2020-01-01T08:00"}, "定时发布时间必须晚于现在"),
    ({"kind": "text", "body": "x", "scheduled_at": "明天"}, "has-error"),
    ({"kind": "poll", "body": "x"}, "has-error"),
    ({"kind": "challenge", "body": "没有标题"}, "话题挑战需要填写标题"),
])
def test_bad_post_shows_a_readable_error_and_writes_nothing(owner, group, data, message):
    response = owner.post(f"/console/groups/{group.pk}/posts/", data)
    assert response.status_code == 422 and message in response.content.decode()
    assert 'id="group-chart"' in response.content.decode()  # the whole page again, charts included
    assert not Post.objects.exists()


def test_question_shows_admin_answer_time_and_challenge_entries(owner, group, make_member, store):
    owner.post(f"/console/groups/{group.pk}/posts/", {"kind": "question", "body": "宝宝几个月可以吃辅食？"})
    owner.post(f"/console/groups/{group.pk}/posts/", {"kind": "challenge", "title": "晒出你的早餐"})
    question, challenge = Post.objects.order_by("id")
    assert "待解答" in page_of(owner, group)
    mum = make_member(store=store, name="李小雨")
    join(group, mum)
    services.reply_to_post(SYSTEM, challenge, body="全麦面包+牛奶", member=mum)
    services.reply_to_post(SYSTEM, question, body="一般 6 个月左右。", staff_label="营养师小林")
    page = page_of(owner, group)
    block = page.split(f'data-post="{question.pk}"')[1].split("</li>")[0]
    assert "营养师小林 于" in block and "解答（用时 0 分钟）" in block and "1 条回复" in block
    assert "1 人参与" in page.split(f'data-post="{challenge.pk}"')[1].split("</li>")[0]


# Polls

def test_poll_created_and_results_shown_as_bars(owner, group, make_member, store):
    response = owner.post(f"/console/groups/{group.pk}/polls/", {
        "title": "周末活动选哪天", "options": "周六\n\n周日\n", "multiple": "on",
        "deadline": local(dt.timedelta(days=1))})
    assert response.status_code == 302
    poll = Poll.objects.get()
    assert poll.multiple and [o.text for o in poll.options.all()] == ["周六", "周日"]
    sat, sun = poll.options.all()
    voters = [make_member(store=store) for _ in range(2)]
    for v in voters:
        join(group, v)
    services.vote(SYSTEM, poll, voters[0], [sat.pk, sun.pk])
    services.vote(SYSTEM, poll, voters[1], [sat.pk])
    block = page_of(owner, group).split(f'data-poll="{poll.pk}"')[1].split('data-poll=')[0]
    assert "2 人投票" in block and "多选" in block
    assert re.search(r'周六</span>\s*<span class="bar"><span style="width:100.0%">', block)
    assert re.search(r'周日</span>\s*<span class="bar"><span style="width:50.0%">', block)


@pytest.mark.parametrize("data, message", [
    ({"title": "只有一个", "options": "周六", "deadline": "+1"}, "请填写 2 到 10 个选项"),
    ({"title": "重复", "options": "周六\n周六", "deadline": "+1"}, "选项不能重复"),
    ({"title": "过去", "options": "A\nB", "deadline": "2020-01-01T08:00"}, "截止时间必须晚于现在"),
    ({"title": "", "options": "A\nB", "deadline": "+1"}, "has-error"),
    ({"title": "多", "options": "\n".join(str(i) for i in range(11)), "deadline": "+1"}, "请填写 2 到 10 个选项"),
])
def test_bad_poll_is_refused(owner, group, data, message):
    if data["deadline"] == "+1":
        data = {**data, "deadline": local(dt.timedelta(days=1))}
    response = owner.post(f"/console/groups/{group.pk}/polls/", data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not Poll.objects.exists() and not Post.objects.exists()


# Activities

def activity_data(**over):
    return {"title": "周末亲子烘焙课", "kind": "in_store", "capacity": "12", "location": "二楼烘焙教室",
            "starts_at": local(dt.timedelta(hours=1)), "ends_at": local(dt.timedelta(hours=3)), **over}


def test_activity_created_with_check_in_qr_and_attendance(owner, group, make_member, store):
    response = owner.post(f"/console/groups/{group.pk}/activities/", activity_data())
    activity = Activity.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/groups/activities/{activity.pk}/#activity"
    assert (activity.group_id, activity.store_id, activity.capacity) == (group.pk, store.pk, 12)
    came, absent = make_member(store=store, name="到了的"), make_member(store=store, name="没来的")
    for m in (came, absent):
        join(group, m)
        services.sign_up(SYSTEM, activity, m)
    services.check_in_activity(SYSTEM, activity.checkin_token, came)
    page = owner.get(f"/console/groups/activities/{activity.pk}/").content.decode()
    assert re.search(r'data-checked-in>1<', page) and re.search(r"data-signups>2<", page)
    assert "已签到" in page.split(f'data-attendee="{came.pk}"')[1].split("</tr>")[0]
    assert "未到" in page.split(f'data-attendee="{absent.pk}"')[1].split("</tr>")[0]
    qr = owner.get(f"/console/groups/activities/{activity.pk}/qr/").content.decode()
    assert "<svg" in qr and f"http://testserver/m/activities/checkin/{activity.checkin_token}/" in qr
    assert "@media print" in qr
    assert f'data-activity="{activity.pk}"' in page_of(owner, group)


@pytest.mark.parametrize("over, message", [
    ({"ends_at": local(dt.timedelta(minutes=30))}, "结束时间必须晚于开始时间"),
    ({"location": ""}, "到店活动请填写地点"),
    ({"capacity": "0"}, "has-error"),
    ({"capacity": "abc"}, "has-error"),
    ({"starts_at": "2020-01-01T08:00", "ends_at": "2020-01-01T09:00"}, "结束时间不能早于现在"),
    ({"starts_at": local(dt.timedelta(days=-40)), "ends_at": local(dt.timedelta(days=1))},
     "An activity starts at most 30 days ago"),
    ({"kind": "yacht"}, "has-error"),
])
def test_bad_activity_is_refused(owner, group, over, message):
    response = owner.post(f"/console/groups/{group.pk}/activities/", activity_data(**over))
    assert response.status_code == 422 and message in response.content.decode()
    assert not Activity.objects.exists()


def test_online_activity_needs_no_location(owner, group):
    response = owner.post(f"/console/groups/{group.pk}/activities/", activity_data(kind="online", location=""))
    assert response.status_code == 302 and Activity.objects.get().kind == "online"


# Timeline and costs

def test_timeline_lists_group_happenings_newest_first(owner, group, make_member, store):
    from shequn.communities.attribution import attribute_order, attribute_refund

    mum, spammer = make_member(store=store, name="李小雨"), make_member(store=store, name="广告哥")
    join(group, mum)
    join(group, spammer)
    services.remove_member(SYSTEM, group, spammer, reason="ads", note="发了三次二维码")
    services.publish_post(SYSTEM, group, kind="text", body="欢迎新朋友")
    services.create_red_packet(SYSTEM, group, total_fen=888, count=3, mode="random")
    services.reply_to_post(SYSTEM, Post.objects.get(), body="谢谢", member=mum)  # a touch for attribution
    attribute_order(mum.pk, "SO1", 9900, timezone.now())
    attribute_refund(mum.pk, "SO1", "RF1", 2000, timezone.now())
    page = page_of(owner, group)
    timeline = page.split('id="timeline"')[1].split("</section>")[0]
    kinds = re.findall(r'data-timeline="(\w+)"', timeline)
    assert kinds[:4] == ["refund", "order", "red_packet", "post"]
    assert set(kinds) >= {"join", "leave"}
    assert "广告哥 被移出：发广告" in timeline and "发了三次二维码" in timeline
    assert "李小雨 下单 ¥99.00（SO1）" in timeline and "李小雨 退款 -¥20.00（SO1）" in timeline
    assert "发红包 ¥8.88 / 3 份" in timeline and "李小雨 入群" in timeline


def test_timeline_pages_with_more(owner, group, make_member, store):
    for i in range(35):
        services.publish_post(SYSTEM, group, kind="text", body=f"第{i}条")
    first = page_of(owner, group).split('id="timeline"')[1].split("</section>")[0]
    assert first.count('data-timeline="post"') == 30 and "第34条" in first and "第4条" not in first
    more = re.search(r'hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")
    partial = owner.get(more, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "第4条" in partial and "第34条" not in partial
    full = owner.get(more).content.decode()
    assert "<html" in full and "第0条" in full
    assert owner.get(f"/console/groups/{group.pk}/timeline/?before=yesterday").status_code == 422


def test_cost_ledger_lists_all_kinds_with_total(owner, group):
    packet = services.create_red_packet(SYSTEM, group, total_fen=1000, count=2, mode="fixed")
    GroupCost.objects.create(group=group, kind="red_packet_refund", amount_fen=-400, ref=f"rp:{packet.pk}")
    GroupCost.objects.create(group=group, kind="activity", amount_fen=2500, ref="烘焙材料")
    costs = page_of(owner, group).split('id="costs"')[1].split("</section>")[0]
    assert "<strong data-cost-total>¥31.00</strong>" in costs
    assert "红包退回" in costs and "-¥4.00" in costs and "烘焙材料" in costs and "¥25.00" in costs


# Permissions and store scoping

def test_store_manager_cannot_see_or_act_on_another_stores_group(console_as, group, other_group):
    client = console_as("store_manager", stores=["SH01"])
    for path, data in [("posts", {"kind": "text", "body": "x"}), ("polls", {"title": "x", "options": "a\nb",
                       "deadline": local(dt.timedelta(days=1))}), ("activities", activity_data())]:
        assert client.post(f"/console/groups/{other_group.pk}/{path}/", data).status_code == 404
    assert client.get(f"/console/groups/{other_group.pk}/timeline/").status_code == 404
    far = services.create_activity(SYSTEM, store=other_group.store, group=other_group, title="北京品鉴会",
                                   starts_at=timezone.now() + dt.timedelta(hours=1),
                                   ends_at=timezone.now() + dt.timedelta(hours=2), capacity=10)
    assert client.get(f"/console/groups/activities/{far.pk}/").status_code == 404
    assert client.get(f"/console/groups/activities/{far.pk}/qr/").status_code == 404
    assert not Post.objects.exists() and Activity.objects.count() == 1
    assert client.post(f"/console/groups/{group.pk}/posts/", {"kind": "text", "body": "本店通知"}).status_code == 302


def test_analyst_sees_content_but_cannot_create(console_as, group):
    client = console_as("analyst")
    page = page_of(client, group)
    assert 'id="posts"' in page and "post-form" not in page and "poll-form" not in page
    assert "activity-form" not in page
    assert client.post(f"/console/groups/{group.pk}/posts/", {"kind": "text", "body": "x"}).status_code == 403
    assert client.post(f"/console/groups/{group.pk}/activities/", activity_data()).status_code == 403
    assert not Post.objects.exists() and not Activity.objects.exists()


def test_timeline_pages_lose_nothing_when_many_things_happen_at_the_same_instant(owner, group, make_member, store):
    from shequn.communities.models import Membership

    moment = timezone.now() - dt.timedelta(hours=1)
    mums = [make_member(store=store, name=f"团购妈妈{i:02d}") for i in range(65)]
    Membership.objects.bulk_create(Membership(group=group, member=m, joined_at=moment) for m in mums)
    seen, url = [], f"/console/groups/{group.pk}/timeline/"
    page = owner.get(url, headers={"HX-Request": "true"}).content.decode()
    while True:
        seen += re.findall(r"(团购妈妈\d\d|群主小王) 入群", page)
        more = re.search(r'hx-get="([^"]+)"', page)
        if not more:
            break
        page = owner.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).content.decode()
    assert len(seen) == 66 and len(set(seen)) == 66
    assert owner.get(url + "?skip=-1").status_code == 422
