"""Who is acting: carried from the request into services for audit and scoping."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    kind: str  # staff, token, member, system
    id: str = ""
    label: str = ""
    role: str = ""
    store_ids: frozenset[int] | None = None  # None: every store
    ip: str | None = None
    user_id: int | None = None
    permissions: frozenset[str] = field(default_factory=frozenset)

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    @property
    def scoped(self) -> bool:
        return self.store_ids is not None

    @property
    def idempotency_scope(self) -> str:
        return f"{self.kind}:{self.id}"


SYSTEM = Actor(kind="system", id="system", label="system")
