"""The sender: claim due deliveries in batches, POST them signed, record the outcome, schedule retries.

Claims are safe with several senders on one database: on PostgreSQL the candidate rows are locked with
FOR UPDATE SKIP LOCKED, and everywhere the claim is a conditional UPDATE that only takes rows nobody
holds; the claimed rows are then read back by the claim's random token.
"""

import datetime as dt
import logging
import random
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from . import transport
from .models import Delivery, DeliveryAttempt, Subscription
from .services import signing_secrets
from .signing import header

log = logging.getLogger("shequn.webhooks")

RETRY_DELAYS = [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
                dt.timedelta(hours=6), dt.timedelta(hours=12), dt.timedelta(hours=24)]
JITTER = 0.1  # ±10 %, so retries of many deliveries to one receiver spread out
CLAIM_LEASE = dt.timedelta(minutes=5)
USER_AGENT = "Shequn-Webhooks/1"


def retry_delay(attempts: int) -> dt.timedelta:
    """Wait after the `attempts`-th failed try."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return base * (1 + random.uniform(-JITTER, JITTER))


def _due(now: dt.datetime):
    return (Delivery.objects.filter(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED],
                                    next_attempt_at__lte=now, subscription__active=True)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)))


def claim(batch_size: int, now: dt.datetime | None = None) -> tuple[str, list[Delivery]]:
    """Take up to `batch_size` due deliveries for this sender; each try is counted here."""
    now = now or timezone.now()
    token = uuid.uuid4().hex
    with transaction.atomic():
        ids = list(_due(now).order_by("next_attempt_at", "id").select_for_update(skip_locked=True, of=("self",))
                   .values_list("pk", flat=True)[:batch_size])
        if not ids:
            return token, []
        _due(now).filter(pk__in=ids).update(claimed_until=now + CLAIM_LEASE, claim_token=token,
                                            attempts=F("attempts") + 1)
    return token, list(Delivery.objects.filter(claim_token=token).order_by("id"))


def _request(delivery: Delivery, url: str, keys: list[str]) -> tuple[str, bytes, dict[str, str]]:
    body = delivery.body.encode()
    return url, body, {
        "X-Shequn-Event-Id": delivery.event_ref,
        "X-Shequn-Event-Type": delivery.event_type,
        "X-Shequn-Signature": header(keys, body),
        "User-Agent": USER_AGENT,
    }


def _post(args) -> tuple[dt.datetime, transport.Result]:
    url, body, headers = args
    started_at = timezone.now()
    return started_at, transport.post(url, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


def _outcome(delivery: Delivery, result: transport.Result, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    if result.ok:
        return Delivery.Status.SUCCEEDED.value, None
    if delivery.attempts >= delivery.max_attempts:
        return Delivery.Status.DEAD.value, None
    return Delivery.Status.FAILED.value, now + retry_delay(delivery.attempts)


def record(batch: list[Delivery], token: str, outcomes: list[tuple[dt.datetime, transport.Result]],
           now: dt.datetime) -> dict[str, int]:
    """Store the attempts and move each delivery on: succeeded, failed (retry later) or dead.

    One transaction for the batch; a delivery whose claim was taken over (its lease ran out) keeps its
    attempt in the log but is left to the sender that holds it now."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(delivery=d, number=d.attempts, manual=d.manual, started_at=started_at,
                            status_code=r.status_code, error=r.error, response_excerpt=r.excerpt,
                            duration_ms=r.duration_ms)
            for d, (started_at, r) in zip(batch, outcomes, strict=True))
        for delivery, (_, result) in zip(batch, outcomes, strict=True):
            status, next_at = _outcome(delivery, result, now)
            Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
                status=status, next_attempt_at=next_at, claimed_until=None, manual=False,
                last_status_code=result.status_code, last_error=result.error, response_excerpt=result.excerpt,
                duration_ms=result.duration_ms, delivered_at=now if result.ok else None)
            counts[status] = counts.get(status, 0) + 1
    return counts


def send_batch(batch_size: int = 32, now: dt.datetime | None = None) -> dict[str, int]:
    """Claim one batch, POST it in parallel, record every outcome. Returns counts per new status."""
    now = now or timezone.now()
    token, batch = claim(batch_size, now)
    if not batch:
        return {}
    subs = Subscription.objects.in_bulk({d.subscription_id for d in batch})
    batch = [d for d in batch if d.subscription_id in subs]  # a subscription deleted meanwhile
    keys = {pk: signing_secrets(sub, now) for pk, sub in subs.items()}
    requests = [_request(d, subs[d.subscription_id].url, keys[d.subscription_id]) for d in batch]
    with ThreadPoolExecutor(max_workers=max(1, min(settings.WEBHOOK_CONCURRENCY, len(batch)))) as pool:
        outcomes = list(pool.map(_post, requests))
    return record(batch, token, outcomes, now)


def send_due(batch_size: int = 32, time_budget: float = 20.0, now: dt.datetime | None = None) -> dict[str, int]:
    """Send batches until nothing is due or the time budget is spent (the next run goes on)."""
    deadline = time.monotonic() + time_budget
    totals: dict[str, int] = {}
    while True:
        counts = send_batch(batch_size, now)
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
        if not counts or time.monotonic() > deadline:
            break
    if totals:
        log.info("webhooks sent: %s", totals)
    return totals
