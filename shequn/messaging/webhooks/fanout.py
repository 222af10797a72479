"""From the outbox to deliveries: one Delivery per event and matching active subscription."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from shequn.core.models import OutboxEvent

from .events import EVENT_TYPES
from .models import Delivery, Subscription

MAX_ATTEMPTS = 8


def event_body(event: OutboxEvent) -> str:
    """The JSON every subscriber receives for this event: {id, type, created_at, data}."""
    data = {"object_type": event.aggregate_type, "object_id": event.aggregate_id, **event.payload}
    return json.dumps({"id": f"evt_{event.pk}", "type": event.topic, "created_at": event.created_at.isoformat(),
                       "data": data}, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def on_event(event: OutboxEvent) -> int:
    """Outbox consumer for every topic; safe to run twice for the same event."""
    if event.topic not in EVENT_TYPES:
        return 0
    # A subscription receives the events raised after it was created, not a backlog.
    subs = [s for s in Subscription.objects.filter(active=True, created_at__lte=event.created_at).only("events")
            if s.wants(event.topic)]
    if not subs:
        return 0
    body = event_body(event)
    rows = [Delivery(subscription=s, event_id=event.pk, event_type=event.topic, body=body, max_attempts=MAX_ATTEMPTS,
                     next_attempt_at=event.created_at) for s in subs]
    Delivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
