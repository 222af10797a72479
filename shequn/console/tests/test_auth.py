import pytest
from django.test import Client
from django.urls import reverse

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, username, password):
    return client.post(reverse("console:login"), {"username": username, "password": password},
                       REMOTE_ADDR="10.0.0.7")


def test_login_page_is_chinese_and_styled(client):
    r = client.get(reverse("console:login"))
    html = r.content.decode()
    assert r.status_code == 200
    assert "社群运营后台" in html and "用户名" in html and "密码" in html
    assert "/static/console/console.css" in html


def test_login_and_logout(client, staff_user):
    staff_user("hq_operator", username="zhang")
    r = login(client, "zhang", PASSWORD)
    assert r.status_code == 302 and r["Location"] == "/console/"
    assert client.get("/console/").status_code == 200
    r = client.post(reverse("console:logout"))
    assert r.status_code == 302 and r["Location"] == reverse("console:login")
    assert client.get("/console/").status_code == 302


def test_wrong_password_shows_readable_error(client, staff_user):
    staff_user("owner", username="boss")
    r = login(client, "boss", "wrong-password")
    assert r.status_code == 200
    assert "用户名或密码不正确" in r.content.decode()


def test_repeated_failures_lock_the_account(client, staff_user, settings):
    staff_user("owner", username="boss")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "boss", "wrong-password")
    r = login(client, "boss", PASSWORD)  # even the right password is refused while locked
    html = r.content.decode()
    assert r.status_code in (403, 429)
    assert "登录已暂时锁定" in html and "boss" in html and "15 分钟" in html
    assert "_auth_user_id" not in client.session
    other = Client()
    assert login(other, "boss", PASSWORD).status_code in (403, 429)


def test_success_resets_the_failure_count(client, staff_user, settings):
    staff_user("owner", username="boss")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "boss", "wrong-password")
    assert login(client, "boss", PASSWORD).status_code == 302


def test_every_page_needs_login(client):
    for name in ("dashboard", "members", "member_import", "loyalty_settings", "bulk_grants", "audit",
                 "staff"):
        r = client.get(reverse(f"console:{name}"))
        assert r.status_code == 302 and r["Location"].startswith("/console/login/?next="), name


@pytest.mark.parametrize("role,visible,hidden", [
    ("owner", ["会员", "等级与积分规则", "批量发积分", "操作日志", "员工与 API 令牌", "导入会员"], []),
    ("store_manager", ["会员", "导入会员", "等级与积分规则"], ["批量发积分", "操作日志", "员工与 API 令牌"]),
    ("analyst", ["会员", "操作日志"], ["导入会员", "批量发积分", "员工与 API 令牌"]),
    ("community_operator", ["会员"], ["导入会员", "批量发积分", "操作日志", "员工与 API 令牌"]),
])
def test_navigation_shows_only_what_the_role_may_do(console_as, store, role, visible, hidden):
    stores = ["SH01"] if role in ("store_manager", "community_operator") else None
    html = console_as(role, stores=stores).get("/console/").content.decode()
    nav = html.split('<ul class="nav">')[1].split("</ul>")[0]
    for label in visible:
        assert label in nav, label
    for label in hidden:
        assert label not in nav, label


def test_header_shows_name_role_and_stores(console_as, store):
    html = console_as("store_manager", stores=["SH01"]).get("/console/").content.decode()
    assert "store_manager 测试" in html and "店长" in html and "上海静安店" in html
