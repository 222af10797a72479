"""Bulk points grants: one job per idempotency key; a retried or resumed job never
grants twice because every grant carries the job's ref (unique per member)."""

import hashlib

from django.db import transaction
from django.utils import timezone

from shequn.core import audit
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem

from . import points
from .models import BulkGrant, BulkGrantItem, LoyaltyAccount

CHUNK = 200


def _fingerprint(points_each: int, reason: str, member_ids: list[int]) -> str:
    digest = hashlib.sha256(f"{points_each}|{reason}|".encode())
    digest.update(",".join(map(str, sorted(set(member_ids)))).encode())
    return digest.hexdigest()


def create_bulk_grant(actor: Actor, *, idempotency_key: str, points_each: int, reason: str,
                      member_ids: list[int]) -> tuple[BulkGrant, bool]:
    """Create the job (or return the one created before under this key)."""
    points._check_amount(points_each)
    if not reason.strip():
        raise ValidationProblem("A bulk grant needs a reason.", type="reason-required")
    if not member_ids:
        raise ValidationProblem("The grant has no members.", type="empty-grant")
    key = idempotency_key.strip()
    if not key or len(key) > 200:
        raise ValidationProblem("A bulk grant needs an idempotency key of 1-200 characters.",
                                type="invalid-idempotency-key")
    fingerprint = _fingerprint(points_each, reason, member_ids)
    with transaction.atomic():
        existing = BulkGrant.objects.select_for_update().filter(idempotency_key=key).first()
        if existing is not None:
            if existing.fingerprint != fingerprint:
                raise ValidationProblem("This key was already used for a different grant.",
                                        type="idempotency-key-reused")
            return existing, False
        unique_ids = sorted(set(member_ids))
        known = set(LoyaltyAccount.objects.filter(pk__in=unique_ids).values_list("pk", flat=True))
        unknown = [m for m in unique_ids if m not in known]
        if unknown:
            raise ValidationProblem(f"Unknown members: {', '.join(map(str, unknown[:20]))}",
                                    type="member-not-found", missing=unknown[:100])
        grant = BulkGrant.objects.create(idempotency_key=key, points=points_each, reason=reason,
                                         total=len(unique_ids), created_by=actor.label[:150],
                                         fingerprint=fingerprint)
        BulkGrantItem.objects.bulk_create([BulkGrantItem(grant=grant, member_id=m) for m in unique_ids],
                                          batch_size=1000)
        audit.record(actor, "points.bulk_grant_created", grant,
                     after={"points": points_each, "members": len(unique_ids), "reason": reason})
    return grant, True


def run_bulk_grant(grant_id: int, actor: Actor) -> BulkGrant:
    """Grant to every member not yet granted; safe to run again after a crash."""
    BulkGrant.objects.filter(pk=grant_id, status=BulkGrant.Status.PENDING).update(status=BulkGrant.Status.RUNNING)
    grant = BulkGrant.objects.get(pk=grant_id)
    ref = f"grant:{grant.pk}"
    while True:
        items = list(BulkGrantItem.objects.filter(grant=grant, entry__isnull=True).order_by("id")[:CHUNK])
        if not items:
            break
        for item in items:
            with transaction.atomic():
                entry = points.earn(actor, item.member_id, grant.points, source="bulk_grant", ref=ref,
                                    reason=grant.reason)
                BulkGrantItem.objects.filter(pk=item.pk).update(entry=entry)
        BulkGrant.objects.filter(pk=grant.pk).update(
            granted=BulkGrantItem.objects.filter(grant=grant, entry__isnull=False).count())
    BulkGrant.objects.filter(pk=grant.pk).update(status=BulkGrant.Status.DONE, finished_at=timezone.now(),
                                                 granted=grant.total)
    grant.refresh_from_db()
    return grant
