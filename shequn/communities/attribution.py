"""Sales attribution: a paid order counts for the group the member interacted with last (last touch),
within 7 days before payment. Commerce raises `order.paid` (member_id, order_no, amount_fen, paid_at)
through the outbox; this subscriber turns it into a GroupEvent of kind order."""

import datetime as dt

from django.utils.dateparse import parse_datetime

from .events import record_event
from .health import INTERACTION_KINDS
from .models import GroupEvent

WINDOW = dt.timedelta(days=7)


def attribute_order(member_id: int, order_no: str, amount_fen: int, paid_at: dt.datetime) -> int | None:
    """The group credited with the order (None: no interaction in the window). Idempotent per order_no."""
    last = (GroupEvent.objects
            .filter(member_id=member_id, kind__in=INTERACTION_KINDS, occurred_at__gte=paid_at - WINDOW,
                    occurred_at__lte=paid_at)
            .order_by("-occurred_at", "-id").values_list("group_id", flat=True).first())
    if last is None:
        return None
    record_event(last, GroupEvent.Kind.ORDER, event_id=f"order:{order_no}", member_id=member_id, source="commerce",
                 occurred_at=paid_at, amount_fen=amount_fen, payload={"order_no": order_no})
    return last


def on_order_paid(event) -> None:
    p = event.payload
    paid_at = p["paid_at"]
    if isinstance(paid_at, str):
        paid_at = parse_datetime(paid_at)
    attribute_order(int(p["member_id"]), str(p["order_no"]), int(p["amount_fen"]), paid_at)
