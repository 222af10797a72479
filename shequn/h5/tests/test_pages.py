import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from shequn.accounts.models import OtpChallenge
from shequn.core.models import AuditEntry, DevInboxMessage, OutboxEvent
from shequn.loyalty.models import CheckIn, LoyaltyAccount, PointsEntry
from shequn.loyalty.services import earn, record_purchase
from shequn.members.models import Member
from shequn.members.services import current_consents

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def h5_settings(settings):
    settings.DEV_INBOX = False
    settings.OTP_MIN_INTERVAL_SECONDS = 60
    return settings


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def csrf(client, path="/m/login/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def latest_code() -> str:
    event = OutboxEvent.objects.filter(topic="member.otp_requested").latest("id")
    return re.search(r"\d{6}", event.payload["body"]).group()


def login(client, phone, **extra):
    token = csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    data = {"csrfmiddlewaretoken": token, "phone": phone, "code": latest_code(), "privacy": "1",
            "action": "login", **extra}
    return client.post("/m/login/", data)


def logged_in(member) -> Client:
    client = Client(enforce_csrf_checks=True)
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


@pytest.mark.parametrize("path", ["/m/", "/m/points/"])
def test_pages_need_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/m/login/?next={path.replace('/', '%2F')}"


def test_check_in_needs_login_and_csrf(client, member):
    assert client.post("/m/check-in/").status_code == 403  # no CSRF token
    token = csrf(client)
    response = client.post("/m/check-in/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"].startswith("/m/login/")
    assert not CheckIn.objects.exists()


def test_login_page_renders_in_chinese(client):
    response = client.get("/m/login/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "获取验证码" in body and "《会员隐私政策》" in body and 'name="csrfmiddlewaretoken"' in body
    assert "开发收件箱" not in body  # demo inbox off


def test_login_flow_registers_and_rotates_session(client, next_phone):
    phone = next_phone()
    token = csrf(client)
    sent = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    assert sent.status_code == 200
    assert f"验证码已发送至 {phone[:3]}****{phone[-4:]}" in sent.content.decode()
    assert 'data-wait="6' in sent.content.decode() or 'data-wait="5' in sent.content.decode()
    key_before = client.session.session_key
    response = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "code": latest_code(),
                                         "privacy": "1", "marketing": "1", "action": "login"})
    assert response.status_code == 302 and response["Location"] == "/m/"
    member = Member.objects.get()
    assert member.source == "h5" and member.phone == phone
    assert client.session["member_id"] == member.pk
    assert client.session.session_key != key_before
    assert current_consents(member) == {"marketing": True, "profiling": False, "third_party": False}
    assert AuditEntry.objects.filter(action="member.login", actor_id=str(member.pk)).exists()
    card = client.get("/m/")
    body = card.content.decode()
    assert card.status_code == 200
    assert member.member_no in body and "普通会员" in body and "<svg" in body and "签到领积分" in body


def test_login_requires_privacy_consent(client, next_phone):
    phone = next_phone()
    token = csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    response = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "code": latest_code(),
                                         "action": "login"})
    assert response.status_code == 400
    assert "请阅读并勾选同意《会员隐私政策》" in response.content.decode()
    assert not Member.objects.exists() and "member_id" not in client.session
    assert OtpChallenge.objects.get().consumed_at is None  # the code still works once agreed


def test_wrong_code_shows_error_and_keeps_phone(client, next_phone):
    phone = next_phone()
    token = csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    wrong = f"{(int(latest_code()) + 1) % 1_000_000:06d}"
    response = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "code": wrong,
                                         "privacy": "1", "action": "login"})
    body = response.content.decode()
    assert response.status_code == 422
    assert "验证码不正确，还可尝试 4 次" in body and f'value="{phone}"' in body
    assert "member_id" not in client.session


def test_invalid_phone_and_rate_limit_are_shown(client, next_phone):
    token = csrf(client)
    bad = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": "12345", "action": "send"})
    assert bad.status_code == 422 and "请输入正确的 11 位中国大陆手机号" in bad.content.decode()
    phone = next_phone()
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    again = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    assert again.status_code == 429 and "验证码发送太频繁" in again.content.decode()
    assert OtpChallenge.objects.count() == 1


def test_login_returns_to_next_but_only_inside_h5(client, member):
    token = csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": member.phone, "action": "send"})
    response = client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": member.phone,
                                         "code": latest_code(), "privacy": "1", "action": "login",
                                         "next": "https://evil.example/m/"})
    assert response["Location"] == "/m/"
    client2 = Client(enforce_csrf_checks=True)
    OtpChallenge.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    response = login(client2, member.phone, next="/m/points/")
    assert response["Location"] == "/m/points/"
    assert client2.session["member_id"] == member.pk


def test_check_in_twice_shows_already_checked_in(member):
    client = logged_in(member)
    token = csrf(client, "/m/")
    first = client.post("/m/check-in/", {"csrfmiddlewaretoken": token}, follow=True)
    body = first.content.decode()
    assert "签到成功 +5 积分" in body and "今天已签到" in body
    assert 'data-points-balance>5<' in body
    second = client.post("/m/check-in/", {"csrfmiddlewaretoken": token}, follow=True)
    assert "今天已签到，明天再来吧" in second.content.decode()
    assert CheckIn.objects.filter(member=member).count() == 1
    assert PointsEntry.objects.filter(member=member, source="check_in").count() == 1
    assert LoyaltyAccount.objects.get(pk=member.pk).points_balance == 5
    assert PointsEntry.objects.get(member=member).actor_label == f"member:{member.pk}"


def test_card_shows_progress_benefits_and_qr(member, system_actor):
    record_purchase(system_actor, member.pk, 120_000, ref="T1")  # ¥1,200: silver
    client = logged_in(member)
    body = client.get("/m/").content.decode()
    assert "银卡会员" in body and "tier-1" in body
    assert "再消费 ¥3,800 升级金卡会员" in body
    assert "购物享 98折" in body and "消费积分 ×1.2" in body
    assert re.search(r'<svg[^>]*viewBox="0 0 \d+ \d+"[^>]*class="member-qr"', body)


def test_top_tier_card(member, system_actor):
    record_purchase(system_actor, member.pk, 2_000_000, ref="T1")
    body = logged_in(member).get("/m/").content.decode()
    assert "钻石会员" in body and "您已是最高等级" in body and "专属顾问服务" in body


def test_points_history_newest_first_paginated_in_shanghai_time(member, system_actor):
    for i in range(25):
        earn(system_actor, member.pk, i + 1, source="manual", ref=f"r{i}", reason=f"测试积分 {i}",
             at=dt.datetime(2026, 3, 1, 16, 30, tzinfo=dt.UTC) + dt.timedelta(minutes=i))
    client = logged_in(member)
    page1 = client.get("/m/points/").content.decode()
    reasons = re.findall(r"测试积分 (\d+)", page1)
    assert reasons[:3] == ["24", "23", "22"] and len(reasons) == 20
    assert "+25" in page1 and "2026-03-02 00:54" in page1  # 16:54 UTC is 00:54 the next day in Shanghai
    cursor = re.search(r'href="\?cursor=([^"]+)"', page1).group(1)
    page2 = client.get(f"/m/points/?cursor={cursor}").content.decode()
    assert re.findall(r"测试积分 (\d+)", page2) == ["4", "3", "2", "1", "0"]
    assert "没有更多记录了" in page2
    assert client.get("/m/points/?cursor=garbage")["Location"] == "/m/points/"


def test_points_history_shows_negative_points(member, system_actor):
    from shequn.loyalty.services import redeem

    earn(system_actor, member.pk, 100, source="manual", ref="a", reason="开卡礼")
    redeem(system_actor, member.pk, 30, source="gift", ref="b", reason="兑换 帆布袋")
    body = logged_in(member).get("/m/points/").content.decode()
    assert "-30" in body and "兑换 帆布袋" in body and "余额 70" in body


def test_logout_needs_post(member):
    client = logged_in(member)
    token = csrf(client, "/m/")
    assert client.get("/m/logout/").status_code == 200
    assert client.session["member_id"] == member.pk
    response = client.post("/m/logout/", {"csrfmiddlewaretoken": token})
    assert response["Location"] == "/m/login/"
    assert "member_id" not in client.session
    assert client.get("/m/")["Location"].startswith("/m/login/")


def test_inactive_member_session_is_dropped(member):
    client = logged_in(member)
    Member.objects.filter(pk=member.pk).update(is_active=False)
    assert client.get("/m/").status_code == 302


def test_dev_inbox_only_when_enabled(client, h5_settings, next_phone):
    assert client.get("/m/dev/inbox/").status_code == 404
    h5_settings.DEV_INBOX = True
    phone = next_phone()
    token = csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    assert DevInboxMessage.objects.count() == 1
    body = client.get("/m/dev/inbox/").content.decode()
    assert f"data-code>{latest_code()}<" in body and phone[:3] + "****" in body
    assert "开发收件箱" in client.get("/m/login/").content.decode()


def test_privacy_page(client):
    body = client.get("/m/privacy/").content.decode()
    assert "个人信息保护法" in body and "版本" in body
