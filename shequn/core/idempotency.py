"""Idempotency-Key handling for write endpoints.

The first request with a key runs; its response (success or business error) is
stored in the same transaction as the change and replayed for retries with the
same payload. A different payload under the same key gets 422; a duplicate
arriving while the first is still running gets 409.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja import Status

from .errors import Conflict, Problem, ValidationProblem
from .models import IdempotencyRecord

STALE_AFTER = dt.timedelta(minutes=2)
MAX_KEY_LENGTH = 200


class ReplayedProblem(Problem):
    def __init__(self, body: dict[str, Any]) -> None:
        body = dict(body)
        body.pop("instance", None)
        status, type_, title, detail = (body.pop(k) for k in ("status", "type", "title", "detail"))
        super().__init__(detail, status=status, type=type_, title=title, **body)


def _jsonable(data: Any) -> Any:
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def _as_status(result: Any, default_status: int) -> Status:
    if isinstance(result, tuple):
        return Status(*result)
    return Status(default_status, result)


def _begin(actor: str, key: str, request_hash: str, method_path: str) -> tuple[IdempotencyRecord, tuple | None]:
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                actor=actor, key=key, request_hash=request_hash, method_path=method_path, started_at=now,
            )
        return record, None
    except IntegrityError:
        record = IdempotencyRecord.objects.filter(actor=actor, key=key).first()
    if record is None:  # the first request failed and released the key a moment ago
        raise Conflict("A request with this Idempotency-Key was just being processed; retry.",
                       type="idempotency-in-progress")
    if record.request_hash != request_hash:
        raise ValidationProblem(
            "This Idempotency-Key was already used with a different request; use a new key.",
            type="idempotency-key-reused",
        )
    if record.completed_at is not None:
        if record.response_status and record.response_status >= 400:
            raise ReplayedProblem(record.response_body or {})
        return record, (record.response_status, record.response_body)
    if record.started_at > now - STALE_AFTER:
        raise Conflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            type="idempotency-in-progress",
        )
    taken = IdempotencyRecord.objects.filter(pk=record.pk, started_at=record.started_at,
                                             completed_at__isnull=True).update(started_at=now)
    if not taken:
        raise Conflict("A request with this Idempotency-Key is still being processed.",
                       type="idempotency-in-progress")
    return record, None


def _complete(record: IdempotencyRecord, status: int, body: Any) -> None:
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        completed_at=timezone.now(), response_status=status, response_body=body,
    )


def idempotent(required: bool = False, default_status: int = 200) -> Callable:
    """Decorate a Ninja operation that returns (status, body) or body."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args: Any, **kwargs: Any):
            key = request.headers.get("Idempotency-Key", "").strip()
            if not key:
                if required:
                    raise Problem("This operation needs an Idempotency-Key header.",
                                  status=400, type="idempotency-key-required",
                                  title="Idempotency-Key required")
                return _as_status(view(request, *args, **kwargs), default_status)
            if len(key) > MAX_KEY_LENGTH:
                raise ValidationProblem(f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.",
                                        type="invalid-idempotency-key")
            actor = request.auth.idempotency_scope
            method_path = f"{request.method} {request.path}"
            record, replay = _begin(actor, key, fingerprint(request.method, request.path, request.body),
                                    method_path)
            if replay is not None:
                return Status(*replay)
            try:
                with transaction.atomic():
                    result = view(request, *args, **kwargs)
                    status, body = result if isinstance(result, tuple) else (default_status, result)
                    body = _jsonable(body)
                    _complete(record, status, body)
                return Status(status, body)
            except Problem as problem:
                if problem.status in (409, 429) and problem.type.startswith("idempotency"):
                    raise
                _complete(record, problem.status, problem.body())
                raise
            except BaseException:
                IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True).delete()
                raise

        return wrapper

    return decorator
