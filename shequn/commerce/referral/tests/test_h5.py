"""Member H5: the referral link attributes a visitor who signs up; 邀请好友 and the distributor page."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from shequn.commerce.referral import distribution, services
from shequn.commerce.referral.models import Distributor, Referral, ReferralDevice, Withdrawal
from shequn.core.models import OutboxEvent
from shequn.members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def h5_settings(settings):
    settings.DEV_INBOX = False
    return settings


def _client() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf(client, path="/m/login/") -> str:
    client.get(path)
    return client.cookies["csrftoken"].value


def _sign_up(client, phone):
    token = _csrf(client)
    client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "action": "send"})
    code = re.search(r"\d{6}", OutboxEvent.objects.filter(topic="member.otp_requested").latest("id")
                     .payload["body"]).group()
    return client.post("/m/login/", {"csrfmiddlewaretoken": token, "phone": phone, "code": code, "privacy": "1",
                                     "action": "login"})


def _logged_in(member) -> Client:
    client = _client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def test_link_then_signup_attributes_the_new_member(member, next_phone):
    code = services.code_for(member).code
    client = _client()
    page = client.get(f"/m/r/{code}/")
    assert page.status_code == 200 and "邀请你加入会员" in page.content.decode()
    assert client.cookies["sq_dev"].value and client.cookies["sq_ref"].value
    assert client.session["referrer_member_id"] == member.pk
    assert _sign_up(client, next_phone()).status_code == 302
    referee = Member.objects.exclude(pk=member.pk).get()
    referral = Referral.objects.get()
    assert (referral.referrer, referral.referee, referral.status) == (member, referee, "pending")
    assert referral.device_id == client.cookies["sq_dev"].value and referral.clicked_at is not None
    assert client.session.get("referrer_member_id") == member.pk  # the shop credits the referrer's orders


def test_existing_member_logging_in_through_a_link_is_not_referred(member, make_member, store):
    existing = make_member(store=store)
    Member.objects.filter(pk=existing.pk).update(joined_at=timezone.now() - dt.timedelta(days=40))
    client = _client()
    client.get(f"/m/r/{services.code_for(member).code}/")
    assert _sign_up(client, existing.phone).status_code == 302
    assert not Referral.objects.exists()


def test_cookie_alone_carries_the_referral(member, next_phone):
    client = _client()
    client.get(f"/m/r/{services.code_for(member).code}/")
    session = client.session
    session.pop("referral_pending")
    session.save()
    _sign_up(client, next_phone())
    assert Referral.objects.get().referrer == member


def test_unknown_code_is_404(client):
    assert client.get("/m/r/NOPE2345/").status_code == 404


def test_own_link_and_member_visitor(member, make_member, store):
    own = _logged_in(member).get(f"/m/r/{services.code_for(member).code}/")
    assert "这是你自己的邀请链接" in own.content.decode()
    other = make_member(store=store)
    page = _logged_in(other).get(f"/m/r/{services.code_for(member).code}/")
    assert "你已经是会员了" in page.content.decode()


def test_invite_page_shows_link_qr_referrals_and_rewards(system_actor, member, make_member, store, buy):
    friend = make_member(store=store, name="小王")
    services.attribute(system_actor, referee=friend, code=services.code_for(member).code)
    buy(friend)
    services.release_due(now=timezone.now() + dt.timedelta(days=8))
    client = _logged_in(member)
    client.cookies["sq_dev"] = "my-phone"
    page = client.get("/m/referral/")
    body = page.content.decode()
    assert page.status_code == 200 and services.code_for(member).code in body and "<svg" in body
    assert "小王" in body and "已发奖励" in body and "+500" in body
    assert ReferralDevice.objects.filter(member=member, device_id="my-phone").exists()


def test_invite_needs_login():
    response = Client().get("/m/referral/")
    assert response.status_code == 302 and "/m/login/" in response["Location"]


def test_distributor_apply_and_withdraw(system_actor, member, make_member, store, buy):
    client = _logged_in(member)
    assert "申请成为分销员" in client.get("/m/distributor/").content.decode()
    token = _csrf(client, "/m/distributor/")
    client.post("/m/distributor/apply/", {"csrfmiddlewaretoken": token})
    me = Distributor.objects.get(member=member)
    assert me.status == "applied" and "审核中" in client.get("/m/distributor/").content.decode()
    me = distribution.decide(system_actor, me.pk, approve=True)
    recruit = distribution.decide(system_actor, distribution.apply(system_actor, make_member(store=store,
                                                                                               name="下线小李"),
                                                                   upline=me).pk, approve=True)
    from shequn.commerce import orders

    order = buy(make_member(store=store), quantity=3, referrer=member)
    orders.verify_pickup(system_actor, code=order.pickup_code, store=store)
    orders.complete_due(now=timezone.now() + dt.timedelta(days=8))
    page = client.get("/m/distributor/").content.decode()
    assert "¥30.00" in page and "下线小李" in page and recruit.member.name in page
    token = _csrf(client, "/m/distributor/")
    client.post("/m/distributor/withdraw/", {"csrfmiddlewaretoken": token, "amount_yuan": "abc"})
    client.post("/m/distributor/withdraw/", {"csrfmiddlewaretoken": token, "amount_yuan": "99"})
    assert not Withdrawal.objects.exists()
    response = client.post("/m/distributor/withdraw/", {"csrfmiddlewaretoken": token, "amount_yuan": "20.50"})
    assert response.status_code == 302
    assert Withdrawal.objects.get().amount_fen == 2050
    assert "提现申请已提交" in client.get("/m/distributor/").content.decode()
