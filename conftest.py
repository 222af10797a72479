"""Shared fixtures: stores, members, staff actors and API clients."""

import itertools
import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

_phones = itertools.count(13800000000 + (os.getpid() % 1000) * 10000)


def is_postgres() -> bool:
    from django.db import connection

    return connection.vendor == "postgresql"


def pytest_collection_modifyitems(config, items):
    pg = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (run by scripts/test-postgres)")
    for item in items:
        if "postgres" in item.keywords and not pg:
            item.add_marker(skip_pg)


@pytest.fixture
def next_phone():
    def make() -> str:
        return str(next(_phones))

    return make


@pytest.fixture
def system_actor():
    from shequn.accounts.roles import Role, permissions_for
    from shequn.core.actor import Actor

    return Actor(kind="system", id="test", label="test", role=Role.OWNER, permissions=permissions_for(Role.OWNER))


@pytest.fixture
def store(db):
    from shequn.stores.models import Store

    return Store.objects.create(code="SH01", name="上海静安店", city="上海")


@pytest.fixture
def other_store(db):
    from shequn.stores.models import Store

    return Store.objects.create(code="BJ01", name="北京朝阳店", city="北京")


@pytest.fixture
def make_member(db, system_actor, next_phone):
    from shequn.members.services import create_member

    def make(store=None, **kwargs):
        kwargs.setdefault("phone", next_phone())
        kwargs.setdefault("name", "测试会员")
        return create_member(system_actor, store=store, **kwargs)

    return make


@pytest.fixture
def member(make_member, store):
    return make_member(store=store)


@pytest.fixture
def make_token(db):
    from shequn.accounts.staff import ensure_staff
    from shequn.accounts.tokens import issue_token
    from shequn.core.actor import SYSTEM

    def make(username="owner", role="owner", stores=None) -> str:
        user, _ = ensure_staff(SYSTEM, username, role=role, store_codes=stores)
        return issue_token(SYSTEM, user)[1]

    return make


class ApiClient:
    def __init__(self, token: str | None):
        from django.test import Client

        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method, path, json=None, key=None, **headers):
        extra = dict(self.headers, **headers)
        if key:
            extra["HTTP_IDEMPOTENCY_KEY"] = key
        fn = getattr(self.client, method)
        if json is not None:
            return fn(f"/api/v1{path}", json, content_type="application/json", **extra)
        return fn(f"/api/v1{path}", **extra)

    def get(self, path, **kw):
        return self._call("get", path, **kw)

    def post(self, path, json=None, **kw):
        return self._call("post", path, json=json if json is not None else {}, **kw)

    def patch(self, path, json=None, **kw):
        return self._call("patch", path, json=json, **kw)


@pytest.fixture
def api(make_token):
    return ApiClient(make_token())


@pytest.fixture
def api_as(make_token):
    def make(role, stores=None, username=None):
        return ApiClient(make_token(username or f"{role}_user", role, stores))

    return make


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture
def chromium_page():
    """Open pages in Debian's Chromium: chromium_page(viewport=..., **context options)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        contexts = []

        def open_page(**options):
            options = {"device_scale_factor": 1, "locale": "zh-CN", "timezone_id": "Asia/Shanghai", **options}
            context = browser.new_context(**options)
            context.set_default_timeout(15_000)
            contexts.append(context)
            return context.new_page()

        yield open_page
        for context in contexts:
            context.close()
        browser.close()


@pytest.fixture
def anon_api():
    return ApiClient(None)
