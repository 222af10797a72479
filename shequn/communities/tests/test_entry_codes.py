"""Entry codes (活码): routing by order and by member attributes, overflow groups, QR codes."""

import pytest

from shequn.accounts.actors import member_actor
from shequn.communities import services
from shequn.communities.errors import AllGroupsFull, Blacklisted, InvalidGroup, RulesChanged
from shequn.communities.models import EntryCode, Group, Membership
from shequn.core.errors import Conflict

pytestmark = pytest.mark.django_db


def _group(actor, store, name, capacity=2, **kw):
    return services.create_group(actor, name=name, store=store, capacity=capacity, **kw)


def test_routes_in_order_to_the_first_group_with_room(system_actor, store, make_member):
    a, b = _group(system_actor, store, "一群"), _group(system_actor, store, "二群")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[a.pk, b.pk])
    assert len(code.code) == 8 and services.entry_code_join_url(code) == f"/m/join/{code.code}/"
    groups = [services.join_via_code(system_actor, code.code, make_member(store=store))[0].group_id
              for _ in range(4)]
    assert groups == [a.pk, a.pk, b.pk, b.pk]
    with pytest.raises(AllGroupsFull) as exc:
        services.join_via_code(system_actor, code.code, make_member(store=store))
    assert exc.value.status == 409 and exc.value.type == "all-groups-full"
    assert Membership.objects.filter(entry_code=code).count() == 4


def test_member_already_in_one_of_the_groups_gets_it_back(system_actor, store, member):
    a, b = _group(system_actor, store, "一群"), _group(system_actor, store, "二群")
    services.join_group(system_actor, b, member, accepted_rules_version=None)
    code = services.create_entry_code(system_actor, name="活码", group_ids=[a.pk, b.pk])
    membership, created = services.join_via_code(system_actor, code, member)
    assert membership.group_id == b.pk and created is False
    assert services.target_group(code, member) == b


def test_routes_by_home_store_and_tier(system_actor, store, other_store, make_member):
    from shequn.loyalty.services import ensure_default_tiers

    ensure_default_tiers()
    sh, bj, anyone = (_group(system_actor, store, "上海群", capacity=10),
                      _group(system_actor, other_store, "北京群", capacity=10),
                      _group(system_actor, store, "大群", capacity=10))
    code = services.create_entry_code(system_actor, name="城市活码", routing="attributes", slots=[
        {"group_id": anyone.pk}, {"group_id": sh.pk, "store_code": "SH01"},
        {"group_id": bj.pk, "store_code": "BJ01"}])
    assert services.join_via_code(system_actor, code, make_member(store=store))[0].group_id == sh.pk
    assert services.join_via_code(system_actor, code, make_member(store=other_store))[0].group_id == bj.pk
    assert services.join_via_code(system_actor, code, make_member())[0].group_id == anyone.pk


def test_overflow_group_copies_rules_admins_store_and_capacity(system_actor, store, make_member):
    boss = make_member(store=store)
    first = _group(system_actor, store, "静安宝妈群", capacity=2, rules_text="不发广告", admins=[boss])
    services.set_rules(system_actor, first, "不发广告，不刷屏")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[first.pk], overflow="create")
    fan, late = make_member(store=store), make_member(store=store)
    me = member_actor(late.pk)
    assert services.join_via_code(system_actor, code, fan)[0].group_id == first.pk
    assert services.target_group(code, late) == first  # its rules are the ones the overflow group copies
    membership, created = services.join_via_code(me, code, late, accepted_rules_version=2)
    overflow = membership.group
    assert created and overflow.pk != first.pk and overflow.overflow_of_id == first.pk
    assert overflow.name == "静安宝妈群 2群" and overflow.store == store and overflow.capacity == 2
    rules = services.current_rules(overflow)
    assert (rules.version, rules.text) == (2, "不发广告，不刷屏")
    assert Membership.objects.get(group=overflow, member=boss).role == "owner"
    overflow.refresh_from_db()
    assert overflow.member_count == 2 and membership.rules_version == 2
    code.refresh_from_db()
    assert code.overflow_count == 1


def test_overflow_numbering_follows_a_numbered_name(system_actor, store):
    from shequn.communities.entry_codes import overflow_name

    assert overflow_name(Group(name="宝妈1群"), 3) == "宝妈3群"
    assert overflow_name(Group(name="宝妈群"), 3) == "宝妈群 3群"
    assert len(overflow_name(Group(name="长" * 60), 12)) == 60


def test_rules_changed_when_member_accepted_an_old_version(system_actor, store, member):
    group = _group(system_actor, store, "群", rules_text="一")
    services.set_rules(system_actor, group, "二")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[group.pk])
    with pytest.raises(RulesChanged):
        services.join_via_code(member_actor(member.pk), code, member, accepted_rules_version=1)
    assert not Membership.objects.exists()


def test_blacklisted_and_inactive_code_are_refused(system_actor, store, member, make_member):
    group = _group(system_actor, store, "群")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[group.pk])
    services.blacklist_member(system_actor, member, "广告")
    with pytest.raises(Blacklisted):
        services.join_via_code(system_actor, code, member)
    services.set_entry_code_active(system_actor, code, False)
    with pytest.raises(Conflict) as exc:
        services.join_via_code(system_actor, code, make_member(store=store))
    assert exc.value.type == "entry-code-inactive"


@pytest.mark.parametrize("kwargs", [{"group_ids": []}, {"overflow": "maybe"}, {"routing": "random"},
                                    {"name": ""}])
def test_bad_entry_codes_write_nothing(system_actor, store, kwargs):
    group = _group(system_actor, store, "群")
    with pytest.raises(InvalidGroup):
        services.create_entry_code(system_actor, **{"name": "活码", "group_ids": [group.pk], **kwargs})
    assert not EntryCode.objects.exists()


def test_duplicate_and_archived_groups_are_refused(system_actor, store):
    group = _group(system_actor, store, "群")
    with pytest.raises(InvalidGroup):
        services.create_entry_code(system_actor, name="活码", group_ids=[group.pk, group.pk])
    services.archive_group(system_actor, group)
    with pytest.raises(InvalidGroup):
        services.create_entry_code(system_actor, name="活码", group_ids=[group.pk])


def test_qr_codes_encode_the_absolute_join_url(system_actor, store):
    group = _group(system_actor, store, "群")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[group.pk])
    svg = services.qr_svg(code, "https://shop.example.cn/")
    assert svg.startswith("<svg") and "</svg>" in svg
    png = services.qr_png(code, "https://shop.example.cn")
    assert png.startswith(b"\x89PNG")
    import io

    import segno

    expected = io.BytesIO()
    segno.make(f"https://shop.example.cn/m/join/{code.code}/", error="m").save(
        expected, kind="svg", scale=6, border=2, xmldecl=False, svgns=True)
    assert svg == expected.getvalue().decode()
    assert services.qr_svg(code, "https://other.example.cn") != svg


def test_a_full_groups_rules_do_not_block_routing_to_the_next(system_actor, store, make_member):
    a = _group(system_actor, store, "一群", capacity=1, rules_text="一")
    services.set_rules(system_actor, a, "一改")
    b = _group(system_actor, store, "二群", rules_text="二")
    code = services.create_entry_code(system_actor, name="活码", group_ids=[a.pk, b.pk])
    services.join_via_code(system_actor, code, make_member(store=store))
    late = make_member(store=store)
    assert services.target_group(code, late) == b
    membership, created = services.join_via_code(member_actor(late.pk), code, late, accepted_rules_version=1)
    assert created and membership.group_id == b.pk and membership.rules_version == 1
    a.refresh_from_db()
    assert a.member_count == 1
