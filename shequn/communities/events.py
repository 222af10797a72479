"""Group interactions, recorded once per (source, event_id)."""

import datetime as dt

from django.utils import timezone

from .models import GroupEvent


def record_event(group_id: int, kind: str, *, event_id: str, member_id: int | None = None, source: str = "system",
                 occurred_at: dt.datetime | None = None, by_admin: bool = False, amount_fen: int = 0,
                 payload: dict | None = None) -> bool:
    """Store one event; returns False when this (source, event_id) was already recorded.

    Call inside the transaction of the change it describes, so the event exists exactly
    when the change does."""
    _, created = GroupEvent.objects.get_or_create(
        source=source, event_id=event_id,
        defaults={"group_id": group_id, "kind": kind, "member_id": member_id,
                  "occurred_at": occurred_at or timezone.now(), "by_admin": by_admin,
                  "amount_fen": amount_fen, "payload": payload or {}})
    return created
