"""The Idempotency-Key decorator: run once, replay, refuse reuse, guard in-flight duplicates."""

import datetime as dt
import json

import pytest
from django.test import RequestFactory
from django.utils import timezone
from ninja import Status

from shequn.core.actor import Actor
from shequn.core.errors import Conflict, Problem
from shequn.core.idempotency import STALE_AFTER, idempotent
from shequn.core.models import IdempotencyRecord, Sequence

pytestmark = pytest.mark.django_db

ALICE = Actor(kind="token", id="1", label="alice")
BOB = Actor(kind="token", id="2", label="bob")


def request(body=None, key="k1", actor=ALICE, path="/api/v1/things"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    req = RequestFactory().post(path, json.dumps(body or {"n": 1}), content_type="application/json", **headers)
    req.auth = actor
    return req


@pytest.fixture
def counter_view():
    """A write endpoint that bumps a counter row, so effects can be counted."""
    calls = []

    @idempotent(required=True)
    def view(req):
        calls.append(1)
        n = len(calls)
        Sequence.objects.update_or_create(name="effects", defaults={"value": n})
        return 201, {"call": n}

    view.calls = calls
    return view


def effects() -> int:
    row = Sequence.objects.filter(name="effects").first()
    return row.value if row else 0


def test_first_request_runs_and_stores_its_response(counter_view):
    result = counter_view(request())
    assert isinstance(result, Status) and (result.status_code, result.value) == (201, {"call": 1})
    record = IdempotencyRecord.objects.get()
    assert (record.actor, record.key, record.response_status, record.response_body) == \
        ("token:1", "k1", 201, {"call": 1})
    assert record.completed_at is not None and record.method_path == "POST /api/v1/things"


def test_same_key_same_body_replays_without_running_again(counter_view):
    counter_view(request())
    again = counter_view(request())
    assert (again.status_code, again.value) == (201, {"call": 1})
    assert len(counter_view.calls) == 1 and effects() == 1


def test_same_key_different_body_or_path_is_a_422(counter_view):
    counter_view(request({"n": 1}))
    for other in (request({"n": 2}), request(path="/api/v1/other")):
        with pytest.raises(Problem) as exc:
            counter_view(other)
        assert exc.value.status == 422 and exc.value.type == "idempotency-key-reused"
    assert len(counter_view.calls) == 1


def test_keys_belong_to_one_actor(counter_view):
    counter_view(request(actor=ALICE))
    assert counter_view(request(actor=BOB)).value == {"call": 2}


def test_a_duplicate_while_the_first_is_running_is_a_409(counter_view):
    IdempotencyRecord.objects.create(actor="token:1", key="k1", request_hash=_hash_of(request()),
                                     method_path="POST /api/v1/things", started_at=timezone.now())
    with pytest.raises(Conflict) as exc:
        counter_view(request())
    assert exc.value.status == 409 and exc.value.type == "idempotency-in-progress"
    assert counter_view.calls == []


def test_a_stale_unfinished_request_is_taken_over(counter_view):
    IdempotencyRecord.objects.create(actor="token:1", key="k1", request_hash=_hash_of(request()),
                                     method_path="POST /api/v1/things",
                                     started_at=timezone.now() - STALE_AFTER - dt.timedelta(seconds=1))
    assert counter_view(request()).value == {"call": 1}
    record = IdempotencyRecord.objects.get()
    assert record.completed_at is not None and record.response_body == {"call": 1}


def test_a_business_error_is_stored_and_replayed():
    calls = []

    @idempotent(required=True)
    def view(req):
        calls.append(1)
        Sequence.objects.create(name="half-done", value=1)  # rolled back with the error
        raise Conflict("Not enough points.", type="insufficient-points", balance=3)

    for _ in range(2):
        with pytest.raises(Problem) as exc:
            view(request())
        assert (exc.value.status, exc.value.type, exc.value.detail) == (409, "insufficient-points",
                                                                        "Not enough points.")
        assert exc.value.extra == {"balance": 3}
    assert len(calls) == 1
    assert not Sequence.objects.filter(name="half-done").exists()
    assert IdempotencyRecord.objects.get().response_status == 409


def test_an_unexpected_error_releases_the_key_for_a_retry():
    attempts = []

    @idempotent(required=True)
    def view(req):
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return 201, {"ok": True}

    with pytest.raises(RuntimeError):
        view(request())
    assert not IdempotencyRecord.objects.exists()
    assert view(request()).value == {"ok": True}


def test_required_key_missing_is_a_400(counter_view):
    with pytest.raises(Problem) as exc:
        counter_view(request(key=None))
    assert exc.value.status == 400 and exc.value.type == "idempotency-key-required"
    assert counter_view.calls == []


def test_optional_key_missing_just_runs():
    @idempotent(default_status=201)
    def view(req):
        return {"ran": True}

    result = view(request(key=None))
    assert (result.status_code, result.value) == (201, {"ran": True})
    assert not IdempotencyRecord.objects.exists()


def test_an_overlong_key_is_a_422(counter_view):
    with pytest.raises(Problem) as exc:
        counter_view(request(key="k" * 201))
    assert exc.value.status == 422 and exc.value.type == "invalid-idempotency-key"


def _hash_of(req) -> str:
    from shequn.core.idempotency import fingerprint

    return fingerprint(req.method, req.path, req.body)
