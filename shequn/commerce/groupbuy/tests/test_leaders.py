import pytest

from shequn.accounts.actors import member_actor
from shequn.commerce.groupbuy import leaders, selectors
from shequn.commerce.groupbuy.errors import InvalidLeaderApplication, LeaderStateConflict, NotTheLeader
from shequn.commerce.groupbuy.models import Leader, LeaderApplication
from shequn.core.errors import PermissionDenied
from shequn.core.models import AuditEntry
from shequn.stores.models import PickupPoint

pytestmark = pytest.mark.django_db


def _apply(actor, member, store, **kw):
    data = {"point_name": "幸福里自提点", "address": "幸福里小区 3 号楼门口", "hours": "9:00-20:00", "store": store}
    data.update(kw)
    return leaders.apply(actor, member, **data)


def test_member_applies_operator_approves(system_actor, member, store):
    application = _apply(member_actor(member.pk), member, store)
    assert application.status == LeaderApplication.Status.PENDING
    leader = leaders.approve(system_actor, application)
    assert len(leader.code) == 6 and set(leader.code) <= set(leaders.CODE_ALPHABET)
    point = leader.pickup_point
    assert (point.name, point.store, point.is_active) == ("幸福里自提点", store, True)
    assert point.address == "幸福里小区 3 号楼门口"
    application.refresh_from_db()
    assert application.status == LeaderApplication.Status.APPROVED and application.decided_by == "test"
    assert selectors.leader_by_code(leader.code.lower()) == leader
    assert AuditEntry.objects.filter(action="groupbuy.leader_approved").count() == 1


def test_approving_twice_is_refused(system_actor, member, store):
    application = _apply(system_actor, member, store)
    leaders.approve(system_actor, application)
    with pytest.raises(LeaderStateConflict):
        leaders.approve(system_actor, application)
    assert Leader.objects.count() == 1 and PickupPoint.objects.count() == 1


def test_reject_needs_a_reason_and_then_the_member_may_apply_again(system_actor, member, store):
    application = _apply(system_actor, member, store)
    with pytest.raises(InvalidLeaderApplication):
        leaders.reject(system_actor, application, reason="  ")
    leaders.reject(system_actor, application, reason="地址不在配送范围")
    application.refresh_from_db()
    assert (application.status, application.reject_reason) == ("rejected", "地址不在配送范围")
    again = _apply(system_actor, member, store)
    assert again.status == "pending"


def test_one_pending_application_per_member(system_actor, member, store):
    _apply(system_actor, member, store)
    with pytest.raises(LeaderStateConflict):
        _apply(system_actor, member, store, point_name="另一个点")
    assert LeaderApplication.objects.count() == 1


@pytest.mark.parametrize("field, value", [("point_name", ""), ("address", " "), ("point_name", "点" * 61),
                                          ("hours", "x" * 61), ("note", "x" * 201)])
def test_bad_application_writes_nothing(system_actor, member, store, field, value):
    with pytest.raises(InvalidLeaderApplication) as err:
        _apply(system_actor, member, store, **{field: value})
    assert err.value.extra["field"] == field
    assert not LeaderApplication.objects.exists()


def test_closed_store_and_other_member_are_refused(system_actor, member, make_member, store):
    store.is_active = False
    store.save()
    with pytest.raises(InvalidLeaderApplication):
        _apply(system_actor, member, store)
    store.is_active = True
    store.save()
    with pytest.raises(NotTheLeader):
        _apply(member_actor(make_member(store=store).pk), member, store)


def test_members_and_store_managers_cannot_approve(member, store, system_actor):
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor
    application = _apply(system_actor, member, store)
    with pytest.raises(PermissionDenied):
        leaders.approve(member_actor(member.pk), application)
    manager = Actor(kind="staff", id="9", label="mgr", role=Role.STORE_MANAGER, store_ids=frozenset({store.pk}),
                    permissions=permissions_for(Role.STORE_MANAGER))
    with pytest.raises(PermissionDenied):
        leaders.approve(manager, application)


def test_suspend_closes_the_point_and_resume_opens_it(system_actor, leader):
    leaders.suspend(system_actor, leader, reason="投诉核实中")
    leader.refresh_from_db()
    leader.pickup_point.refresh_from_db()
    assert leader.status == "suspended" and not leader.pickup_point.is_active
    leaders.resume(system_actor, leader)
    leader.refresh_from_db()
    leader.pickup_point.refresh_from_db()
    assert leader.status == "active" and leader.pickup_point.is_active


def test_link_and_qr(leader):
    assert leaders.leader_path(leader) == f"/m/gb/{leader.code}/"
    svg = leaders.qr_svg(leader, base_url="https://shop.example.cn")
    assert svg.startswith("<svg") and "</svg>" in svg


def test_store_scoping_of_leaders(system_actor, make_leader, make_member, other_store, store):
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor
    mine = make_leader()
    theirs = make_leader(point_name="朝阳点", store_=other_store, member=make_member(store=other_store))
    manager = Actor(kind="staff", id="9", label="mgr", role=Role.STORE_MANAGER, store_ids=frozenset({store.pk}),
                    permissions=permissions_for(Role.STORE_MANAGER))
    assert list(selectors.leaders_visible_to(manager)) == [mine]
    assert set(selectors.leaders_visible_to(system_actor)) == {mine, theirs}
