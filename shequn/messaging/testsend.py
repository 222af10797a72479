"""测试发送: an operator tries a channel from the console, to a member or to an address typed in."""

from django.db import transaction

from shequn.core import audit, pii
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied, ValidationProblem
from shequn.members.models import Member

from . import templating
from .models import Channel, Message, MessageTemplate, Purpose
from .sending import compose, deliver, member_values_for_groups


def send_test(actor: Actor, channel: Channel, *, member: Member | None = None, address: str = "",
              subject: str = "", body: str = "", template: MessageTemplate | None = None) -> Message:
    """测试发送 from the console: to a member, or to an address typed in (email / mobile), sent right away."""
    if not actor.can("messaging.configure"):
        raise PermissionDenied("Your role may not test channels.")
    if member is not None or not channel.reaches_members or channel.kind == Channel.Kind.IN_APP:
        message = compose(actor, channel=channel, member=member, template=template, subject=subject,
                          body=body, purpose=Purpose.SERVICE, source="console-test", enqueue=False)
        return deliver(message.pk)
    address = _test_address(channel, address)
    with transaction.atomic():
        message = Message.objects.create(channel=channel, template=template, purpose=Purpose.SERVICE, body="",
                                         recipient=_masked(channel, address), source="console-test",
                                         provider_params={})
        values = member_values_for_groups()
        if template is not None:
            subject, body = template.subject_zh, template.body_zh
        message.subject = templating.render(subject, values).text[:200]
        rendered = templating.render(body or "", values)
        message.body = rendered.text
        message.provider_params = {**templating.provider_params(rendered.used, values), "to": pii.encrypt(address)}
        message.save(update_fields=["subject", "body", "provider_params"])
        audit.record(actor, "message.test_sent", message, after={"channel": channel.pk, "to": message.recipient})
    return deliver(message.pk)


def _test_address(channel: Channel, raw: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from shequn.core.phones import InvalidPhone, normalise_cn_mobile

    raw = (raw or "").strip()
    try:
        if channel.kind == Channel.Kind.EMAIL:
            validate_email(raw)
            return raw
        return normalise_cn_mobile(raw)
    except (ValidationError, InvalidPhone) as exc:
        raise ValidationProblem("Give a member or a valid address to test with.", type="invalid-address",
                                field="address") from exc


def _masked(channel: Channel, address: str) -> str:
    if channel.kind == Channel.Kind.SMS:
        return pii.mask_phone(address)
    local, _, domain = address.partition("@")
    return f"{local[:2]}***@{domain}"[:120]
