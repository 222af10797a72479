"""Shared tables: audit log, outbox, idempotency records, sequences, dev inbox."""

from django.db import models


class AuditEntry(models.Model):
    """One audited action: who did what to which object, with before/after."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16)  # staff, token, member, system
    actor_id = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True, db_index=True)
    store_id = models.BigIntegerField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class OutboxEvent(models.Model):
    """A domain event recorded in the transaction that caused it."""

    created_at = models.DateTimeField(auto_now_add=True)
    topic = models.CharField(max_length=64, db_index=True)
    aggregate_type = models.CharField(max_length=64, blank=True)
    aggregate_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(default=dict)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["processed_at", "id"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class IdempotencyRecord(models.Model):
    """The first response to a write, keyed by (actor, key), replayed on retries."""

    key = models.CharField(max_length=200)
    actor = models.CharField(max_length=80)
    request_hash = models.CharField(max_length=64)
    method_path = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="idempotency_actor_key_uniq")]


class Sequence(models.Model):
    """Named counters handed out in blocks (member numbers, order numbers)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)


class DevInboxMessage(models.Model):
    """Messages that would leave the system, kept for demo and development."""

    created_at = models.DateTimeField(auto_now_add=True)
    channel = models.CharField(max_length=16)
    recipient = models.CharField(max_length=64)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()

    class Meta:
        ordering = ["-id"]


class ScheduledRun(models.Model):
    """Last time a periodic job was enqueued (so several workers enqueue once)."""

    name = models.CharField(max_length=80, primary_key=True)
    last_run_at = models.DateTimeField()
