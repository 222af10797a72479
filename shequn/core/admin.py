from django.contrib import admin

from .models import AuditEntry, DevInboxMessage, IdempotencyRecord, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Ledger-like records are append-only: viewable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "actor_label", "action", "object_type", "object_id", "ip")
    list_filter = ("action", "actor_kind")
    search_fields = ("actor_label", "action", "object_id")


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "aggregate_type", "aggregate_id", "created_at", "processed_at")
    list_filter = ("topic",)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdmin):
    list_display = ("key", "actor", "method_path", "response_status", "started_at", "completed_at")


@admin.register(DevInboxMessage)
class DevInboxAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "channel", "recipient", "subject")
