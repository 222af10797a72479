from .actor import Actor
from .errors import PermissionDenied


def require(actor: Actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied(f"Your role ({actor.role or actor.kind}) may not do this ({permission}).")
