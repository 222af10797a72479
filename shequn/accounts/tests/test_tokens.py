"""API tokens (hashed, revocable), staff creation, roles and the actor they produce."""

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from shequn.accounts.actors import staff_actor
from shequn.accounts.models import ApiToken, StaffUser
from shequn.accounts.roles import PERMISSIONS, Role, permissions_for
from shequn.accounts.staff import ensure_staff
from shequn.accounts.tokens import authenticate_token, issue_token, revoke_token
from shequn.core.actor import SYSTEM
from shequn.core.errors import ValidationProblem
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner():
    return ensure_staff(SYSTEM, "boss", role="owner")[0]


def test_issue_token_keeps_only_a_hash(owner):
    token, raw = issue_token(SYSTEM, owner, name="POS")
    assert raw.startswith("sq_") and len(raw) > 40
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10]
    assert not ApiToken.objects.filter(token_hash__contains=raw[3:]).exists()
    assert AuditEntry.objects.filter(action="api_token.created").count() == 1
    assert issue_token(SYSTEM, owner)[1] != raw


def test_authenticate_token(owner):
    token, raw = issue_token(SYSTEM, owner)
    assert authenticate_token(raw).pk == token.pk
    for bad in ("", "sq_", raw + "x", raw[3:], "Bearer " + raw):
        assert authenticate_token(bad) is None


def test_a_revoked_token_or_inactive_user_no_longer_authenticates(owner):
    token, raw = issue_token(SYSTEM, owner)
    revoke_token(SYSTEM, token)
    assert authenticate_token(raw) is None
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1

    _, raw2 = issue_token(SYSTEM, owner)
    StaffUser.objects.filter(pk=owner.pk).update(is_active=False)
    assert authenticate_token(raw2) is None


def test_last_used_is_recorded_at_most_once_a_minute(owner):
    token, raw = issue_token(SYSTEM, owner)
    authenticate_token(raw)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    authenticate_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - dt.timedelta(minutes=2))
    authenticate_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_ensure_staff_creates_once_and_updates_role_and_stores(store, other_store):
    user, created = ensure_staff(SYSTEM, "li", role="store_manager", store_codes=["SH01"], display_name="李店长")
    assert created and not user.has_usable_password() and not user.is_superuser
    assert [s.code for s in user.stores.all()] == ["SH01"]
    user, created = ensure_staff(SYSTEM, "li", store_codes=["SH01", "BJ01"])
    assert not created and user.role == "store_manager"
    assert sorted(s.code for s in user.stores.all()) == ["BJ01", "SH01"]
    boss, _ = ensure_staff(SYSTEM, "boss", role="owner", password="a-long-password")
    assert boss.is_superuser and boss.check_password("a-long-password")
    assert boss.password.startswith("argon2")


@pytest.mark.parametrize("kwargs, slug", [({"role": "superhero"}, "invalid-role"),
                                          ({"role": "store_manager", "store_codes": ["NOPE"]}, "store-not-found")])
def test_ensure_staff_refuses_unknown_roles_and_stores(store, kwargs, slug):
    with pytest.raises(ValidationProblem) as exc:
        ensure_staff(SYSTEM, "x", **kwargs)
    assert exc.value.type == slug
    assert not StaffUser.objects.filter(username="x").exists()


def test_staff_actor_scopes_store_roles_only(store, other_store):
    manager, _ = ensure_staff(SYSTEM, "m", role="store_manager", store_codes=["SH01"])
    token, _ = issue_token(SYSTEM, manager)
    actor = staff_actor(manager, ip="1.2.3.4", via_token=token.pk)
    assert (actor.kind, actor.id, actor.role, actor.ip) == ("token", str(token.pk), "store_manager", "1.2.3.4")
    assert actor.store_ids == frozenset({store.pk}) and actor.scoped
    assert actor.label == "m (API)"
    hq, _ = ensure_staff(SYSTEM, "hq", role="hq_operator", store_codes=["SH01"])
    assert staff_actor(hq).store_ids is None  # HQ sees every store whatever is assigned
    assert staff_actor(hq).kind == "staff"


def test_role_permissions():
    assert permissions_for("nobody") == frozenset()
    assert set(PERMISSIONS) == {r.value for r in Role}
    analyst = permissions_for(Role.ANALYST)
    assert "members.view" in analyst and not analyst & {"members.write", "points.adjust", "members.reveal_pii"}
    assert "points.adjust" in permissions_for(Role.STORE_MANAGER)
    assert "points.bulk_grant" not in permissions_for(Role.STORE_MANAGER)
    assert "staff.manage" in permissions_for(Role.OWNER) and "staff.manage" not in permissions_for(Role.HQ_OPERATOR)
    assert not permissions_for(Role.COMMUNITY_OPERATOR) & {"members.write", "points.adjust"}
