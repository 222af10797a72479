"""PostgreSQL, real threads and connections: simultaneous scans of one entry code never overfill a group
and open exactly one overflow group."""

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.errors import AllGroupsFull
from shequn.communities.models import Group, Membership
from shequn.core.tests.threads import run_together
from shequn.members.models import Member
from shequn.members.services import next_member_numbers

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scanners(store):
    numbers = next_member_numbers(450)
    return list(Member.objects.bulk_create(
        Member(member_no=no, name=f"扫码会员{i}", home_store=store, external_id=f"scan-{i}",
               joined_at=timezone.now())
        for i, no in enumerate(numbers)))


def _two_groups(actor, store, overflow):
    groups = [services.create_group(actor, name=f"静安宝妈{i}群", store=store, capacity=200,
                                    rules_text="不发广告") for i in (1, 2)]
    return groups, services.create_entry_code(actor, name="静安门店活码", group_ids=[g.pk for g in groups],
                                              overflow=overflow)


WORKERS = 30  # PostgreSQL allows 100 connections by default: 30 threads start together, 15 scans each


def _scan_all(actor, code, scanners):
    def scan_share(worker: int) -> list:
        results = []
        for member in scanners[worker::WORKERS]:
            try:
                results.append(services.join_via_code(actor, code.code, member))
            except Exception as exc:  # collected for the test to inspect
                results.append(exc)
        return results

    per_worker = run_together(WORKERS, scan_share, timeout=120)
    crashed = [r for r in per_worker if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    return [r for share in per_worker for r in share]


def test_450_scans_fill_two_groups_and_open_exactly_one_overflow_group(system_actor, store, scanners):
    (first, second), code = _two_groups(system_actor, store, "create")
    results = _scan_all(system_actor, code, scanners)
    errors = [r for r in results if not isinstance(r, tuple)]
    assert not errors, errors[:3]
    assert all(created for _, created in results)
    groups = list(Group.objects.order_by("id"))
    assert len(groups) == 3
    overflow = groups[2]
    assert overflow.name == "静安宝妈3群" and overflow.overflow_of_id == first.pk
    assert [g.member_count for g in groups] == [200, 200, 50]
    for g in groups:
        assert Membership.objects.filter(group=g, left_at__isnull=True).count() == g.member_count <= g.capacity
    assert services.current_rules(overflow).text == "不发广告"
    assert Membership.objects.filter(left_at__isnull=True).values("member").distinct().count() == 450
    code.refresh_from_db()
    assert code.overflow_count == 1 and code.slots.count() == 3


def test_450_scans_with_reject_seat_400_and_refuse_50(system_actor, store, scanners):
    groups, code = _two_groups(system_actor, store, "reject")
    results = _scan_all(system_actor, code, scanners)
    joined = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, AllGroupsFull)]
    assert len(joined) == 400 and len(refused) == 50, [r for r in results if not isinstance(r, tuple)][:3]
    assert all(r.type == "all-groups-full" and r.status == 409 for r in refused)
    assert Group.objects.count() == 2
    assert sorted(Group.objects.values_list("member_count", flat=True)) == [200, 200]
    assert Membership.objects.filter(left_at__isnull=True).count() == 400


def test_same_member_scanning_twenty_times_at_once_joins_once(system_actor, store, scanners):
    _, code = _two_groups(system_actor, store, "create")
    member = scanners[0]
    results = run_together(20, lambda i: services.join_via_code(system_actor, code.code, member))
    assert all(isinstance(r, tuple) for r in results), results
    assert sum(created for _, created in results) == 1
    assert Membership.objects.filter(member=member, left_at__isnull=True).count() == 1


def test_40_simultaneous_joins_of_one_group_of_30_seat_exactly_30(system_actor, store, scanners):
    from shequn.communities.errors import GroupFull

    group = services.create_group(system_actor, name="秒满群", store=store, capacity=30)
    results = run_together(40, lambda i: services.join_group(system_actor, group, scanners[i],
                                                               accepted_rules_version=None))
    assert sum(isinstance(r, tuple) for r in results) == 30
    assert sum(isinstance(r, GroupFull) for r in results) == 10, [r for r in results if not isinstance(r, tuple)]
    group.refresh_from_db()
    assert group.member_count == 30 == Membership.objects.filter(group=group, left_at__isnull=True).count()


def test_40_simultaneous_http_scans_over_two_groups_of_15_open_one_overflow_group(make_token, system_actor, store,
                                                                                   scanners):
    from django.test import Client

    groups = [services.create_group(system_actor, name=f"小群{i}群", store=store, capacity=15) for i in (1, 2)]
    code = services.create_entry_code(system_actor, name="活码", group_ids=[g.pk for g in groups],
                                      overflow="create")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {make_token()}"}

    def scan(i):
        r = Client().post(f"/api/v1/entry-codes/{code.code}/join", {"member_id": scanners[i].pk},
                          content_type="application/json", HTTP_IDEMPOTENCY_KEY=f"scan-{i}", **headers)
        return r.status_code, r.json()

    results = run_together(40, scan)
    assert [s for s, _ in results].count(201) == 40, [b for s, b in results if s != 201][:3]
    assert [g.member_count for g in Group.objects.order_by("id")] == [15, 15, 10]
    assert Group.objects.order_by("id").last().name == "小群3群"


def test_two_admins_demoting_each_other_at_once_leave_one_admin(system_actor, store, scanners):
    from shequn.communities.errors import LastAdmin

    for round_ in range(5):
        a, b = scanners[2 * round_], scanners[2 * round_ + 1]
        group = services.create_group(system_actor, name=f"双管理群{round_}", store=store, admins=[a, b])
        pair = (a, b)
        results = run_together(2, lambda i, g=group, pair=pair: services.set_role(system_actor, g, pair[i], "member"))
        assert sum(isinstance(r, Membership) for r in results) == 1, results
        assert sum(isinstance(r, LastAdmin) for r in results) == 1, results
        assert Membership.objects.filter(group=group, role__in=["owner", "admin"], left_at__isnull=True).count() == 1
