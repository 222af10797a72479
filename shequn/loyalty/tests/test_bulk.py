"""Bulk grants: one job per key, never granting a member twice, even when resumed."""

import pytest

from shequn.core.errors import ValidationProblem
from shequn.loyalty import points, services
from shequn.loyalty.models import BulkGrant, BulkGrantItem, PointsEntry

from .helpers import assert_ledger_consistent, balance_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(make_member, store):
    return [make_member(store=store) for _ in range(5)]


def grant_entries(grant):
    return PointsEntry.objects.filter(source="bulk_grant", ref=f"grant:{grant.pk}")


def test_grant_runs_once_per_member(system_actor, members, prog):
    ids = [m.pk for m in members]
    grant, created = services.create_bulk_grant(system_actor, idempotency_key="618-bonus", points_each=100,
                                                reason="618 活动", member_ids=ids + ids[:2])
    assert created and grant.total == 5 and grant.status == "pending"
    done = services.run_bulk_grant(grant.pk, system_actor)
    assert (done.status, done.granted, done.total) == ("done", 5, 5) and done.finished_at
    assert [balance_of(i) for i in ids] == [100] * 5
    services.run_bulk_grant(grant.pk, system_actor)  # a retry after success grants nothing
    assert grant_entries(grant).count() == 5
    for i in ids:
        assert_ledger_consistent(i)


def test_same_key_same_payload_returns_the_first_job(system_actor, members, prog):
    ids = [m.pk for m in members]
    first, _ = services.create_bulk_grant(system_actor, idempotency_key="k1", points_each=10, reason="r",
                                          member_ids=ids)
    again, created = services.create_bulk_grant(system_actor, idempotency_key="k1", points_each=10, reason="r",
                                                member_ids=list(reversed(ids)))
    assert not created and again.pk == first.pk
    assert BulkGrant.objects.count() == 1


@pytest.mark.parametrize("change", [{"points_each": 11}, {"reason": "other"}, {"drop_one": True}])
def test_same_key_different_payload_is_refused(system_actor, members, prog, change):
    ids = [m.pk for m in members]
    services.create_bulk_grant(system_actor, idempotency_key="k2", points_each=10, reason="r", member_ids=ids)
    kwargs = {"points_each": 10, "reason": "r", "member_ids": ids[:-1] if change.pop("drop_one", False) else ids}
    kwargs.update(change)
    with pytest.raises(ValidationProblem) as exc:
        services.create_bulk_grant(system_actor, idempotency_key="k2", **kwargs)
    assert exc.value.type == "idempotency-key-reused" and exc.value.status == 422
    assert BulkGrant.objects.count() == 1


def test_a_job_interrupted_half_way_resumes_without_granting_twice(system_actor, members, prog, monkeypatch):
    ids = [m.pk for m in members]
    grant, _ = services.create_bulk_grant(system_actor, idempotency_key="k3", points_each=7, reason="补偿",
                                          member_ids=ids)
    real_earn, calls = points.earn, []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("worker killed")
        return real_earn(*args, **kwargs)

    monkeypatch.setattr(points, "earn", crash_on_third)
    with pytest.raises(RuntimeError):
        services.run_bulk_grant(grant.pk, system_actor)
    monkeypatch.setattr(points, "earn", real_earn)
    assert grant_entries(grant).count() == 2
    assert BulkGrant.objects.get(pk=grant.pk).status == "running"

    done = services.run_bulk_grant(grant.pk, system_actor)
    assert done.status == "done" and done.granted == 5
    assert grant_entries(grant).count() == 5
    assert [balance_of(i) for i in ids] == [7] * 5


def test_items_already_granted_are_not_granted_again(system_actor, members, prog):
    """Even if an item lost its link to the entry, the job's ref stops a second grant."""
    ids = [m.pk for m in members]
    grant, _ = services.create_bulk_grant(system_actor, idempotency_key="k4", points_each=3, reason="r",
                                          member_ids=ids)
    services.run_bulk_grant(grant.pk, system_actor)
    BulkGrantItem.objects.filter(grant=grant, member_id__in=ids[:3]).update(entry=None)
    BulkGrant.objects.filter(pk=grant.pk).update(status="running")
    services.run_bulk_grant(grant.pk, system_actor)
    assert grant_entries(grant).count() == 5
    assert [balance_of(i) for i in ids] == [3] * 5
    assert not BulkGrantItem.objects.filter(grant=grant, entry__isnull=True).exists()


@pytest.mark.parametrize("kwargs, slug", [
    ({"idempotency_key": "  "}, "invalid-idempotency-key"),
    ({"idempotency_key": "x" * 201}, "invalid-idempotency-key"),
    ({"reason": " "}, "reason-required"),
    ({"member_ids": []}, "empty-grant"),
    ({"member_ids": [999_999]}, "member-not-found"),
    ({"points_each": 0}, "invalid-points"),
])
def test_bad_grants_write_nothing(system_actor, members, prog, kwargs, slug):
    args = {"idempotency_key": "k5", "points_each": 5, "reason": "r", "member_ids": [members[0].pk]}
    args.update(kwargs)
    with pytest.raises(ValidationProblem) as exc:
        services.create_bulk_grant(system_actor, **args)
    assert exc.value.type == slug
    assert not BulkGrant.objects.exists() and not BulkGrantItem.objects.exists()
