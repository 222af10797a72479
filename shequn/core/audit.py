"""Audit log writes; call inside the transaction of the change."""

from typing import Any

from .actor import Actor
from .models import AuditEntry


def record(actor: Actor, action: str, obj: Any = None, *, object_type: str = "",
           object_id: str | int = "", before: dict | None = None, after: dict | None = None,
           store_id: int | None = None) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEntry.objects.create(
        actor_kind=actor.kind, actor_id=str(actor.id), actor_label=actor.label[:150],
        action=action, object_type=object_type, object_id=str(object_id),
        store_id=store_id, before=before, after=after, ip=actor.ip,
    )
