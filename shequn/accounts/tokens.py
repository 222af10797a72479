"""API tokens: shown once, stored as SHA-256, revocable."""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from shequn.core import audit
from shequn.core.actor import Actor

from .models import ApiToken, StaffUser

TOKEN_PREFIX = "sq_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(actor: Actor, user: StaffUser, name: str = "") -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:10], token_hash=_hash(raw))
        audit.record(actor, "api_token.created", token, after={"user": user.username, "name": name})
    return token, raw


def revoke_token(actor: Actor, token: ApiToken) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        audit.record(actor, "api_token.revoked", token, after={"user": token.user.username})


def authenticate_token(raw: str) -> ApiToken | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user")
             .filter(token_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True).first())
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
