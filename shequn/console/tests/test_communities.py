"""Console community pages: matrix, group detail, members, rules, red packets, entry codes, poster."""

import pytest

from shequn.communities import services
from shequn.communities.models import EntryCode, Group, GroupDailyMetric, Membership, RedPacket
from shequn.core.actor import SYSTEM


@pytest.fixture
def group(store, make_member):
    admin = make_member(store=store, name="群主小王")
    return services.create_group(SYSTEM, name="静安宝妈群", store=store, capacity=50, rules_text="友善交流",
                                 admins=[admin])


@pytest.fixture
def other_group(other_store, make_member):
    admin = make_member(store=other_store, name="北京群主")
    return services.create_group(SYSTEM, name="朝阳吃货群", store=other_store, admins=[admin])


def join(group, member):
    rules = services.current_rules(group)
    return services.join_group(SYSTEM, group, member, accepted_rules_version=rules.version if rules else None)[0]


def test_matrix_colours_groups_by_latest_health(owner, group, other_group):
    GroupDailyMetric.objects.create(group=group, day="2026-11-01", members=1, active_members_7d=0)
    GroupDailyMetric.objects.create(group=group, day="2026-11-02", members=1, active_members_7d=5)
    page = owner.get("/console/groups/").content.decode()
    assert f'class="group-card health-active" href="/console/groups/{group.pk}/"' in page
    assert f'class="group-card health-dead" href="/console/groups/{other_group.pk}/"' in page
    filtered = owner.get("/console/groups/?health=dead").content.decode()
    assert "朝阳吃货群" in filtered and "静安宝妈群" not in filtered
    by_store = owner.get("/console/groups/?store=SH01").content.decode()
    assert "静安宝妈群" in by_store and "朝阳吃货群" not in by_store


def test_scoped_manager_sees_only_own_store_groups(console_as, group, other_group, store):
    client = console_as("store_manager", stores=["SH01"])
    page = client.get("/console/groups/").content.decode()
    assert "静安宝妈群" in page and "朝阳吃货群" not in page
    assert client.get(f"/console/groups/{group.pk}/").status_code == 200
    assert client.get(f"/console/groups/{other_group.pk}/").status_code == 404
    assert client.post(f"/console/groups/{other_group.pk}/red-packets/",
                       {"total_yuan": "10", "count": "2", "mode": "fixed"}).status_code == 404
    assert not RedPacket.objects.exists()


def test_analyst_sees_but_cannot_change(console_as, group, make_member, store):
    client = console_as("analyst")
    page = client.get(f"/console/groups/{group.pk}/").content.decode()
    assert "静安宝妈群" in page and "red-packet-form" not in page and "拉黑" not in page
    assert "create-group" not in client.get("/console/groups/").content.decode()
    assert client.post("/console/groups/", {"name": "X", "store": "SH01", "capacity": "10"}).status_code == 403
    assert client.post(f"/console/groups/{group.pk}/red-packets/",
                       {"total_yuan": "10", "count": "2", "mode": "fixed"}).status_code == 403
    member = make_member(store=store)
    join(group, member)
    assert client.post(f"/console/groups/{group.pk}/members/{member.pk}/remove/",
                       {"reason": "ads"}).status_code == 403
    assert Group.objects.count() == 1 and not RedPacket.objects.exists()
    assert Membership.objects.filter(group=group, member=member, left_at__isnull=True).exists()


def test_create_group_and_form_errors(owner, store):
    response = owner.post("/console/groups/", {"name": "", "store": "SH01", "capacity": "900"})
    assert response.status_code == 200 and not Group.objects.exists()
    page = response.content.decode()
    assert "has-error" in page
    response = owner.post("/console/groups/", {"name": "静安新会员群", "store": "SH01", "capacity": "150",
                                               "rules_text": "禁止广告"})
    group = Group.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/groups/{group.pk}/"
    assert group.capacity == 150 and services.current_rules(group).text == "禁止广告"


def test_rules_edit_creates_a_new_version(owner, group):
    assert owner.post(f"/console/groups/{group.pk}/rules/", {"text": ""}).status_code == 422
    assert services.current_rules(group).version == 1
    owner.post(f"/console/groups/{group.pk}/rules/", {"text": "友善交流，禁止广告"})
    rules = services.current_rules(group)
    assert rules.version == 2 and rules.text == "友善交流，禁止广告"
    assert "第 2 版" in owner.get(f"/console/groups/{group.pk}/").content.decode()


def test_set_role_seed_remove_and_last_admin(owner, group, make_member, store):
    member = make_member(store=store, name="李四")
    join(group, member)
    owner.post(f"/console/groups/{group.pk}/members/{member.pk}/role/", {"role": "kol"})
    owner.post(f"/console/groups/{group.pk}/members/{member.pk}/role/", {"seed": "1"})
    membership = Membership.objects.get(group=group, member=member, left_at__isnull=True)
    assert membership.role == "kol" and membership.is_seed
    admin = Membership.objects.get(group=group, role="owner").member
    response = owner.post(f"/console/groups/{group.pk}/members/{admin.pk}/remove/", {"reason": "spam"}, follow=True)
    assert Membership.objects.filter(group=group, member=admin, left_at__isnull=True).exists()
    assert '<li class="error">' in response.content.decode()
    owner.post(f"/console/groups/{group.pk}/members/{member.pk}/remove/", {"reason": "ads"})
    membership.refresh_from_db()
    assert membership.left_at is not None and membership.leave_reason == "ads"


def test_blacklist_from_group_page(owner, group, make_member, store):
    from shequn.communities.models import Blacklist
    member = make_member(store=store)
    join(group, member)
    owner.post(f"/console/groups/{group.pk}/members/{member.pk}/remove/", {"reason": "poaching", "blacklist": "1"})
    assert Blacklist.objects.filter(member=member).exists()
    assert not Membership.objects.filter(group=group, member=member, left_at__isnull=True).exists()


def test_red_packet_create_and_errors(owner, group, make_member, store):
    url = f"/console/groups/{group.pk}/red-packets/"
    response = owner.post(url, {"total_yuan": "0.03", "count": "5", "mode": "random"})
    assert response.status_code == 422 and "每份至少 1 分" in response.content.decode()
    assert owner.post(url, {"total_yuan": "5000", "count": "5", "mode": "random"}).status_code == 422
    assert not RedPacket.objects.exists()
    response = owner.post(url, {"total_yuan": "10.00", "count": "4", "mode": "fixed", "greeting": "周末快乐"})
    assert response.status_code == 302
    packet = RedPacket.objects.get()
    assert packet.total_fen == 1000 and packet.count == 4 and packet.mode == "fixed"
    member = make_member(store=store, name="抢红包的人")
    join(group, member)
    services.grab_red_packet(SYSTEM, packet.pk, member)
    page = owner.get(f"/console/groups/{group.pk}/").content.decode()
    assert "抢红包的人 ¥2.50" in page and "已领 1 份" in page


def test_entry_codes_create_list_and_poster(owner, group, other_group):
    response = owner.post("/console/entry-codes/", {"name": "门店收银台", "overflow": "reject", "routing": "order"})
    assert response.status_code == 422 and not EntryCode.objects.exists()
    assert "请至少选择一个群" in response.content.decode()
    response = owner.post("/console/entry-codes/", {"name": "门店收银台", "overflow": "create", "routing": "order",
                                                    "group_0": group.pk})
    assert response.status_code == 302
    code = EntryCode.objects.get()
    assert code.overflow == "create" and list(code.groups.all()) == [group]
    page = owner.get("/console/entry-codes/").content.decode()
    assert code.code in page and "门店收银台" in page
    poster = owner.get(f"/console/entry-codes/{code.code}/poster/").content.decode()
    assert "<svg" in poster and "静安宝妈群" in poster and "上海静安店" in poster and "@media print" in poster


def test_entry_code_outside_scope_is_404(console_as, store, other_group):
    code = services.create_entry_code(SYSTEM, name="北京码", group_ids=[other_group.pk])
    client = console_as("store_manager", stores=["SH01"])
    assert code.code not in client.get("/console/entry-codes/").content.decode()
    assert client.get(f"/console/entry-codes/{code.code}/poster/").status_code == 404
    response = client.post("/console/entry-codes/", {"name": "偷用", "overflow": "reject", "routing": "order",
                                                     "group_0": other_group.pk})
    assert response.status_code == 422 and EntryCode.objects.count() == 1


def test_violation_reports_review(console_as, owner, group, other_group, make_member, store, other_store):
    from shequn.communities.models import ViolationReport
    from shequn.loyalty.models import PointsEntry
    reporter, offender = make_member(store=store, name="举报人甲"), make_member(store=store, name="广告哥")
    join(group, reporter)
    join(group, offender)
    report = services.report_violation(SYSTEM, group, reporter, offender, "ads", "发了三次广告")
    far_reporter, far_offender = make_member(store=other_store), make_member(store=other_store)
    join(other_group, far_reporter)
    join(other_group, far_offender)
    far = services.report_violation(SYSTEM, other_group, far_reporter, far_offender, "spam")

    manager = console_as("store_manager", stores=["SH01"])
    page = manager.get("/console/groups/reports/").content.decode()
    assert f'data-report="{report.pk}"' in page and f'data-report="{far.pk}"' not in page
    assert manager.post(f"/console/groups/reports/{far.pk}/review/", {"valid": "1"}).status_code == 404
    assert console_as("analyst").get("/console/groups/reports/").status_code == 403

    manager.post(f"/console/groups/reports/{report.pk}/review/", {"valid": "1"})
    report.refresh_from_db()
    assert report.status == "valid"
    assert PointsEntry.objects.filter(member=reporter, source="violation_report").count() == 1
    response = manager.post(f"/console/groups/reports/{report.pk}/review/", {"valid": "1"}, follow=True)
    assert PointsEntry.objects.filter(member=reporter, source="violation_report").count() == 1
    assert '<li class="error">' in response.content.decode()
    assert ViolationReport.objects.get(pk=far.pk).status == "pending"


def test_heatmap_best_slot_and_suggestions(owner, console_as, group, make_member, store):
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from shequn.communities.events import record_event
    from shequn.communities.models import Suggestion

    member = make_member(store=store, name="潜水员")
    join(group, member)
    now = timezone.now().astimezone(ZoneInfo("Asia/Shanghai"))
    slot = (now - dt.timedelta(days=2)).replace(hour=20, minute=15)
    for n in range(3):
        record_event(group.pk, "message", event_id=f"msg:{n}", member_id=member.pk, occurred_at=slot)
    page = owner.get(f"/console/groups/{group.pk}/?days=90").content.decode()
    weekday = "一二三四五六日"[slot.weekday()]
    assert f"周{weekday} 20:00" in page and 'id="group-chart"' in page and "<strong>90</strong>" in page

    remove = Suggestion.objects.create(kind="remove_freeloader", group=group, member=member, reason="只抢红包")
    revive = Suggestion.objects.create(kind="revive_dead", group=group, reason="14 天无互动")
    page = owner.get(f"/console/groups/{group.pk}/").content.decode()
    assert f'data-suggestion="{remove.pk}"' in page and "只抢红包" in page
    assert console_as("analyst").post(f"/console/groups/suggestions/{remove.pk}/decide/",
                                      {"accept": "1"}).status_code == 403
    owner.post(f"/console/groups/suggestions/{remove.pk}/decide/", {"accept": "1"})
    owner.post(f"/console/groups/suggestions/{revive.pk}/decide/", {"accept": "0"})
    remove.refresh_from_db()
    revive.refresh_from_db()
    assert remove.status == "accepted" and revive.status == "rejected"
    assert Membership.objects.get(group=group, member=member).leave_reason == "inactivity"
