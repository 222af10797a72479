import hashlib

import pytest
from django.urls import reverse

from shequn.accounts.models import ApiToken, StaffUser
from shequn.accounts.tokens import authenticate_token
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = reverse("console:staff")


def create(client, **fields):
    data = {"username": "wang", "display_name": "王店长", "role": "store_manager", "stores": ["SH01"],
            "password": "long-enough-pass-1"}
    data.update(fields)
    return client.post(reverse("console:staff_create"), data)


def test_list_staff_with_role_and_stores(owner, staff_user, store):
    staff_user("store_manager", stores=["SH01"], username="chen")
    html = owner.get(URL).content.decode()
    assert "chen" in html and "店长" in html and "上海静安店" in html


def test_create_store_manager(owner, store, client):
    r = create(owner)
    assert r.status_code == 302
    user = StaffUser.objects.get(username="wang")
    assert (user.role, user.display_name) == ("store_manager", "王店长")
    assert list(user.stores.values_list("code", flat=True)) == ["SH01"]
    assert user.check_password("long-enough-pass-1")
    assert AuditEntry.objects.filter(action="staff.created", object_id=str(user.pk)).exists()
    login = client.post(reverse("console:login"), {"username": "wang", "password": "long-enough-pass-1"})
    assert login.status_code == 302


@pytest.mark.parametrize("fields,message", [
    ({"username": "owner_console"}, "这个用户名已经存在"),
    ({"username": "王"}, "用户名只能用英文字母"),
    ({"password": "short"}, "密码至少 8 位"),
    ({"stores": []}, "店长和社群运营至少要负责一个门店"),
    ({"role": "emperor"}, "请从列表中选择角色"),
    ({"role": ""}, "请选择角色"),
    ({"stores": ["XX99"]}, "门店 XX99 不存在"),
])
def test_bad_staff_input_is_readable_and_writes_nothing(owner, store, fields, message):
    count = StaffUser.objects.count()
    r = create(owner, **fields)
    assert message in r.content.decode()
    assert StaffUser.objects.count() == count


def test_create_token_shows_it_once_and_stores_only_its_hash(owner, staff_user):
    integrator = staff_user("hq_operator", username="pos")
    r = owner.post(reverse("console:token_create"), {"user": integrator.pk, "name": "收银系统"})
    assert r["Cache-Control"] == "no-store"
    raw = r.context["new_token"]["raw"]
    assert raw.startswith("sq_") and raw in r.content.decode()
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest() and token.name == "收银系统"
    assert authenticate_token(raw).pk == token.pk
    assert raw not in owner.get(URL).content.decode()
    assert token.prefix in owner.get(URL).content.decode()


def test_revoke_token(owner, staff_user):
    integrator = staff_user("hq_operator", username="pos")
    raw = owner.post(reverse("console:token_create"), {"user": integrator.pk}).context["new_token"]["raw"]
    token = ApiToken.objects.get()
    assert owner.post(reverse("console:token_revoke", args=[token.pk])).status_code == 302
    assert authenticate_token(raw) is None
    assert AuditEntry.objects.filter(action="api_token.revoked").exists()
    assert "已吊销" in owner.get(URL).content.decode()


def test_token_needs_a_user(owner):
    r = owner.post(reverse("console:token_create"), {"user": "", "name": "x"})
    assert "请选择令牌属于哪位员工" in r.content.decode()
    assert not ApiToken.objects.exists()


def test_deactivate_and_reactivate_staff(owner, staff_user, client):
    user = staff_user("analyst", username="temp")
    owner.post(reverse("console:staff_toggle_active", args=[user.pk]))
    user.refresh_from_db()
    assert not user.is_active
    assert AuditEntry.objects.filter(action="staff.deactivated", object_id=str(user.pk)).exists()
    from .conftest import PASSWORD

    r = client.post(reverse("console:login"), {"username": "temp", "password": PASSWORD})
    assert r.status_code == 200  # refused
    owner.post(reverse("console:staff_toggle_active", args=[user.pk]))
    user.refresh_from_db()
    assert user.is_active


def test_cannot_deactivate_yourself(owner):
    me = StaffUser.objects.get(username="owner_console")
    owner.post(reverse("console:staff_toggle_active", args=[me.pk]))
    me.refresh_from_db()
    assert me.is_active


@pytest.mark.parametrize("role", ["hq_operator", "analyst", "store_manager"])
def test_only_staff_managers_get_in(console_as, store, staff_user, role):
    client = console_as(role, stores=["SH01"] if role == "store_manager" else None)
    assert client.get(URL).status_code == 403
    assert create(client, username="sneaky").status_code == 403
    target = staff_user("analyst", username="victim")
    assert client.post(reverse("console:token_create"), {"user": target.pk}).status_code == 403
    assert not StaffUser.objects.filter(username="sneaky").exists() and not ApiToken.objects.exists()
