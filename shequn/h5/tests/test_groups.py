"""Member group pages: joining through an entry code, the group page, red packets, polls, activities."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shequn.communities import services
from shequn.communities.models import GroupEvent, Membership, RedPacketGrab

pytestmark = pytest.mark.django_db


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


@pytest.fixture
def admin(make_member, store):
    return make_member(store=store, name="群主小李")


@pytest.fixture
def group(system_actor, store, admin):
    return services.create_group(system_actor, name="静安店1群", store=store, capacity=3,
                                 description="静安店会员交流", rules_text="1. 友善交流\n2. 禁止广告", admins=[admin])


@pytest.fixture
def code(system_actor, group):
    return services.create_entry_code(system_actor, name="静安店活码", group_ids=[group.pk]).code


def test_join_needs_login_and_comes_back(client, code):
    response = client.get(f"/m/join/{code}/")
    assert response.status_code == 302
    assert response["Location"] == f"/m/login/?next=%2Fm%2Fjoin%2F{code}%2F"


def test_join_page_shows_group_and_rules_then_joins(member, group, code):
    client = logged_in(member)
    page = client.get(f"/m/join/{code}/").content.decode()
    assert "静安店1群" in page and "上海静安店" in page and "2 / 3 人" not in page and "1 / 3 人" in page
    assert "禁止广告" in page and "我已阅读并同意群规" in page
    refused = client.post(f"/m/join/{code}/", {"rules_version": "1"})
    assert refused.status_code == 400 and "请先阅读并勾选同意群规" in refused.content.decode()
    assert not Membership.objects.filter(member=member).exists()

    response = client.post(f"/m/join/{code}/", {"rules_version": "1", "accept": "1"})
    assert response.status_code == 302 and response["Location"] == f"/m/groups/{group.pk}/"
    membership = Membership.objects.get(member=member, group=group)
    assert membership.rules_version == 1
    assert GroupEvent.objects.filter(group=group, member=member, kind="join").count() == 1

    again = client.get(f"/m/join/{code}/", follow=True)
    assert again.redirect_chain[-1][0] == f"/m/groups/{group.pk}/"
    assert "你已经在「静安店1群」里了" in again.content.decode()


def test_rules_changed_meanwhile_shows_new_rules(member, group, code, system_actor):
    client = logged_in(member)
    services.set_rules(system_actor, group, "新群规：每周五晚八点分享")
    response = client.post(f"/m/join/{code}/", {"rules_version": "1", "accept": "1"})
    page = response.content.decode()
    assert response.status_code == 409
    assert "群规刚刚更新了" in page and "每周五晚八点分享" in page and 'value="2"' in page
    assert not Membership.objects.filter(member=member).exists()


def test_all_groups_full_is_readable(make_member, store, member, group, code, system_actor):
    services.join_group(system_actor, group, make_member(store=store), accepted_rules_version=None)
    services.join_group(system_actor, group, make_member(store=store), accepted_rules_version=None)
    client = logged_in(member)
    page = client.get(f"/m/join/{code}/").content.decode()
    assert "这个活码下的群都已满员" in page
    response = client.post(f"/m/join/{code}/", {"rules_version": "1", "accept": "1"})
    assert response.status_code == 409 and "这个活码下的群都已满员" in response.content.decode()
    assert not Membership.objects.filter(member=member).exists()


def test_blacklisted_member_is_refused(member, code, system_actor):
    services.blacklist_member(system_actor, member, "发广告")
    client = logged_in(member)
    assert "已被限制加入社群" in client.get(f"/m/join/{code}/").content.decode()
    response = client.post(f"/m/join/{code}/", {"rules_version": "1", "accept": "1"})
    assert response.status_code == 403 and "已被限制加入社群" in response.content.decode()
    assert not Membership.objects.filter(member=member).exists()


def test_unknown_code_is_404(member):
    assert logged_in(member).get("/m/join/nope1234/").status_code == 404


def test_group_page_only_for_members(member, group, system_actor):
    services.publish_post(system_actor, group, kind="text", title="今晚直播", body="晚上八点见")
    client = logged_in(member)
    outsider = client.get(f"/m/groups/{group.pk}/")
    assert outsider.status_code == 403 and "今晚直播" not in outsider.content.decode()
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    page = client.get(f"/m/groups/{group.pk}/").content.decode()
    assert "今晚直播" in page and "晚上八点见" in page
    assert "静安店1群" in client.get("/m/groups/").content.decode()


def test_group_page_shows_question_answer_poll_and_activity(member, admin, group, store, system_actor):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    question = services.publish_post(system_actor, group, kind="question", body="周末几点开门？")
    services.reply_to_post(system_actor, question, body="周末早上九点开门", staff_label="店长")
    poll = services.create_poll(system_actor, group, title="下次活动做什么", options=["烘焙", "插花"],
                                deadline=timezone.now() + dt.timedelta(days=2))
    activity = services.create_activity(system_actor, store=store, group=group, title="周六烘焙课",
                                        starts_at=timezone.now() + dt.timedelta(days=3),
                                        ends_at=timezone.now() + dt.timedelta(days=3, hours=2), capacity=10)
    client = logged_in(member)
    page = client.get(f"/m/groups/{group.pk}/").content.decode()
    assert "周末早上九点开门" in page and "管理员回答" in page and "周六烘焙课" in page
    assert "data-poll-results" not in page  # results only after voting

    option = poll.options.get(text="插花")
    client.post(f"/m/polls/{poll.pk}/vote/", {"option": option.pk})
    page = client.get(f"/m/groups/{group.pk}/").content.decode()
    assert "data-poll-results" in page and "1 · 100.0%" in page
    assert GroupEvent.objects.filter(kind="poll_vote", member=member).count() == 1

    client.post(f"/m/activities/{activity.pk}/sign-up/")
    page = client.get(f"/m/groups/{group.pk}/").content.decode()
    assert "已报名" in page
    checkin = client.post(f"/m/activities/checkin/{activity.checkin_token}/")
    assert checkin.status_code == 409 and "活动开始前 2 小时" in checkin.content.decode()


def test_activity_check_in_confirms(member, group, store, system_actor):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    activity = services.create_activity(system_actor, store=store, group=group, title="咖啡品鉴",
                                        starts_at=timezone.now() + dt.timedelta(minutes=30),
                                        ends_at=timezone.now() + dt.timedelta(hours=2), capacity=10)
    client = logged_in(member)
    assert "确认签到" in client.get(f"/m/activities/checkin/{activity.checkin_token}/").content.decode()
    response = client.post(f"/m/activities/checkin/{activity.checkin_token}/")
    assert response.status_code == 200 and "签到成功" in response.content.decode()
    assert GroupEvent.objects.filter(kind="activity_checkin", member=member).count() == 1


def test_grab_states(make_member, store, member, group, system_actor):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed", greeting="周末快乐")
    client = logged_in(member)
    assert 'data-rp-state="open"' in client.get(f"/m/groups/{group.pk}/").content.decode()
    response = client.post(f"/m/red-packets/{packet.pk}/grab/", follow=True)
    page = response.content.decode()
    assert "data-rp-opened" in page and "¥1.00" in page and 'data-rp-state="grabbed"' in page
    assert RedPacketGrab.objects.filter(member=member).count() == 1
    again = client.post(f"/m/red-packets/{packet.pk}/grab/", follow=True).content.decode()
    assert "你已经抢过这个红包了" in again and "data-rp-opened" not in again

    other = make_member(store=store)
    services.join_group(system_actor, group, other, accepted_rules_version=None)
    other_client = logged_in(other)
    assert 'data-rp-state="empty"' in other_client.get(f"/m/groups/{group.pk}/").content.decode()
    late = other_client.post(f"/m/red-packets/{packet.pk}/grab/", follow=True)
    assert "手慢了，红包已被抢完" in late.content.decode()

    expired = services.create_red_packet(system_actor, group, total_fen=200, count=2, mode="random")
    type(expired).objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert 'data-rp-state="expired"' in other_client.get(f"/m/groups/{group.pk}/").content.decode()
    assert "红包已过期" in other_client.post(f"/m/red-packets/{expired.pk}/grab/", follow=True).content.decode()


def test_outsider_cannot_grab(make_member, store, group, system_actor):
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed")
    outsider = make_member(store=store)
    logged_in(outsider).post(f"/m/red-packets/{packet.pk}/grab/")
    assert not RedPacketGrab.objects.exists()


def test_leave_and_report(make_member, store, member, admin, group, system_actor):
    services.join_group(system_actor, group, member, accepted_rules_version=None)
    client = logged_in(member)
    response = client.post(f"/m/groups/{group.pk}/report/", {"offender": admin.pk, "reason": "ads", "note": "发广告"})
    assert response.status_code == 302
    assert group.reports.get().reporter == member
    bad = client.post(f"/m/groups/{group.pk}/report/", {"offender": "", "reason": "ads"})
    assert bad.status_code == 400 and group.reports.count() == 1

    assert client.post(f"/m/groups/{group.pk}/leave/").status_code == 302
    assert Membership.objects.get(member=member, group=group).left_at is not None
    assert client.get(f"/m/groups/{group.pk}/").status_code == 403
    last_admin = logged_in(admin).post(f"/m/groups/{group.pk}/leave/")
    assert last_admin.status_code == 409 and "唯一的管理员" in last_admin.content.decode()
