"""Reads: the member's inbox, the message log (store-scoped), channel and template lists."""

from django.db.models import QuerySet

from shequn.core.actor import Actor
from shequn.core.errors import NotFound

from .models import Channel, Message, MessageTemplate


def inbox(member_id: int) -> QuerySet[Message]:
    """站内信 the member can read: delivered in-app messages, newest first."""
    return Message.objects.filter(member_id=member_id, channel__kind=Channel.Kind.IN_APP,
                                  status=Message.Status.DELIVERED).order_by("-id")


def unread_count(member_id: int) -> int:
    return inbox(member_id).filter(read_at__isnull=True).count()


def inbox_message(member_id: int, message_id: int) -> Message:
    message = inbox(member_id).filter(pk=message_id).first()
    if message is None:
        raise NotFound("No such message in your inbox.")
    return message


def scoped_messages(actor: Actor) -> QuerySet[Message]:
    qs = Message.objects.select_related("channel", "member", "template")
    if actor.store_ids is not None:  # store managers: their members' messages only, no group sends
        qs = qs.filter(member__home_store_id__in=actor.store_ids)
    return qs


def message_log(actor: Actor, *, channel_id: int | None = None, status: str = "", purpose: str = "",
                member_no: str = "", source: str = "") -> QuerySet[Message]:
    qs = scoped_messages(actor)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if status:
        qs = qs.filter(status=status)
    if purpose:
        qs = qs.filter(purpose=purpose)
    if member_no:
        qs = qs.filter(member__member_no=member_no.strip())
    if source:
        qs = qs.filter(source=source)
    return qs.order_by("-id")


def get_message(actor: Actor, message_id: int) -> Message:
    message = scoped_messages(actor).filter(pk=message_id).first()
    if message is None:
        raise NotFound(f"No message {message_id}.", type="message-not-found")
    return message


def channels() -> QuerySet[Channel]:
    return Channel.objects.order_by("id")


def get_channel(channel_id: int) -> Channel:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        raise NotFound(f"No channel {channel_id}.", type="channel-not-found")
    return channel


def templates(channel_id: int | None = None) -> QuerySet[MessageTemplate]:
    qs = MessageTemplate.objects.select_related("channel").order_by("-id")
    return qs.filter(channel_id=channel_id) if channel_id else qs


def get_template(template_id: int) -> MessageTemplate:
    template = MessageTemplate.objects.select_related("channel").filter(pk=template_id).first()
    if template is None:
        raise NotFound(f"No template {template_id}.", type="template-not-found")
    return template


def status_counts(actor: Actor, channel_id: int | None = None) -> dict[str, int]:
    from django.db.models import Count

    qs = scoped_messages(actor)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    return {row["status"]: row["n"] for row in qs.values("status").annotate(n=Count("id"))}
