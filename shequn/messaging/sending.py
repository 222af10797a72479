"""The send path: `compose` queues one rendered message, `deliver` sends it at most once.

Campaigns and journeys call `compose(..., dedupe_key=...)` per member (a repeated key returns the first
message) and leave delivery to the worker. `deliver` claims the row with a conditional UPDATE
(queued → sending) before any network call and records the result after, so a retry after a crash
never sends twice; a claim left behind by a crash is marked failed by `fail_stale_claims`, not resent.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shequn.core import audit, outbox, pii
from shequn.core.actor import Actor
from shequn.core.errors import NotFound, PermissionDenied, Problem, ValidationProblem
from shequn.members.models import Member

from . import consent, templating
from .channels import DeliveryResult, Outgoing, sender_for
from .context import member_values
from .links import track_links, unsubscribe_url
from .models import Channel, Message, MessageTemplate, Purpose

log = logging.getLogger("shequn.messaging")
STALE_CLAIM = dt.timedelta(minutes=15)


class NoConsent(Problem):
    status, type, title = 409, "no-marketing-consent", "No marketing consent"


class NoAddress(Problem):
    status, type, title = 409, "no-address", "No address for this channel"


def _address(channel: Channel, member: Member | None) -> str:
    if channel.kind == Channel.Kind.EMAIL:
        return consent.email_of(member)
    if channel.kind == Channel.Kind.SMS:
        return member.phone if member.phone_encrypted else ""
    return ""


def _recipient_label(channel: Channel, member: Member | None) -> str:
    if member is None:
        return channel.name
    if channel.kind == Channel.Kind.EMAIL:
        row = getattr(member, "email_address", None)
        return row.email_masked if row else ""
    if channel.kind == Channel.Kind.SMS:
        return member.phone_masked
    return member.member_no


def _check_target(actor: Actor, channel: Channel, member: Member | None, purpose: str) -> None:
    if not channel.is_active:
        raise ValidationProblem(f"Channel {channel.name} is switched off.", type="channel-inactive")
    if channel.reaches_members and member is None:
        raise ValidationProblem("This channel sends to one member: give member_id.", type="member-required",
                                field="member_id")
    if not channel.reaches_members and member is not None:
        raise ValidationProblem("WeCom robot and group sends go to groups, not to one member.",
                                type="member-not-allowed", field="member_id")
    if member is None:
        if actor.store_ids is not None:
            raise PermissionDenied("Group sends reach every store's customers; head office sends them.",
                                   type="group-send-denied")
        return
    if actor.store_ids is not None and member.home_store_id not in actor.store_ids:
        raise NotFound("No such member in your stores.", type="member-not-found")
    if not member.is_active:
        raise ValidationProblem("This member is deactivated.", type="member-inactive")
    if purpose == Purpose.MARKETING:
        reason = consent.marketing_refusal(member, channel.kind)
        if reason:
            raise NoConsent(f"Marketing message refused: {reason}.", reason=reason)
    if channel.kind in (Channel.Kind.EMAIL, Channel.Kind.SMS) and not _address(channel, member):
        what = "email address" if channel.kind == Channel.Kind.EMAIL else "mobile number"
        raise NoAddress(f"This member has no {what} for {channel.name}.")


def _finish_text(message: Message, channel: Channel, body: str) -> str:
    """Marketing rules of the channel: SMS ends with 回T退订, email carries an unsubscribe line."""
    if message.purpose != Purpose.MARKETING or message.member_id is None:
        return body
    if channel.kind == Channel.Kind.SMS and "退订" not in body:
        return f"{body} 回T退订" if not message.language.startswith("en") else f"{body} Reply T to unsubscribe"
    if channel.kind == Channel.Kind.EMAIL and "/u/" not in body:
        label = "Unsubscribe" if message.language.startswith("en") else "不想再收到此类邮件？一键退订"
        return f"{body}\n\n—\n{label}: {unsubscribe_url(message.member_id, message.pk)}"
    return body


def _render_into(message: Message, template: MessageTemplate | None, subject: str, body: str,
                 coupon_id: int | None) -> None:
    english = message.language.startswith("en") and template is not None and template.body_en
    if template is not None:
        subject = (template.subject_en if english else template.subject_zh) or template.subject_zh
        body = template.body_en if english else template.body_zh
    needed = set(templating.variables_in(subject)) | set(templating.variables_in(body))
    values = (member_values(message.member, needed=needed, language=message.language, coupon_id=coupon_id,
                            message_id=message.pk) if message.member_id else member_values_for_groups())
    rendered_body = templating.render(body, values)
    message.subject = templating.render(subject, values).text[:200]
    text = rendered_body.text
    if template is None or template.track_links:
        text = track_links(text, message)
    message.body = _finish_text(message, message.channel, text)
    message.provider_params = templating.provider_params(rendered_body.used, values)


def member_values_for_groups() -> dict[str, str]:
    from django.urls import reverse

    from .links import public_url

    return {n: public_url(reverse(f"h5:{n.split('.')[1]}")) for n in ("link.card", "link.shop", "link.coupons",
                                                                      "link.inbox")}


def compose(actor: Actor, *, channel: Channel, member: Member | None = None,
            template: MessageTemplate | None = None, subject: str = "", body: str = "",
            purpose: str = Purpose.SERVICE, language: str = "zh-hans", coupon_id: int | None = None,
            dedupe_key: str | None = None, source: str = "api", audit_it: bool = True,
            enqueue: bool = True) -> Message:
    """Queue one message: checks consent, scope and address, renders it, and hands it to the worker."""
    if not actor.can("messaging.send"):
        raise PermissionDenied("Your role may not send messages.")
    if template is not None:
        if template.channel_id != channel.pk or not template.is_active:
            raise ValidationProblem("This template is not an active template of the channel.",
                                    type="invalid-template", field="template_id")
        purpose = template.purpose
    elif not (body or "").strip():
        raise ValidationProblem("Give a template or a body.", type="invalid-message", field="body")
    if purpose not in Purpose.values:
        raise ValidationProblem(f"Unknown purpose {purpose!r}.", type="invalid-message", field="purpose")
    if dedupe_key and (first := Message.objects.filter(dedupe_key=dedupe_key).first()) is not None:
        return first
    _check_target(actor, channel, member, purpose)
    try:
        with transaction.atomic():
            message = Message.objects.create(
                member=member, channel=channel, template=template, purpose=purpose, body="",
                language="en" if language.startswith("en") else "zh-hans", dedupe_key=dedupe_key or None,
                recipient=_recipient_label(channel, member), source=source[:40])
            _render_into(message, template, subject, body, coupon_id)
            message.save(update_fields=["subject", "body", "provider_params"])
            if audit_it:
                audit.record(actor, "message.queued", message, after={
                    "channel": channel.pk, "member": member.pk if member else None, "purpose": purpose},
                    store_id=member.home_store_id if member else None)
            outbox.emit("message.queued", "message", message.pk, channel=channel.kind, purpose=purpose)
            if enqueue:
                transaction.on_commit(lambda: _enqueue(message.pk))
    except IntegrityError:
        if dedupe_key:  # a concurrent planner queued the same key first
            return Message.objects.get(dedupe_key=dedupe_key)
        raise
    return message


def _enqueue(message_id: int) -> None:
    from .tasks import deliver_message

    try:
        deliver_message.enqueue(message_id)
    except Exception:  # the periodic sweep delivers it later
        log.exception("could not enqueue message %s", message_id)


def _claim(message_id: int) -> bool:
    return bool(Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1))


def _record(message: Message, result: DeliveryResult) -> None:
    now = timezone.now()
    status = (Message.Status.FAILED if not result.ok else
              Message.Status.DELIVERED if result.delivered else Message.Status.SENT)
    changes = {"status": status, "provider_message_id": result.provider_message_id[:120],
               "error": result.error[:500]}
    if result.ok:
        changes["sent_at"] = now
        if result.delivered:
            changes["delivered_at"] = now
    with transaction.atomic():
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(**changes)
        outbox.emit(f"message.{status}", "message", message.pk, channel=message.channel.kind,
                    member_id=message.member_id, error=result.error[:200])


def _outgoing(message: Message) -> Outgoing:
    headers = {}
    if message.channel.kind == Channel.Kind.EMAIL and message.purpose == Purpose.MARKETING:
        url = unsubscribe_url(message.member_id, message.pk)
        headers = {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    sealed = message.provider_params.get("to") if message.member_id is None else None
    address = pii.decrypt(sealed) if sealed else _address(message.channel, message.member)
    return Outgoing(message_id=message.pk, address=address,
                    subject=message.subject, body=message.body, provider_params=message.provider_params,
                    provider_template_code=message.template.provider_template_code if message.template else "",
                    headers=headers)


def deliver(message_id: int) -> Message:
    """Send a queued message once. A message already claimed, sent or failed is left as it is."""
    if not _claim(message_id):
        found = Message.objects.filter(pk=message_id).first()
        if found is None:
            raise NotFound(f"No message {message_id}.")
        return found
    message = Message.objects.select_related("channel", "member", "template").get(pk=message_id)
    refusal = ""
    if not message.channel.is_active:
        refusal = "渠道已停用"
    elif message.member_id and message.purpose == Purpose.MARKETING:
        refusal = consent.marketing_refusal(message.member, message.channel.kind)
    if refusal:
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
            status=Message.Status.CANCELLED, error=refusal)
        message.refresh_from_db()
        return message
    try:
        result = sender_for(message.channel).send(_outgoing(message))
    except Exception as exc:  # a bug or an unexpected answer: record it, never resend blindly
        log.exception("message %s: channel %s raised", message.pk, message.channel.pk)
        result = DeliveryResult.failed(f"{type(exc).__name__}: {exc}")
    _record(message, result)
    message.refresh_from_db()
    return message


def fail_stale_claims(now: dt.datetime | None = None) -> int:
    """Claims older than STALE_CLAIM belong to a worker that died mid-send: whether the provider got the
    message is unknown, so they are marked failed for an operator to check rather than sent again."""
    cutoff = (now or timezone.now()) - STALE_CLAIM
    return Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=cutoff).update(
        status=Message.Status.FAILED, error="发送结果未知：发送进程中断，为避免重复发送未自动重试，请核对后手动重发")


def requeue(actor: Actor, message: Message) -> Message:
    """An operator sends a failed message again (after checking it did not arrive)."""
    if not actor.can("messaging.send"):
        raise PermissionDenied("Your role may not send messages.")
    with transaction.atomic():
        if not Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
                status=Message.Status.QUEUED, error="", claimed_at=None):
            raise ValidationProblem("Only failed messages can be sent again.", type="message-not-failed")
        audit.record(actor, "message.requeued", message)
        transaction.on_commit(lambda: _enqueue(message.pk))
    message.refresh_from_db()
    return message


def pending_ids(limit: int = 500) -> list[int]:
    """Queued messages whose task may have been lost (older than a minute), for the periodic sweep."""
    cutoff = timezone.now() - dt.timedelta(minutes=1)
    return list(Message.objects.filter(status=Message.Status.QUEUED, created_at__lt=cutoff)
                .order_by("id").values_list("pk", flat=True)[:limit])

