"""PostgreSQL, real threads and connections: points are never spent twice, check-in happens once,
an Idempotency-Key runs once."""

import random

import pytest
from django.test import Client

from shequn.core.tests.threads import run_together
from shequn.loyalty import services
from shequn.loyalty.errors import AlreadyCheckedIn, InsufficientPoints
from shequn.loyalty.models import CheckIn, PointsEntry

from .helpers import assert_ledger_consistent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def funded(system_actor, member):
    services.earn(system_actor, member.pk, 200, source="gift", reason="开卡礼")
    return member


@pytest.fixture
def auth(make_token):
    return {"HTTP_AUTHORIZATION": f"Bearer {make_token()}"}


def post(auth, path, body=None, key=None):
    headers = dict(auth, **({"HTTP_IDEMPOTENCY_KEY": key} if key else {}))
    r = Client().post(f"/api/v1{path}", body or {}, content_type="application/json", **headers)
    return r.status_code, r.json()


def test_50_redeems_of_10_against_200_through_services(system_actor, funded):
    def spend(i):
        return services.redeem(system_actor, funded.pk, 10, reason=f"并发兑换 {i}")

    results = run_together(50, spend)
    won = [r for r in results if isinstance(r, PointsEntry)]
    refused = [r for r in results if isinstance(r, InsufficientPoints)]
    others = [r for r in results if not isinstance(r, PointsEntry | InsufficientPoints)]
    assert len(won) == 20 and len(refused) == 30, others
    assert sorted(e.balance_after for e in won) == list(range(0, 200, 10))
    assert assert_ledger_consistent(funded.pk) == 0


def test_50_redeems_of_10_against_200_over_http(auth, funded):
    def spend(i):
        return post(auth, f"/members/{funded.pk}/points/redeem", {"points": 10, "reason": "并发"}, key=f"r-{i}")

    results = run_together(50, spend)
    ok = [body for status, body in results if status == 201]
    refused = [body for status, body in results if status == 409]
    assert len(ok) == 20 and len(refused) == 30, results
    assert all(body["type"] == "insufficient-points" for body in refused)
    assert sorted(body["balance"] for body in ok) == list(range(0, 200, 10))
    assert assert_ledger_consistent(funded.pk) == 0


def test_20_simultaneous_check_ins_award_once(system_actor, member, auth):
    results = run_together(20, lambda i: services.check_in(system_actor, member.pk))
    assert sum(isinstance(r, CheckIn) for r in results) == 1
    assert sum(isinstance(r, AlreadyCheckedIn) for r in results) == 19, results
    assert CheckIn.objects.filter(member=member).count() == 1
    assert PointsEntry.objects.filter(member=member, source="check_in").count() == 1
    assert_ledger_consistent(member.pk)


def test_20_simultaneous_check_ins_over_http_award_once(member, auth):
    results = run_together(20, lambda i: post(auth, f"/members/{member.pk}/check-in"))
    assert [s for s, _ in results].count(201) == 1, results
    assert all(body["type"] == "already-checked-in" for s, body in results if s != 201)
    assert CheckIn.objects.filter(member=member).count() == 1
    assert_ledger_consistent(member.pk)


def test_20_requests_with_one_idempotency_key_write_one_entry(auth, member):
    def send(i):
        return post(auth, f"/members/{member.pk}/points/earn", {"points": 10, "reason": "同一请求"}, key="same-key")

    results = run_together(20, send)
    created = [body for status, body in results if status == 201]
    in_progress = [body for status, body in results if status == 409]
    assert len(created) + len(in_progress) == 20, results
    assert created and all(body == created[0] for body in created)  # the first response, replayed
    assert all(body["type"] == "idempotency-in-progress" for body in in_progress)
    assert PointsEntry.objects.filter(member=member).count() == 1
    assert assert_ledger_consistent(member.pk) == 10
    # Once the first has finished, every retry is a replay.
    assert send(0) == (201, created[0])


def test_a_mix_of_earns_and_redeems_keeps_the_books_balanced(system_actor, funded):
    rng = random.Random(7)
    plan = [(rng.choice(["earn", "redeem"]), rng.randint(1, 60)) for _ in range(40)]

    def act(i):
        kind, points = plan[i]
        if kind == "earn":
            return services.earn(system_actor, funded.pk, points, source="gift")
        return services.redeem(system_actor, funded.pk, points)

    results = run_together(len(plan), act)
    unexpected = [r for r in results if not isinstance(r, PointsEntry | InsufficientPoints)]
    assert not unexpected, unexpected
    done = [r for r in results if isinstance(r, PointsEntry)]
    assert assert_ledger_consistent(funded.pk) == 200 + sum(e.points for e in done)
    # Each entry's running balance is one step of a single serial history.
    balances = [e.balance_after for e in PointsEntry.objects.filter(member=funded).order_by("id")]
    points = [e.points for e in PointsEntry.objects.filter(member=funded).order_by("id")]
    running = 0
    for p, after in zip(points, balances, strict=True):
        running += p
        assert running == after >= 0
    assert services.check_ledgers() == []
