import datetime as dt
import logging
import re

import pytest
from django.utils import timezone

from shequn.accounts import otp
from shequn.accounts.models import OtpChallenge
from shequn.core import pii
from shequn.core.errors import ValidationProblem
from shequn.core.models import AuditEntry, DevInboxMessage, OutboxEvent
from shequn.loyalty.models import LoyaltyAccount
from shequn.members.models import Consent, Member
from shequn.members.services import current_consents

pytestmark = pytest.mark.django_db
IP = "203.0.113.7"


@pytest.fixture(autouse=True)
def otp_settings(settings):
    settings.OTP_MIN_INTERVAL_SECONDS = 60
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 5
    settings.OTP_TTL_SECONDS = 300
    settings.OTP_MAX_ATTEMPTS = 5
    settings.DEV_INBOX = False
    return settings


def sent_code(challenge: OtpChallenge) -> str:
    event = OutboxEvent.objects.get(topic="member.otp_requested", aggregate_id=str(challenge.pk))
    return re.search(r"\d{6}", event.payload["body"]).group()


def age(challenge: OtpChallenge, seconds: int) -> None:
    """Pretend the challenge was issued `seconds` earlier."""
    OtpChallenge.objects.filter(pk=challenge.pk).update(
        created_at=challenge.created_at - dt.timedelta(seconds=seconds),
        expires_at=challenge.expires_at - dt.timedelta(seconds=seconds))


def test_request_stores_only_a_hash_and_emits_the_sms(next_phone):
    phone = next_phone()
    challenge = otp.request_code(f"+86 {phone}", IP)
    code = sent_code(challenge)
    assert re.fullmatch(r"\d{6}", code)
    assert challenge.phone_hash == pii.blind_index(phone)
    assert code not in challenge.code_hash and len(challenge.code_hash) == 64
    assert challenge.ip == IP
    remaining = (challenge.expires_at - timezone.now()).total_seconds()
    assert 290 < remaining <= 300
    event = OutboxEvent.objects.get(topic="member.otp_requested")
    assert event.payload["phone_hash"] == challenge.phone_hash
    assert event.payload["body"] == f"【社群】您的登录验证码是 {code}，5分钟内有效"
    assert pii.decrypt(event.payload["phone_encrypted"]) == phone
    assert phone not in str(event.payload["phone_masked"])
    audit_text = str(list(AuditEntry.objects.values()))
    assert code not in audit_text and phone not in audit_text
    assert not DevInboxMessage.objects.exists()  # demo inbox off


def test_dev_inbox_and_log_in_demo_mode(next_phone, otp_settings, caplog, django_capture_on_commit_callbacks):
    otp_settings.DEV_INBOX = True
    phone = next_phone()
    with caplog.at_level(logging.INFO, logger="shequn.otp"), django_capture_on_commit_callbacks(execute=True):
        challenge = otp.request_code(phone, IP)
    code = sent_code(challenge)
    message = DevInboxMessage.objects.get()
    assert message.channel == "sms"
    assert message.recipient == pii.mask_phone(phone)
    assert message.body == f"【社群】您的登录验证码是 {code}，5分钟内有效"
    assert any(code in r.getMessage() and r.name == "shequn.otp" for r in caplog.records)


@pytest.mark.parametrize("bad", ["", "12345", "23800138000", "+1 415 555 2671", "abcdefghijk", "0215551234"])
def test_invalid_phone_is_refused_and_writes_nothing(bad):
    with pytest.raises(ValidationProblem) as err:
        otp.request_code(bad, IP)
    assert err.value.type == "invalid-phone" and err.value.status == 422
    assert not OtpChallenge.objects.exists() and not OutboxEvent.objects.exists()


def test_min_interval_between_codes(next_phone):
    phone = next_phone()
    first = otp.request_code(phone, IP)
    with pytest.raises(otp.TooManyCodes) as err:
        otp.request_code(phone, IP)
    assert err.value.status == 429 and err.value.type == "too-many-codes"
    assert "秒后再试" in err.value.detail
    assert 55 <= err.value.extra["retry_after"] <= 60
    assert OtpChallenge.objects.count() == 1
    assert 55 <= otp.seconds_until_next_code(phone) <= 60
    age(first, 61)
    assert otp.seconds_until_next_code(phone) == 0
    otp.request_code(phone, IP)
    assert OtpChallenge.objects.count() == 2


def test_hourly_cap_per_phone(next_phone, otp_settings):
    otp_settings.OTP_MAX_PER_PHONE_PER_HOUR = 3
    phone = next_phone()
    issued = []
    for minutes_ago in (50, 30, 20):
        issued.append(otp.request_code(phone, IP))
        OtpChallenge.objects.filter(pk=issued[-1].pk).update(
            created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    with pytest.raises(otp.TooManyCodes) as err:
        otp.request_code(phone, IP)
    assert "1 小时内最多获取 3 次" in err.value.detail
    assert "10 分钟后再试" in err.value.detail  # when the oldest leaves the hour window
    assert OtpChallenge.objects.count() == 3
    OtpChallenge.objects.filter(pk=issued[0].pk).update(created_at=timezone.now() - dt.timedelta(minutes=61))
    otp.request_code(phone, IP)


def test_hourly_cap_per_ip(next_phone):
    for _ in range(otp.MAX_PER_IP_PER_HOUR):
        otp.request_code(next_phone(), IP)
    with pytest.raises(otp.TooManyCodes) as err:
        otp.request_code(next_phone(), IP)
    assert "当前网络" in err.value.detail
    otp.request_code(next_phone(), "198.51.100.1")  # other networks are not affected


def test_correct_code_registers_a_new_h5_member(next_phone):
    phone = next_phone()
    code = sent_code(otp.request_code(phone, IP))
    member = otp.verify_code(phone, code, IP, otp.Registration(marketing=True, profiling=False))
    assert member.phone == phone and member.source == Member.Source.H5 and member.home_store is None
    assert LoyaltyAccount.objects.filter(pk=member.pk).exists()
    assert current_consents(member) == {"marketing": True, "profiling": False, "third_party": False}
    assert AuditEntry.objects.filter(action="member.login", actor_kind="member",
                                     actor_id=str(member.pk), ip=IP).exists()
    assert OtpChallenge.objects.get().consumed_at is not None


def test_existing_member_logs_in_without_duplicate(member):
    code = sent_code(otp.request_code(member.phone, IP))
    before = Member.objects.count()
    assert otp.verify_code(member.phone, code, IP).pk == member.pk
    assert Member.objects.count() == before
    assert not Consent.objects.filter(member=member).exists()  # empty boxes withdraw nothing


def test_existing_member_ticking_marketing_grants_it(member):
    code = sent_code(otp.request_code(member.phone, IP))
    otp.verify_code(member.phone, code, IP, otp.Registration(marketing=True))
    assert current_consents(member)["marketing"] is True


def test_wrong_code_counts_attempts_then_locks(next_phone, otp_settings):
    otp_settings.OTP_MAX_ATTEMPTS = 3
    phone = next_phone()
    code = sent_code(otp.request_code(phone, IP))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(otp.InvalidCode) as err:
        otp.verify_code(phone, wrong, IP)
    assert err.value.type == "invalid-code" and err.value.status == 422
    assert "还可尝试 2 次" in err.value.detail
    with pytest.raises(otp.InvalidCode):
        otp.verify_code(phone, wrong, IP)
    with pytest.raises(otp.TooManyAttempts) as err:
        otp.verify_code(phone, wrong, IP)
    assert err.value.status == 429 and err.value.type == "too-many-attempts"
    assert OtpChallenge.objects.get().attempts == 3
    with pytest.raises(otp.TooManyAttempts):  # even the right code is refused now
        otp.verify_code(phone, code, IP)
    assert not Member.objects.exists()


def test_malformed_code_is_refused_without_using_an_attempt(next_phone):
    phone = next_phone()
    otp.request_code(phone, IP)
    for bad in ["", "12345", "1234567", "abcdef", "１２３４５６"]:
        with pytest.raises(otp.InvalidCode):
            otp.verify_code(phone, bad, IP)
    assert OtpChallenge.objects.get().attempts == 0


def test_expired_code_is_refused(next_phone):
    phone = next_phone()
    challenge = otp.request_code(phone, IP)
    code = sent_code(challenge)
    age(challenge, 301)
    with pytest.raises(otp.CodeExpired) as err:
        otp.verify_code(phone, code, IP)
    assert err.value.type == "code-expired"
    assert not Member.objects.exists()


def test_code_is_consumed_once(next_phone):
    phone = next_phone()
    code = sent_code(otp.request_code(phone, IP))
    otp.verify_code(phone, code, IP)
    with pytest.raises(otp.CodeExpired) as err:
        otp.verify_code(phone, code, IP)
    assert "已使用" in err.value.detail
    assert Member.objects.count() == 1


def test_new_code_replaces_the_previous_one(next_phone, monkeypatch):
    codes = iter([111111, 222222])
    monkeypatch.setattr(otp.secrets, "randbelow", lambda n: next(codes))
    phone = next_phone()
    age(otp.request_code(phone, IP), 61)
    otp.request_code(phone, IP)
    with pytest.raises(otp.InvalidCode):
        otp.verify_code(phone, "111111", IP)
    assert otp.verify_code(phone, "222222", IP).phone == phone


def test_verify_without_any_code_requested(next_phone):
    with pytest.raises(otp.CodeExpired) as err:
        otp.verify_code(next_phone(), "123456", IP)
    assert "请先获取验证码" in err.value.detail


def test_code_for_one_phone_does_not_open_another(next_phone, monkeypatch):
    codes = iter([123456, 654321])
    monkeypatch.setattr(otp.secrets, "randbelow", lambda n: next(codes))
    phone, other = next_phone(), next_phone()
    otp.request_code(phone, IP)
    otp.request_code(other, IP)
    with pytest.raises(otp.InvalidCode):
        otp.verify_code(other, "123456", IP)
    assert otp.verify_code(phone, "123456", IP).phone == phone


def test_inactive_member_is_refused(member):
    Member.objects.filter(pk=member.pk).update(is_active=False)
    code = sent_code(otp.request_code(member.phone, IP))
    with pytest.raises(otp.Problem) as err:
        otp.verify_code(member.phone, code, IP)
    assert err.value.type == "member-inactive" and err.value.status == 403


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_verifies_consume_the_code_once(next_phone):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    phone = next_phone()
    code = sent_code(otp.request_code(phone, IP))

    def attempt(_):
        try:
            return otp.verify_code(phone, code, IP).pk
        except otp.Problem as problem:
            return problem.type
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(attempt, range(10)))
    members = [o for o in outcomes if isinstance(o, int)]
    assert len(members) == 1
    assert sorted(set(outcomes) - set(members)) == ["code-expired"]
    assert Member.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_code_requests_respect_the_hourly_cap(next_phone, settings):
    from shequn.core.tests.threads import run_together

    settings.OTP_MIN_INTERVAL_SECONDS = 0
    settings.OTP_MAX_PER_PHONE_PER_HOUR = 3
    phone = next_phone()
    outcomes = run_together(12, lambda i: otp.request_code(phone, f"10.0.0.{i + 1}"))
    issued = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(issued) == 3
    assert {getattr(o, "type", repr(o)) for o in refused} == {"too-many-codes"}
