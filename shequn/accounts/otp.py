"""Member login by phone + one-time code (短信验证码).

A code is six digits from `secrets`; only a keyed hash of it is stored. Requests are
rate limited per phone and per IP; each code allows a few attempts, expires, and
is consumed once. Delivery goes through the outbox (the messaging module sends the
SMS); in demo mode the text is also put in the dev inbox and the server log.
"""

import datetime as dt
import hmac
import logging
import math
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from shequn.core import audit, outbox, pii
from shequn.core.actor import Actor
from shequn.core.errors import Problem, ValidationProblem
from shequn.core.locks import serialize_on
from shequn.core.models import DevInboxMessage
from shequn.core.phones import InvalidPhone, normalise_cn_mobile

from .actors import member_actor
from .models import OtpChallenge

if TYPE_CHECKING:
    from shequn.members.models import Member

log = logging.getLogger("shequn.otp")

CODE_DIGITS = 6
MAX_PER_IP_PER_HOUR = 30
HOUR = dt.timedelta(hours=1)


class TooManyCodes(Problem):
    status, type, title = 429, "too-many-codes", "Too many codes requested"


class InvalidCode(ValidationProblem):
    type, title = "invalid-code", "Wrong code"


class CodeExpired(Problem):
    status, type, title = 400, "code-expired", "Code expired"


class TooManyAttempts(Problem):
    status, type, title = 429, "too-many-attempts", "Too many attempts"


@dataclass(frozen=True)
class Registration:
    """What the member agreed to on the login form (recorded when a member is created)."""

    marketing: bool = False
    profiling: bool = False


def _normalise(phone_raw: str) -> str:
    try:
        return normalise_cn_mobile(phone_raw)
    except InvalidPhone as exc:
        raise ValidationProblem("请输入正确的 11 位中国大陆手机号。", type="invalid-phone",
                                field="phone") from exc


def _code_hash(phone_hash: str, code: str) -> str:
    # Keyed with the server secret: a leaked table does not let anyone try all 10^6 codes offline.
    return salted_hmac("shequn.accounts.otp", f"{phone_hash}:{code}", algorithm="sha256").hexdigest()


def _wait_text(seconds: int) -> str:
    if seconds <= 120:
        return f"{seconds} 秒"
    return f"{math.ceil(seconds / 60)} 分钟"


def _too_many(detail_head: str, wait: dt.timedelta) -> TooManyCodes:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return TooManyCodes(f"{detail_head}，请 {_wait_text(seconds)}后再试。", retry_after=seconds)


def _check_limits(phone_hash: str, ip: str | None, now: dt.datetime) -> None:
    recent = OtpChallenge.objects.filter(phone_hash=phone_hash, created_at__gt=now - HOUR)
    last = recent.order_by("-created_at").first()
    interval = dt.timedelta(seconds=settings.OTP_MIN_INTERVAL_SECONDS)
    if last is not None and now - last.created_at < interval:
        raise _too_many("验证码发送太频繁", last.created_at + interval - now)
    per_phone = settings.OTP_MAX_PER_PHONE_PER_HOUR
    if recent.count() >= per_phone:
        oldest = recent.order_by("created_at")[recent.count() - per_phone]
        raise _too_many(f"该手机号 1 小时内最多获取 {per_phone} 次验证码", oldest.created_at + HOUR - now)
    if ip:
        from_ip = OtpChallenge.objects.filter(ip=ip, created_at__gt=now - HOUR)
        if from_ip.count() >= MAX_PER_IP_PER_HOUR:
            oldest = from_ip.order_by("created_at")[from_ip.count() - MAX_PER_IP_PER_HOUR]
            raise _too_many("当前网络获取验证码次数过多", oldest.created_at + HOUR - now)


def seconds_until_next_code(phone_raw: str) -> int:
    """How long the member must wait before asking for another code (for the countdown)."""
    try:
        phone_hash = pii.blind_index(normalise_cn_mobile(phone_raw))
    except InvalidPhone:
        return 0
    last = OtpChallenge.objects.filter(phone_hash=phone_hash).order_by("-created_at").first()
    if last is None:
        return 0
    ready_at = last.created_at + dt.timedelta(seconds=settings.OTP_MIN_INTERVAL_SECONDS)
    return max(0, math.ceil((ready_at - timezone.now()).total_seconds()))


def sms_text(code: str) -> str:
    minutes = max(1, settings.OTP_TTL_SECONDS // 60)
    return f"【社群】您的登录验证码是 {code}，{minutes}分钟内有效"


def request_code(phone_raw: str, ip: str | None) -> OtpChallenge:
    """Issue a login code for a CN mobile number, within the rate limits."""
    phone = _normalise(phone_raw)
    phone_hash = pii.blind_index(phone)
    masked = pii.mask_phone(phone)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    body = sms_text(code)
    with transaction.atomic():
        serialize_on(f"otp:{phone_hash}")  # concurrent requests must not slip past the limits
        now = timezone.now()
        _check_limits(phone_hash, ip, now)
        challenge = OtpChallenge.objects.create(
            phone_hash=phone_hash, code_hash=_code_hash(phone_hash, code),
            expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS), ip=ip)
        visitor = Actor(kind="visitor", id=masked, label=f"会员页 {masked}", ip=ip)
        audit.record(visitor, "member.otp_requested", challenge, after={"phone": masked})
        outbox.emit("member.otp_requested", "otp_challenge", challenge.pk, phone_hash=phone_hash,
                    phone_encrypted=pii.encrypt(phone), phone_masked=masked, channel="sms", body=body)
        if settings.DEV_INBOX:
            DevInboxMessage.objects.create(channel="sms", recipient=masked, subject="登录验证码", body=body)
            transaction.on_commit(lambda: log.info("SMS to %s: %s", masked, body))
    return challenge


def _check_code(phone_hash: str, code: str, now: dt.datetime) -> Problem | None:
    """Lock the latest challenge and test the code; count a wrong guess (committed)."""
    challenge = (OtpChallenge.objects.select_for_update()
                 .filter(phone_hash=phone_hash).order_by("-created_at", "-id").first())
    if challenge is None:
        return CodeExpired("请先获取验证码。")
    if challenge.consumed_at is not None:
        return CodeExpired("该验证码已使用，请重新获取。")
    if challenge.expires_at <= now:
        return CodeExpired("验证码已过期，请重新获取。")
    if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
        return TooManyAttempts("验证码错误次数过多，请重新获取。")
    if not hmac.compare_digest(_code_hash(phone_hash, code), challenge.code_hash):
        challenge.attempts += 1
        challenge.save(update_fields=["attempts"])
        left = settings.OTP_MAX_ATTEMPTS - challenge.attempts
        if left <= 0:
            return TooManyAttempts("验证码错误次数过多，请重新获取。")
        return InvalidCode(f"验证码不正确，还可尝试 {left} 次。", field="code")
    challenge.consumed_at = now
    challenge.save(update_fields=["consumed_at"])
    return None


def verify_code(phone_raw: str, code: str, ip: str | None,
                registration: Registration | None = None) -> "Member":
    """Log a member in with their code; a phone with no member yet registers one."""
    from shequn.members.models import Member

    phone = _normalise(phone_raw)
    code = (code or "").strip()
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():
        raise InvalidCode(f"请输入 {CODE_DIGITS} 位数字验证码。", field="code")
    phone_hash = pii.blind_index(phone)
    with transaction.atomic():
        problem = _check_code(phone_hash, code, timezone.now())
        if problem is None:
            member = Member.objects.filter(phone_hash=phone_hash).first()
            if member is not None and not member.is_active:
                problem = Problem("该会员账号已停用，请联系门店。", status=403, type="member-inactive")
            else:
                member = _sign_in(member, phone, ip, registration or Registration())
    if problem is not None:
        raise problem
    return member


def _sign_in(member: "Member | None", phone: str, ip: str | None, registration: Registration) -> "Member":
    from shequn.members.models import Member
    from shequn.members.services import create_member, current_consents, record_consent, touch_active

    if member is None:
        masked = pii.mask_phone(phone)
        visitor = Actor(kind="visitor", id=masked, label=f"会员页注册 {masked}", ip=ip)
        member = create_member(visitor, phone=phone, source=Member.Source.H5, store=None,
                               consents={"marketing": registration.marketing,
                                         "profiling": registration.profiling})
    else:
        granted = current_consents(member)
        for purpose, given in (("marketing", registration.marketing), ("profiling", registration.profiling)):
            # Ticking a box grants; leaving an optional box empty never withdraws a consent.
            if given and not granted.get(purpose):
                record_consent(member_actor(member.pk, ip), member, purpose, True, source="h5_login")
    audit.record(member_actor(member.pk, ip), "member.login", member, store_id=member.home_store_id,
                 after={"via": "otp"})
    touch_active(member.pk)
    return member
