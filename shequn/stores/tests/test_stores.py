"""Stores: creation (service and API), validation, duplicates and scoping."""

import pytest

from shequn.core.errors import Conflict, NotFound, ValidationProblem
from shequn.core.models import AuditEntry
from shequn.stores import selectors, services
from shequn.stores.models import Store

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def test_create_store_trims_and_audits(system_actor):
    store = services.create_store(system_actor, code=" GZ01 ", name=" 广州天河店 ", city="广州")
    assert (store.code, store.name, store.city, store.timezone) == ("GZ01", "广州天河店", "广州", "Asia/Shanghai")
    assert AuditEntry.objects.filter(action="store.created", object_id=str(store.pk)).exists()


@pytest.mark.parametrize("kwargs, slug", [
    ({"code": "广州01"}, "invalid-store-code"),
    ({"code": "GZ 01"}, "invalid-store-code"),
    ({"code": ""}, "invalid-store-code"),
    ({"code": "X" * 33}, "invalid-store-code"),
    ({"name": "  "}, "invalid-store-name"),
    ({"name": "店" * 101}, "invalid-store-name"),
    ({"city": "城" * 65}, "invalid-store"),
    ({"timezone": "Mars/Olympus"}, "invalid-timezone"),
])
def test_bad_store_input_is_refused(system_actor, kwargs, slug):
    args = {"code": "GZ01", "name": "广州天河店"} | kwargs
    with pytest.raises(ValidationProblem) as exc:
        services.create_store(system_actor, **args)
    assert exc.value.type == slug
    assert not Store.objects.exists() and not AuditEntry.objects.exists()


def test_duplicate_code_is_a_conflict(system_actor, store):
    with pytest.raises(Conflict) as exc:
        services.create_store(system_actor, code="SH01", name="重复")
    assert exc.value.type == "store-exists"
    assert Store.objects.count() == 1


def test_scoped_actors_see_only_their_stores(store, other_store):
    from shequn.core.actor import Actor

    manager = Actor(kind="staff", id="1", role="store_manager", store_ids=frozenset({store.pk}))
    assert list(selectors.stores_visible_to(manager)) == [store]
    assert selectors.store_by_code(manager, "SH01") == store
    with pytest.raises(NotFound) as exc:
        selectors.store_by_code(manager, "BJ01")
    assert exc.value.status == 404 and exc.value.type == "store-not-found"


# -- API --------------------------------------------------------------------------------------

def test_post_store_201(api):
    r = api.post("/stores", {"code": "SZ01", "name": "深圳南山店", "city": "深圳"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body == {"id": body["id"], "code": "SZ01", "name": "深圳南山店", "city": "深圳",
                    "timezone": "Asia/Shanghai"}
    assert Store.objects.filter(code="SZ01").exists()


def test_post_store_duplicate_409(api, store):
    r = api.post("/stores", {"code": "SH01", "name": "又一家"})
    assert r.status_code == 409 and r["Content-Type"] == PROBLEM
    assert r.json()["type"] == "store-exists"


@pytest.mark.parametrize("body, slug", [
    ({"name": "缺编码"}, "validation-error"),
    ({"code": "OK1"}, "validation-error"),
    ({"code": "bad code", "name": "空格"}, "invalid-store-code"),
    ({"code": "OK1", "name": "x", "timezone": "Nowhere/City"}, "invalid-timezone"),
    ({"code": "OK1", "name": "店" * 101}, "invalid-store-name"),
])
def test_post_store_bad_input_422(api, body, slug):
    r = api.post("/stores", body)
    assert r.status_code == 422 and r["Content-Type"] == PROBLEM
    assert r.json()["type"] == slug
    assert not Store.objects.exists()


def test_post_store_malformed_json_is_a_problem(api):
    r = api.client.post("/api/v1/stores", "{not json", content_type="application/json", **api.headers)
    assert r.status_code == 400 and r["Content-Type"] == PROBLEM
    assert r.json()["type"]


def test_post_store_needs_stores_write(api_as, store):
    manager = api_as("store_manager", stores=["SH01"])
    r = manager.post("/stores", {"code": "SZ01", "name": "深圳南山店"})
    assert r.status_code == 403 and r["Content-Type"] == PROBLEM and r.json()["type"] == "forbidden"
    assert Store.objects.count() == 1


def test_list_stores_is_scoped(api, api_as, store, other_store):
    assert [s["code"] for s in api.get("/stores").json()] == ["BJ01", "SH01"]
    manager = api_as("store_manager", stores=["SH01"])
    assert [s["code"] for s in manager.get("/stores").json()] == ["SH01"]


def test_post_store_replays_with_the_same_key(api):
    body = {"code": "SZ01", "name": "深圳南山店"}
    first = api.post("/stores", body, key="store-1")
    again = api.post("/stores", body, key="store-1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Store.objects.count() == 1
