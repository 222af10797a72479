"""Build the Actor for a staff user, an API token or a member session."""

from shequn.core.actor import Actor

from .models import StaffUser
from .roles import SCOPED_ROLES, permissions_for


def client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def staff_actor(user: StaffUser, *, ip: str | None = None, via_token: int | None = None) -> Actor:
    store_ids = frozenset(user.stores.values_list("pk", flat=True)) if user.role in SCOPED_ROLES else None
    return Actor(
        kind="token" if via_token else "staff",
        id=str(via_token or user.pk),
        label=user.get_username() + (" (API)" if via_token else ""),
        role=user.role,
        store_ids=store_ids,
        ip=ip,
        user_id=user.pk,
        permissions=permissions_for(user.role),
    )


def member_actor(member_id: int, ip: str | None = None) -> Actor:
    return Actor(kind="member", id=str(member_id), label=f"member:{member_id}", ip=ip,
                 permissions=frozenset())
