"""In-transaction reactions to order events.

Channel modules (coupons, group buy, team purchase, flash sale, referral, distribution) register
handlers in their AppConfig.ready(); the order services call them inside the same transaction as the
state change, so a handler's failure rolls the whole change back. Slower or external reactions use
the outbox instead (topics order.placed / order.paid / order.cancelled / order.refunded / order.completed).

Events and their keyword arguments:
  placed(order)                       after lines, stock reservations and points are written
  paid(order)                         after payment, sale of stock and loyalty purchase
  cancelled(order)                    after reservations and points were released
  picked_up(order) / fulfilled(order)
  completed(order)
  refunded(order, refund)             after money, stock and points were handled
"""

from collections import defaultdict
from collections.abc import Callable

EVENTS = ("placed", "paid", "cancelled", "picked_up", "fulfilled", "completed", "refunded")
_handlers: dict[str, list[Callable]] = defaultdict(list)


def on(event: str, handler: Callable) -> None:
    if event not in EVENTS:
        raise ValueError(f"unknown order event {event}")
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def fire(event: str, order, **kwargs) -> None:
    for handler in list(_handlers[event]):
        handler(order, **kwargs)
