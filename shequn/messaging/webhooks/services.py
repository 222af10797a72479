"""Writes: subscriptions (create, change, rotate the secret, delete) and manual redelivery."""

import datetime as dt
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, pii
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, ValidationProblem

from . import events as catalogue
from .models import Delivery, DeliveryAttempt, Subscription
from .signing import new_secret

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PREVIOUS_SECRET_GRACE = dt.timedelta(hours=24)
MAX_URL_LENGTH = 500


class InvalidWebhookUrl(ValidationProblem):
    type = "invalid-webhook-url"


class InvalidEventTypes(ValidationProblem):
    type = "invalid-event-types"


class DeliveryInProgress(Conflict):
    type = "delivery-in-progress"


def clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        raise InvalidWebhookUrl("Give the URL that receives the events.", reason="required")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidWebhookUrl(f"The URL is longer than {MAX_URL_LENGTH} characters.", reason="too-long")
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidWebhookUrl(f"The URL is not valid ({exc}).", reason="invalid") from exc
    del port
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidWebhookUrl("The URL must start with https:// and name a host.", reason="invalid")
    if parts.username or parts.password:
        raise InvalidWebhookUrl("Put no user name or password in the URL; the signature authenticates us.",
                                reason="credentials")
    if parts.fragment:
        raise InvalidWebhookUrl("The URL may not contain a #fragment.", reason="invalid")
    if any(c.isspace() for c in url):
        raise InvalidWebhookUrl("The URL may not contain spaces.", reason="invalid")
    if parts.scheme == "http" and host not in LOCAL_HOSTS:
        raise InvalidWebhookUrl("Use https://; plain http:// is allowed only for 127.0.0.1 or localhost "
                                "(development).", reason="insecure")
    return url


def clean_events(values: list[str]) -> list[str]:
    values = [str(v).strip() for v in values or [] if str(v).strip()]
    if not values:
        raise InvalidEventTypes("Choose at least one event type, or \"*\" for every event type.")
    bad = catalogue.unknown(values)
    if bad:
        raise InvalidEventTypes(f"Unknown event type(s): {', '.join(bad)}. See GET /api/v1/webhooks/event-types.",
                                unknown=bad)
    return catalogue.normalise(values)


def _snapshot(sub: Subscription) -> dict:
    return {"url": sub.url, "events": sub.events, "active": sub.active, "description": sub.description}


def _set_secret(sub: Subscription, secret: str) -> None:
    sub.secret_encrypted = pii.encrypt(secret)
    sub.secret_hint = secret[-4:]


def create_subscription(actor: Actor, *, url: str, events: list[str], description: str = "",
                        active: bool = True) -> tuple[Subscription, str]:
    """Returns the subscription and its secret, which is not readable again afterwards."""
    url, events = clean_url(url), clean_events(events)
    secret = new_secret()
    with transaction.atomic():
        sub = Subscription(url=url, events=events, description=(description or "").strip()[:200], active=active,
                           created_by_id=actor.user_id)
        _set_secret(sub, secret)
        sub.save()
        audit.record(actor, "webhook.created", sub, after=_snapshot(sub))
    return sub, secret


def update_subscription(actor: Actor, sub: Subscription, **changes) -> Subscription:
    if "url" in changes:
        changes["url"] = clean_url(changes["url"])
    if "events" in changes:
        changes["events"] = clean_events(changes["events"])
    if "description" in changes:
        changes["description"] = (changes["description"] or "").strip()[:200]
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=sub.pk)
        before = _snapshot(sub)
        for field, value in changes.items():
            setattr(sub, field, value)
        after = _snapshot(sub)
        if after != before:
            sub.save()
            audit.record(actor, "webhook.updated", sub, before=before, after=after)
    return sub


def rotate_secret(actor: Actor, sub: Subscription) -> tuple[Subscription, str]:
    """A new secret signs from now on; the old one is sent as a second signature for 24 hours."""
    secret = new_secret()
    with transaction.atomic():
        sub = Subscription.objects.select_for_update().get(pk=sub.pk)
        sub.previous_secret_encrypted = sub.secret_encrypted
        sub.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_GRACE
        _set_secret(sub, secret)
        sub.save()
        audit.record(actor, "webhook.secret_rotated", sub, after={"secret_hint": sub.secret_hint})
    return sub, secret


def delete_subscription(actor: Actor, sub: Subscription) -> None:
    with transaction.atomic():
        audit.record(actor, "webhook.deleted", sub, before=_snapshot(sub))
        sub.delete()


def signing_secrets(sub: Subscription, now: dt.datetime | None = None) -> list[str]:
    now = now or timezone.now()
    keys = [pii.decrypt(sub.secret_encrypted)]
    if sub.previous_secret_encrypted and sub.previous_secret_expires_at and sub.previous_secret_expires_at > now:
        keys.append(pii.decrypt(sub.previous_secret_encrypted))
    return keys


def redeliver(actor: Actor, delivery: Delivery) -> Delivery:
    """Queue one more attempt now, whatever the delivery's state (not while one is being sent)."""
    now = timezone.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.claimed_until and delivery.claimed_until > now:
            raise DeliveryInProgress("This delivery is being sent right now; look again in a moment.")
        before = {"status": delivery.status, "attempts": delivery.attempts}
        delivery.status, delivery.next_attempt_at, delivery.manual = Delivery.Status.PENDING, now, True
        delivery.max_attempts = max(delivery.max_attempts, delivery.attempts + 1)
        delivery.save(update_fields=["status", "next_attempt_at", "manual", "max_attempts"])
        audit.record(actor, "webhook.redelivery_requested", delivery, before=before,
                     after={"status": delivery.status, "event_id": delivery.event_ref})
    return delivery


def prune_log(older_than_days: int = 30, chunk: int = 5000) -> int:
    """Finished deliveries (delivered or given up) are kept a month for the log, then removed."""
    cutoff = timezone.now() - dt.timedelta(days=older_than_days)
    finished = Delivery.objects.filter(status__in=[Delivery.Status.SUCCEEDED, Delivery.Status.DEAD],
                                       created_at__lt=cutoff)
    removed = 0
    while ids := list(finished.values_list("pk", flat=True)[:chunk]):
        with transaction.atomic():
            DeliveryAttempt.objects.filter(delivery_id__in=ids).delete()
            removed += Delivery.objects.filter(pk__in=ids).delete()[1].get(Delivery._meta.label, 0)
    return removed
