"""Creating, changing and archiving groups; rules versions; store scoping."""

import pytest

from shequn.accounts.roles import Role, permissions_for
from shequn.communities import selectors, services
from shequn.communities.errors import GroupNotFound, InvalidGroup
from shequn.communities.models import Dimension, Group, GroupRules
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.core.models import AuditEntry, OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(store):
    return Actor(kind="staff", id="9", label="店长", role=Role.STORE_MANAGER, store_ids=frozenset({store.pk}),
                 permissions=permissions_for(Role.STORE_MANAGER))


def test_create_group_with_rules_admins_audit_and_outbox(system_actor, store, make_member):
    Dimension.objects.create(code="mom", name="宝妈", kind="interest")
    boss = make_member(store=store)
    group = services.create_group(system_actor, name=" 静安宝妈群 ", store=store, capacity=300, dimension="mom",
                                  rules_text="不发广告", admins=[boss], topic_calendar={"0": "周一早餐分享"})
    assert group.name == "静安宝妈群" and group.capacity == 300 and group.member_count == 1
    assert group.dimension.code == "mom" and group.topic_calendar == {"0": "周一早餐分享"}
    assert services.current_rules(group).version == 1
    assert [m.member_id for m in selectors.group_admins(group)] == [boss.pk]
    assert AuditEntry.objects.filter(action="group.created", object_id=str(group.pk)).exists()
    assert OutboxEvent.objects.filter(topic="group.created", aggregate_id=str(group.pk)).exists()


@pytest.mark.parametrize("kwargs", [{"name": ""}, {"name": "x" * 61}, {"capacity": 0}, {"capacity": 501},
                                    {"dimension": "nope"}, {"topic_calendar": {"9": "x"}},
                                    {"topic_calendar": ["周一"]}])
def test_bad_group_settings_write_nothing(system_actor, store, kwargs):
    with pytest.raises(InvalidGroup):
        services.create_group(system_actor, **{"name": "群", "store": store, **kwargs})
    assert not Group.objects.exists() and not AuditEntry.objects.filter(action="group.created").exists()


def test_capacity_cannot_drop_below_member_count(system_actor, store, make_member):
    group = services.create_group(system_actor, name="群", store=store, capacity=5)
    for _ in range(3):
        services.join_group(system_actor, group, make_member(store=store), accepted_rules_version=None)
    with pytest.raises(InvalidGroup):
        services.update_group(system_actor, group, capacity=2)
    assert services.update_group(system_actor, group, capacity=3, name="新名字").capacity == 3
    with pytest.raises(InvalidGroup):
        services.update_group(system_actor, group, status="archived")


def test_archive_is_idempotent(system_actor, store):
    group = services.create_group(system_actor, name="群", store=store)
    services.archive_group(system_actor, group)
    archived = services.archive_group(system_actor, group)
    assert archived.status == "archived" and archived.archived_at is not None
    assert AuditEntry.objects.filter(action="group.archived").count() == 1


def test_rules_versions_increase_and_same_text_is_no_new_version(system_actor, store):
    group = services.create_group(system_actor, name="群", store=store)
    assert services.set_rules(system_actor, group, "一").version == 1
    assert services.set_rules(system_actor, group, "一").version == 1
    assert services.set_rules(system_actor, group, "二").version == 2
    assert GroupRules.objects.filter(group=group).count() == 2
    with pytest.raises(InvalidGroup):
        services.set_rules(system_actor, group, "  ")


def test_store_manager_is_scoped_to_own_stores(system_actor, manager, store, other_store, make_member):
    own = services.create_group(manager, name="本店群", store=store)
    foreign = services.create_group(system_actor, name="外店群", store=other_store)
    with pytest.raises(PermissionDenied):
        services.create_group(manager, name="越权群", store=other_store)
    assert list(selectors.groups_visible_to(manager)) == [own]
    with pytest.raises(GroupNotFound) as exc:
        selectors.get_group(manager, foreign.pk)
    assert exc.value.status == 404
    for attempt in (lambda: services.update_group(manager, foreign, name="x"),
                    lambda: services.set_rules(manager, foreign, "x"),
                    lambda: services.archive_group(manager, foreign),
                    lambda: services.join_group(manager, foreign, make_member(store=store),
                                                accepted_rules_version=None)):
        with pytest.raises(GroupNotFound):
            attempt()
    foreign.refresh_from_db()
    assert foreign.name == "外店群" and foreign.member_count == 0


def test_matrix_and_member_groups(system_actor, store, member):
    Dimension.objects.create(code="region", name="区域", kind="region", sort=1)
    Dimension.objects.create(code="vip", name="VIP", kind="tier", sort=2)
    a = services.create_group(system_actor, name="静安群", store=store, dimension="region")
    b = services.create_group(system_actor, name="VIP群", store=store, dimension="vip")
    services.archive_group(system_actor, services.create_group(system_actor, name="旧群", store=store,
                                                               dimension="vip"))
    columns = selectors.matrix(system_actor)
    assert [(c["dimension"].code, c["groups"]) for c in columns] == [("region", [a]), ("vip", [b])]
    services.join_group(system_actor, b, member, accepted_rules_version=None)
    assert list(selectors.member_groups(member)) == [b]
