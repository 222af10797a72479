"""Webhook subscriptions over HTTP: create (the secret is returned once), list, change, delete,
rotate the secret, read the delivery log and redeliver."""

from functools import wraps

from ninja import Query, Router, Status

from shequn.core import pii
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require

from . import selectors, services
from .events import CATALOGUE
from .models import Delivery, Subscription
from .schemas import (
    DeliveryFilters,
    DeliveryOut,
    DeliveryPage,
    EventTypeOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionWithSecretOut,
)

router = Router(tags=["webhooks"])
MANAGE = "integrations.manage"


def subscription_out(sub: Subscription, counts: dict[str, int] | None = None) -> dict:
    if counts is None:
        counts = selectors.status_counts([sub.pk])[sub.pk]
    return {"id": sub.pk, "url": sub.url, "events": sub.events, "active": sub.active,
            "description": sub.description, "secret_hint": sub.secret_hint,
            "created_by": sub.created_by.username if sub.created_by_id else None,
            "created_at": sub.created_at, "updated_at": sub.updated_at, "counts": counts}


def delivery_out(d: Delivery) -> dict:
    return {"id": d.pk, "subscription_id": d.subscription_id, "event_id": d.event_ref, "event_type": d.event_type,
            **{f: getattr(d, f) for f in ("status", "attempts", "max_attempts", "next_attempt_at",
                                          "last_status_code", "last_error", "response_excerpt", "duration_ms",
                                          "created_at", "delivered_at")}}


def _sealed(sub: Subscription, secret: str) -> dict:
    # The idempotency record keeps the response for replays; it holds the secret encrypted only.
    return {**subscription_out(sub), "sealed_secret": pii.encrypt(secret)}


def reveal_secret(view):
    """Turn the sealed secret of a (possibly replayed) response into the plain `secret` field."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        result = view(request, *args, **kwargs)
        body = dict(result.value)
        body["secret"] = pii.decrypt(body.pop("sealed_secret"))
        return Status(result.status_code, body)

    return wrapper


@router.get("/webhooks/event-types", response=list[EventTypeOut], summary="Event types a subscription may choose")
def event_types(request):
    require(request.auth, MANAGE)
    return [{"type": code, "label": str(label), "group": str(group)}
            for group, items in CATALOGUE.items() for code, label in items]


@router.post("/webhooks", response={201: SubscriptionWithSecretOut},
             summary="Subscribe a URL to event types; the signing secret is returned only in this response")
@reveal_secret
@idempotent(default_status=201)
def create_subscription(request, payload: SubscriptionIn):
    require(request.auth, MANAGE)
    sub, secret = services.create_subscription(request.auth, url=payload.url, events=payload.events,
                                               description=payload.description, active=payload.active)
    return 201, _sealed(selectors.get_subscription(sub.pk), secret)


@router.get("/webhooks", response=list[SubscriptionOut], summary="Webhook subscriptions (no secrets)")
def list_subscriptions(request):
    require(request.auth, MANAGE)
    subs = list(selectors.subscriptions())
    counts = selectors.status_counts([s.pk for s in subs])
    return [subscription_out(s, counts[s.pk]) for s in subs]


@router.get("/webhooks/{int:sub_id}", response=SubscriptionOut, summary="One webhook subscription (no secret)")
def get_subscription(request, sub_id: int):
    require(request.auth, MANAGE)
    return subscription_out(selectors.get_subscription(sub_id))


@router.patch("/webhooks/{int:sub_id}", response=SubscriptionOut,
              summary="Change the URL, event types, description or pause/resume (active)")
@idempotent()
def patch_subscription(request, sub_id: int, payload: SubscriptionPatch):
    require(request.auth, MANAGE)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    services.update_subscription(request.auth, selectors.get_subscription(sub_id), **changes)
    return 200, subscription_out(selectors.get_subscription(sub_id))


@router.delete("/webhooks/{int:sub_id}", response={204: None},
               summary="Delete a subscription and its delivery log")
@idempotent(default_status=204)
def delete_subscription(request, sub_id: int):
    require(request.auth, MANAGE)
    services.delete_subscription(request.auth, selectors.get_subscription(sub_id))
    return 204, None


@router.post("/webhooks/{int:sub_id}/rotate-secret", response=SubscriptionWithSecretOut,
             summary="New signing secret (returned once); the old one also signs for 24 hours")
@reveal_secret
@idempotent()
def rotate_secret(request, sub_id: int):
    require(request.auth, MANAGE)
    sub, secret = services.rotate_secret(request.auth, selectors.get_subscription(sub_id))
    return 200, _sealed(selectors.get_subscription(sub.pk), secret)


@router.get("/webhooks/{int:sub_id}/deliveries", response=DeliveryPage,
            summary="Delivery log, newest first (filter by status or event type; cursor pagination)")
def list_deliveries(request, sub_id: int, filters: Query[DeliveryFilters]):
    require(request.auth, MANAGE)
    sub = selectors.get_subscription(sub_id)
    rows, next_cursor = paginate(selectors.deliveries(sub, filters.status, filters.event_type),
                                 filters.cursor, filters.limit)
    return {"items": [delivery_out(d) for d in rows], "next_cursor": next_cursor}


@router.post("/webhooks/deliveries/{int:delivery_id}/redeliver", response={202: DeliveryOut},
             summary="Send a delivery once more, now (same event id and body)")
@idempotent(default_status=202)
def redeliver(request, delivery_id: int):
    require(request.auth, MANAGE)
    delivery = services.redeliver(request.auth, selectors.get_delivery(delivery_id))
    return 202, delivery_out(delivery)
