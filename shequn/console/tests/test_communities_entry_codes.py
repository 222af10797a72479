"""Console entry codes: attribute routing slots, ordering, enable/disable, rename, joins per code, scoping."""

import pytest

from shequn.communities import services
from shequn.communities.models import EntryCode
from shequn.core.actor import SYSTEM
from shequn.core.errors import Conflict


@pytest.fixture
def groups(store, other_store, make_member):
    def make(name, at):
        return services.create_group(SYSTEM, name=name, store=at, admins=[make_member(store=at)])
    return {"vip": make("静安金卡群", store), "all": make("静安会员群", store), "bj": make("朝阳会员群", other_store)}


def test_attribute_routing_code_routes_by_store_and_tier(owner, groups, tiers, store, make_member):
    response = owner.post("/console/entry-codes/", {
        "name": "收银台", "routing": "attributes", "overflow": "reject",
        "group_0": groups["vip"].pk, "store_0": "SH01", "tier_0": "gold",
        "group_1": groups["all"].pk})
    assert response.status_code == 302
    code = EntryCode.objects.get()
    slots = list(code.slots.order_by("position"))
    assert code.routing == "attributes"
    assert [(s.group_id, s.store_id, s.tier_code) for s in slots] == [
        (groups["vip"].pk, store.pk, "gold"), (groups["all"].pk, None, "")]
    page = owner.get("/console/entry-codes/").content.decode()
    row = page.split(f'data-code="{code.code}"')[1].split("</tr>")[0]
    assert "按会员门店/等级" in row and "上海静安店" in row and "金卡会员" in row

    newcomer = make_member(store=store, name="新会员")
    membership, _ = services.join_via_code(SYSTEM, code.code, newcomer)
    assert membership.group_id == groups["all"].pk  # basic tier: not for the gold group
    page = owner.get("/console/entry-codes/").content.decode()
    assert "data-joins>1" in page.split(f'data-code="{code.code}"')[1]


def test_order_routing_keeps_the_row_order(owner, groups):
    owner.post("/console/entry-codes/", {"name": "门口易拉宝", "routing": "order", "overflow": "create",
                                         "group_0": groups["all"].pk, "group_2": groups["vip"].pk})
    code = EntryCode.objects.get()
    assert list(code.slots.order_by("position").values_list("group_id", flat=True)) == [
        groups["all"].pk, groups["vip"].pk]


@pytest.mark.parametrize("extra, message", [
    ({"routing": "order", "group_0": "vip", "store_0": "SH01"}, "分配方式请选"),
    ({"routing": "attributes", "store_0": "SH01"}, "也请选一个群"),
    ({"routing": "attributes", "group_0": "vip", "group_1": "vip"}, "同一个群只能出现一次"),
    ({"routing": "attributes", "group_0": "vip", "tier_0": "platinum"}, "has-error"),
    ({"routing": "attributes", "group_0": "vip", "store_0": "XX99"}, "has-error"),
    ({"routing": "sideways", "group_0": "vip"}, "has-error"),
    ({"routing": "order"}, "请至少选择一个群"),
])
def test_bad_entry_code_is_refused(owner, groups, tiers, extra, message):
    data = {"name": "坏码", "overflow": "reject"}
    data.update({k: groups[v].pk if k.startswith("group_") else v for k, v in extra.items()})
    response = owner.post("/console/entry-codes/", data)
    assert response.status_code == 422 and message in response.content.decode()
    assert not EntryCode.objects.exists()


def test_disable_enable_and_rename(owner, groups, make_member, store):
    code = services.create_entry_code(SYSTEM, name="收银台", group_ids=[groups["all"].pk])
    owner.post(f"/console/entry-codes/{code.code}/active/", {"active": "0"})
    code.refresh_from_db()
    assert not code.is_active
    row = owner.get("/console/entry-codes/").content.decode().split(f'data-code="{code.code}"')[1].split("</tr>")[0]
    assert "已停用" in row and 'name="active" value="1"' in row
    with pytest.raises(Conflict):
        services.join_via_code(SYSTEM, code.code, make_member(store=store))
    owner.post(f"/console/entry-codes/{code.code}/active/", {"active": "1"})
    code.refresh_from_db()
    assert code.is_active

    response = owner.post(f"/console/entry-codes/{code.code}/rename/", {"name": "  "}, follow=True)
    assert "活码名称需要 1 到 60 个字" in response.content.decode()
    owner.post(f"/console/entry-codes/{code.code}/rename/", {"name": "二楼收银台"})
    code.refresh_from_db()
    assert code.name == "二楼收银台"


def test_scoped_manager_cannot_touch_another_stores_code(console_as, groups):
    far = services.create_entry_code(SYSTEM, name="北京码", group_ids=[groups["bj"].pk])
    manager = console_as("store_manager", stores=["SH01"])
    assert manager.post(f"/console/entry-codes/{far.code}/active/", {"active": "0"}).status_code == 404
    assert manager.post(f"/console/entry-codes/{far.code}/rename/", {"name": "偷改"}).status_code == 404
    far.refresh_from_db()
    assert far.is_active and far.name == "北京码"
    analyst = console_as("analyst")
    assert analyst.post(f"/console/entry-codes/{far.code}/active/", {"active": "0"}).status_code == 403
    page = analyst.get("/console/entry-codes/").content.decode()
    assert "北京码" in page and 'class="rename-form"' not in page and "create-code" not in page
