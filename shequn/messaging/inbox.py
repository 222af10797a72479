"""站内信 reads: opening a message marks it read (and opened, for the message log)."""

from django.db.models import Q
from django.utils import timezone

from . import selectors
from .models import Message


def open_message(member_id: int, message_id: int) -> Message:
    message = selectors.inbox_message(member_id, message_id)
    if message.read_at is None:
        now = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=now)
        Message.objects.filter(pk=message.pk, opened_at__isnull=True).update(opened_at=now)
        message.refresh_from_db()
    return message


def mark_all_read(member_id: int) -> int:
    now = timezone.now()
    unread = selectors.inbox(member_id).filter(read_at__isnull=True)
    ids = list(unread.values_list("pk", flat=True))
    Message.objects.filter(pk__in=ids, opened_at__isnull=True).update(opened_at=now)
    return Message.objects.filter(Q(pk__in=ids), read_at__isnull=True).update(read_at=now)
