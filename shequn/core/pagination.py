"""Keyset (cursor) pagination over a descending or ascending id."""

import base64
import json
from typing import Any

from django.db.models import QuerySet

from .errors import ValidationProblem

MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    invalid = ValidationProblem("The cursor is not valid; start again without one.", type="invalid-cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = int(json.loads(base64.urlsafe_b64decode(padded))["id"])
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        raise invalid from exc
    if not 0 < value < 2**63:  # a database id; anything else would fail in the query
        raise invalid
    return value


def paginate(qs: QuerySet, cursor: str | None, limit: int = 50,
             newest_first: bool = True) -> tuple[list[Any], str | None]:
    limit = max(1, min(int(limit), MAX_LIMIT))
    if cursor:
        last = decode_cursor(cursor)
        qs = qs.filter(pk__lt=last) if newest_first else qs.filter(pk__gt=last)
    qs = qs.order_by("-pk" if newest_first else "pk")
    rows = list(qs[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor
