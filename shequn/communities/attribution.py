"""Sales attribution: a paid order counts for the group the member interacted with last (last touch),
within 7 days before payment. Commerce raises `order.paid` (member_id, order_no, amount_fen, paid_at)
through the outbox; this subscriber turns it into a GroupEvent of kind order. `order.refunded` is
charged back to the same group as a refund event with a negative amount, so daily sales are net."""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .events import record_event
from .health import INTERACTION_KINDS
from .models import GroupEvent

WINDOW = dt.timedelta(days=7)
SOURCE = "commerce"
log = logging.getLogger("shequn.communities.attribution")


def attribute_order(member_id: int, order_no: str, amount_fen: int, paid_at: dt.datetime) -> int | None:
    """The group credited with the order (None: no interaction in the window). Idempotent per order_no."""
    last = (GroupEvent.objects
            .filter(member_id=member_id, kind__in=INTERACTION_KINDS, occurred_at__gte=paid_at - WINDOW,
                    occurred_at__lte=paid_at)
            .order_by("-occurred_at", "-id").values_list("group_id", flat=True).first())
    if last is None:
        return None
    record_event(last, GroupEvent.Kind.ORDER, event_id=f"order:{order_no}", member_id=member_id, source=SOURCE,
                 occurred_at=paid_at, amount_fen=amount_fen, payload={"order_no": order_no})
    return last


def on_order_paid(event) -> None:
    p = event.payload
    paid_at = p["paid_at"]
    if isinstance(paid_at, str):
        paid_at = parse_datetime(paid_at)
    attribute_order(int(p["member_id"]), str(p["order_no"]), int(p["amount_fen"]), paid_at)


REFUND = "refund"  # GroupEvent kind of a refund against an attributed order; amount_fen is negative


def attribute_refund(member_id: int, order_no: str, refund_no: str, amount_fen: int,
                     refunded_at: dt.datetime) -> int | None:
    """Charge a refund to the group credited with order_no (None: the order was not attributed).

    Recorded once per refund_no as a negative amount on the refund day, never more than what is
    still attributed of the order, so a group's net sales cannot go below zero for one order."""
    if not refund_no or not order_no:
        raise ValueError("A refund needs order_no and refund_no.")
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValueError(f"Refund {refund_no}: amount_fen must be a positive integer, not {amount_fen!r}.")
    if refunded_at is None or timezone.is_naive(refunded_at):
        raise ValueError(f"Refund {refund_no}: refunded_at needs a time zone.")
    with transaction.atomic():
        order = (GroupEvent.objects.select_for_update()
                 .filter(source=SOURCE, event_id=f"order:{order_no}", kind=GroupEvent.Kind.ORDER).first())
        if order is None:
            return None
        refunded = -(GroupEvent.objects.filter(source=SOURCE, kind=REFUND, group_id=order.group_id,
                                               payload__order_no=order_no)
                     .exclude(event_id=f"refund:{refund_no}").aggregate(s=Sum("amount_fen"))["s"] or 0)
        charged = min(amount_fen, max(order.amount_fen - refunded, 0))
        record_event(order.group_id, REFUND, event_id=f"refund:{refund_no}", member_id=member_id, source=SOURCE,
                     occurred_at=refunded_at, amount_fen=-charged,
                     payload={"order_no": order_no, "refund_no": refund_no, "requested_fen": amount_fen})
    return order.group_id


def on_order_refunded(event) -> None:
    """`order.refunded` (member_id, order_no, refund_no, amount_fen, refunded_at). A malformed event is
    logged and skipped: raising would stop the outbox drain for every other consumer."""
    p = event.payload
    try:
        refunded_at = p["refunded_at"]
        if isinstance(refunded_at, str):
            refunded_at = parse_datetime(refunded_at)
        attribute_refund(int(p["member_id"]), str(p["order_no"]), str(p["refund_no"]), p["amount_fen"],
                         refunded_at)
    except (KeyError, TypeError, ValueError) as error:
        log.error("order.refunded event %s not attributed: %s (payload %r)", event.pk, error, p)
