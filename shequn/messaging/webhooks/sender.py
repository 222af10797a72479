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


def _post(args) -> transport.Result:
    url, body, headers = args
    return transport.post(url, body, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


def record(delivery: Delivery, token: str, result: transport.Result, started_at: dt.datetime,
           now: dt.datetime) -> str:
    """Store the attempt and move the delivery on: succeeded, failed (retry later) or dead."""
    if result.ok:
        status, next_at = Delivery.Status.SUCCEEDED, None
    elif delivery.attempts >= delivery.max_attempts:
        status, next_at = Delivery.Status.DEAD, None
    else:
        status, next_at = Delivery.Status.FAILED, now + retry_delay(delivery.attempts)
    with transaction.atomic():
        DeliveryAttempt.objects.create(delivery=delivery, number=delivery.attempts, manual=delivery.manual,
                                       started_at=started_at, status_code=result.status_code, error=result.error,
                                       response_excerpt=result.excerpt, duration_ms=result.duration_ms)
        Delivery.objects.filter(pk=delivery.pk, claim_token=token).update(
            status=status, next_attempt_at=next_at, claimed_until=None, manual=False,
            last_status_code=result.status_code, last_error=result.error, response_excerpt=result.excerpt,
            duration_ms=result.duration_ms, delivered_at=now if result.ok else None)
    return status.value


def send_batch(batch_size: int = 32, now: dt.datetime | None = None) -> dict[str, int]:
    """Claim one batch, POST it in parallel, record every outcome. Returns counts per new status."""
    now = now or timezone.now()
    token, batch = claim(batch_size, now)
    counts: dict[str, int] = {}
    if not batch:
        return counts
    subs = Subscription.objects.in_bulk({d.subscription_id for d in batch})
    batch = [d for d in batch if d.subscription_id in subs]  # a subscription deleted meanwhile
    keys = {pk: signing_secrets(sub, now) for pk, sub in subs.items()}
    requests = [_request(d, subs[d.subscription_id].url, keys[d.subscription_id]) for d in batch]
    started_at = timezone.now()
    with ThreadPoolExecutor(max_workers=min(settings.WEBHOOK_CONCURRENCY, len(batch))) as pool:
        results = list(pool.map(_post, requests))
    for delivery, result in zip(batch, results, strict=True):
        status = record(delivery, token, result, started_at, now)
        counts[status] = counts.get(status, 0) + 1
    return counts


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
