"""Domain events written in the same transaction as the change that raised them."""

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import OutboxEvent

log = logging.getLogger("shequn.outbox")
_handlers: dict[str, list[Callable[[OutboxEvent], None]]] = {}


def emit(topic: str, aggregate_type: str = "", aggregate_id: Any = "", **payload: Any) -> OutboxEvent:
    return OutboxEvent.objects.create(
        topic=topic, aggregate_type=aggregate_type, aggregate_id=str(aggregate_id), payload=payload,
    )


def subscribe(topic: str, handler: Callable[[OutboxEvent], None]) -> None:
    """Register a consumer run by the drain job (webhooks, messaging, analytics)."""
    _handlers.setdefault(topic, []).append(handler)


def drain(batch_size: int = 500) -> int:
    """Hand pending events to their consumers; each event is processed once."""
    done = 0
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.select_for_update(skip_locked=True)
                .filter(processed_at__isnull=True).order_by("id")[:batch_size]
            )
            if not events:
                return done
            for event in events:
                for handler in _handlers.get(event.topic, []) + _handlers.get("*", []):
                    handler(event)
            OutboxEvent.objects.filter(pk__in=[e.pk for e in events]).update(
                processed_at=timezone.now()
            )
            done += len(events)
        log.debug("outbox drained %s events", done)


def prune_processed(older_than_days: int = 30) -> int:
    """Delivered events are kept a month for inspection, then removed."""
    import datetime as dt

    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    deleted, _ = OutboxEvent.objects.filter(processed_at__lt=cutoff).delete()
    return deleted
