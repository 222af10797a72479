"""Who may receive marketing: the member's current marketing consent, per-channel opt-outs, and the
ways a member withdraws it (email unsubscribe link, SMS reply 退订, the H5 preferences page)."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import transaction

from shequn.accounts.actors import member_actor
from shequn.core import audit, pii
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem
from shequn.core.phones import InvalidPhone, normalise_cn_mobile
from shequn.members.models import Consent, Member
from shequn.members.services import current_consents, record_consent

from .links import read_unsubscribe_token
from .models import Channel, ChannelOptOut, EmailAddress, InboundSms

# Replies that mean "stop marketing texts" (回T退订 and the usual variants).
UNSUBSCRIBE_REPLIES = {"T", "TD", "N", "退订", "退", "TD退订", "UNSUBSCRIBE", "STOP", "取消订阅"}
_SPACES = re.compile(r"[\s\u3000。.!！]+")


def has_marketing_consent(member: Member) -> bool:
    latest = (Consent.objects.filter(member=member, purpose=Consent.Purpose.MARKETING)
              .order_by("-id").values_list("granted", flat=True).first())
    return bool(latest)


def marketing_refusal(member: Member, kind: str) -> str:
    """Why this member may not get marketing on this kind of channel now ("" when they may)."""
    if not has_marketing_consent(member):
        return "会员未同意或已撤回营销触达授权"
    if ChannelOptOut.objects.filter(member=member, kind=kind).exists():
        return f"会员已关闭{Channel.Kind(kind).label}营销消息"
    return ""


def withdraw_marketing(actor: Actor, member: Member, *, source: str) -> bool:
    """Withdraw marketing consent now; False when it was already withdrawn."""
    if not has_marketing_consent(member):
        return False
    record_consent(actor, member, Consent.Purpose.MARKETING, False, source=source)
    return True


def unsubscribe_with_token(token: str, ip: str | None = None) -> Member | None:
    """The email one-click unsubscribe: a genuine token withdraws the member's marketing consent."""
    data = read_unsubscribe_token(token)
    member = Member.objects.filter(pk=data["m"]).first() if data else None
    if member is None:
        return None
    withdraw_marketing(member_actor(member.pk, ip), member, source="email_unsubscribe")
    return member


def is_unsubscribe_reply(text: str) -> bool:
    return _SPACES.sub("", text or "").upper() in UNSUBSCRIBE_REPLIES


def receive_sms_reply(channel: Channel, phone_raw: str, content: str) -> InboundSms:
    """上行短信 from the provider's callback; 退订 / T / TD withdraws the sender's marketing consent."""
    try:
        phone = normalise_cn_mobile(phone_raw.removeprefix("+86").removeprefix("0086"))
    except InvalidPhone as exc:
        raise ValidationProblem(f"Not a CN mobile number: {phone_raw!r}.", type="invalid-phone") from exc
    member = Member.objects.filter(phone_hash=pii.blind_index(phone)).first()
    unsubscribe = is_unsubscribe_reply(content)
    with transaction.atomic():
        row = InboundSms.objects.create(channel=channel, phone_masked=pii.mask_phone(phone), member=member,
                                        content=content[:500], unsubscribed=bool(member and unsubscribe))
        if member is not None and unsubscribe:
            withdraw_marketing(member_actor(member.pk), member, source=f"sms_reply:{channel.pk}")
    return row


def set_marketing(actor: Actor, member: Member, granted: bool, *, source: str) -> None:
    if current_consents(member)["marketing"] != granted:
        record_consent(actor, member, Consent.Purpose.MARKETING, granted, source=source)


def set_channel_opt_out(actor: Actor, member: Member, kind: str, opted_out: bool) -> None:
    if kind not in Channel.Kind.values:
        raise ValidationProblem(f"Unknown channel kind {kind!r}.", type="invalid-channel-kind")
    with transaction.atomic():
        if opted_out:
            _, created = ChannelOptOut.objects.get_or_create(member=member, kind=kind)
        else:
            created = bool(ChannelOptOut.objects.filter(member=member, kind=kind).delete()[0])
        if created:
            audit.record(actor, "member.channel_opt_out", member, after={"kind": kind, "opted_out": opted_out})


def set_email(actor: Actor, member: Member, email: str) -> EmailAddress | None:
    """The member's email for the email channel; an empty value removes it."""
    email = (email or "").strip()
    with transaction.atomic():
        if not email:
            EmailAddress.objects.filter(member=member).delete()
            audit.record(actor, "member.email_removed", member)
            return None
        try:
            EmailValidator()(email)
        except ValidationError as exc:
            raise ValidationProblem("请输入正确的邮箱地址。", type="invalid-email", field="email") from exc
        local, _, domain = email.partition("@")
        masked = f"{local[:2]}***@{domain}"
        row, _ = EmailAddress.objects.update_or_create(
            member=member, defaults={"email_encrypted": pii.encrypt(email), "email_masked": masked[:120]})
        audit.record(actor, "member.email_set", member, after={"email": masked})
    return row


def email_of(member: Member) -> str:
    row = EmailAddress.objects.filter(member=member).first()
    return pii.decrypt(row.email_encrypted) if row else ""
