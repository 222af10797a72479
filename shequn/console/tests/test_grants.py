import pytest
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from shequn.core.actor import SYSTEM
from shequn.loyalty import services
from shequn.loyalty.models import BulkGrant, PointsEntry

pytestmark = pytest.mark.django_db
URL = reverse("console:bulk_grants")
TABLE_URL = reverse("console:bulk_grants_table")


def post(client, token="a" * 32, **fields):
    data = {"target": "list", "members_text": "", "tier": "", "store": "", "points": "100",
            "reason": "店庆回馈", "token": token}
    data.update(fields)
    return client.post(URL, data)


def enqueued_grant_ids():
    return [r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path__endswith="run_bulk_grant")]


def test_grant_by_member_numbers_and_phones(owner, make_member, store):
    a = make_member(store=store, phone="13900000001")
    b = make_member(store=store, phone="13900000002")
    make_member(store=store)  # not listed
    r = post(owner, members_text=f"{a.member_no}\n\n139 0000 0002\n{a.member_no}\n")
    assert r.status_code == 302
    grant = BulkGrant.objects.get()
    assert (grant.total, grant.points, grant.reason) == (2, 100, "店庆回馈")
    assert sorted(grant.items.values_list("member_id", flat=True)) == sorted([a.pk, b.pk])
    assert enqueued_grant_ids() == [grant.pk]
    assert "已创建发放任务" in owner.get(URL).content.decode()


def test_uploaded_list_file_is_used(owner, make_member, store):
    from django.core.files.uploadedfile import SimpleUploadedFile

    a = make_member(store=store)
    b = make_member(store=store, phone="13900000003")
    listing = SimpleUploadedFile("list.csv", f"\ufeff{a.member_no}\r\n13900000003\r\n".encode())
    assert post(owner, members_file=listing).status_code == 302
    assert sorted(BulkGrant.objects.get().items.values_list("member_id", flat=True)) == sorted([a.pk, b.pk])


def test_unknown_lines_are_reported_and_nothing_is_created(owner, make_member, store):
    a = make_member(store=store)
    r = post(owner, members_text=f"{a.member_no}\nM99999999\n13911112222\nhello")
    html = r.content.decode()
    assert "第 2 行「M99999999」" in html and "第 3 行「13911112222」" in html and "第 4 行「hello」" in html
    assert not BulkGrant.objects.exists() and not DBTaskResult.objects.exists()


def test_same_token_twice_creates_one_grant(owner, make_member, store):
    a = make_member(store=store)
    post(owner, members_text=a.member_no)
    post(owner, members_text=a.member_no)
    assert BulkGrant.objects.count() == 1
    assert len(enqueued_grant_ids()) == 1


def test_grant_by_filter(owner, make_member, store, other_store, tiers):
    gold = make_member(store=store)
    make_member(store=store)
    make_member(store=other_store)
    services.set_tier(SYSTEM, gold.pk, "gold", "测试")
    post(owner, target="filter", tier="gold", store="SH01")
    assert list(BulkGrant.objects.get().items.values_list("member_id", flat=True)) == [gold.pk]
    post(owner, token="b" * 32, target="filter", store="SH01")
    assert BulkGrant.objects.order_by("-id").first().total == 2


@pytest.mark.parametrize("fields,message", [
    ({"members_text": ""}, "请填写会员名单或上传名单文件"),
    ({"points": "0"}, "积分必须大于 0"),
    ({"points": "x"}, "积分必须是整数"),
    ({"reason": " "}, "请填写发放原因"),
    ({"token": ""}, "表单已过期"),
    ({"target": "filter", "tier": "platinum"}, "请从列表中选择等级"),
])
def test_bad_input_is_readable_and_writes_nothing(owner, member, fields, message):
    fields.setdefault("members_text", member.member_no)
    r = post(owner, **fields)
    assert message in r.content.decode()
    assert not BulkGrant.objects.exists()


def test_filter_matching_nobody_is_refused(owner, member, tiers):
    r = post(owner, target="filter", tier="diamond")
    assert "没有选中任何会员" in r.content.decode()
    assert not BulkGrant.objects.exists()


def test_progress_polls_while_running_and_stops_when_done(owner, make_member, store):
    members = [make_member(store=store) for _ in range(3)]
    post(owner, members_text="\n".join(m.member_no for m in members))
    grant = BulkGrant.objects.get()
    table = owner.get(TABLE_URL).content.decode()
    assert 'hx-trigger="every 2s"' in table and "0 / 3" in table and "排队中" in table
    services.run_bulk_grant(grant.pk, SYSTEM)
    table = owner.get(TABLE_URL).content.decode()
    assert "every 2s" not in table and "3 / 3" in table and "已完成" in table
    assert PointsEntry.objects.filter(source="bulk_grant").count() == 3


def test_roles_without_bulk_grant_get_403(console_as, member):
    client = console_as("store_manager", stores=["SH01"])
    assert client.get(URL).status_code == 403
    assert client.get(TABLE_URL).status_code == 403
    assert post(client, members_text=member.member_no).status_code == 403
    assert not BulkGrant.objects.exists()
