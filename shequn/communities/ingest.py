"""Batch ingestion of group events (messages, replies, reactions, votes …) from the API and WeCom.

A batch is all-or-nothing: every item is checked first and any bad item means nothing is
written, with every problem reported by its index. A clean batch is inserted in bulk with
INSERT … ON CONFLICT (source, event_id) DO NOTHING, so a re-sent batch (or a re-sent item)
is counted as a duplicate and changes nothing."""

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from shequn.core import audit
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem
from shequn.core.permissions import require
from shequn.members.models import Member

from .models import Group, GroupEvent

MAX_BATCH = 5000
MAX_ID = 2**63 - 1
CLOCK_SKEW = dt.timedelta(minutes=5)
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit
# Joins and leaves are facts of Membership rows; they are recorded by the membership services.
ALL_KINDS = frozenset(GroupEvent.Kind.values)
# Joins and leaves come from membership changes, refunds from the order core: never from clients.
INGESTIBLE_KINDS = ALL_KINDS - {GroupEvent.Kind.JOIN, GroupEvent.Kind.LEAVE, GroupEvent.Kind.REFUND}
SOURCES = frozenset({"api", "wecom", "h5", "system", "commerce", "import"})
_COLUMNS = ("source", "event_id", "group_id", "member_id", "kind", "occurred_at", "by_admin", "amount_fen",
            "payload", "received_at")


class BatchRejected(ValidationProblem):
    """422 with `errors: [{index, message}]`; nothing of the batch was written."""

    type = "invalid-events"
    title = "Invalid events"

    def __init__(self, errors: list[dict]) -> None:
        shown = "; ".join(f"#{e['index']}: {e['message']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} event(s) are invalid, nothing was written: {shown}{more}", errors=errors)


def _visible_group_ids(actor: Actor, ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(ids)):
        qs = Group.objects.filter(pk__in=chunk)
        if actor.store_ids is not None:
            qs = qs.filter(store_id__in=actor.store_ids)
        found.update(qs.values_list("pk", flat=True))
    return found


def _existing_member_ids(ids: set[int]) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(ids)):
        found.update(Member.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    return found


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _as_datetime(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            return None
        if parsed is None:
            return None
    else:
        return None
    if timezone.is_naive(parsed):  # a local wall-clock time, as a store's system would send it
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    return parsed


def _check(index: int, item: Any, now: dt.datetime, errors: list[dict], kinds: frozenset[str]) -> dict | None:
    """The item as a row to insert, or None with its problems appended to errors."""

    def bad(message: str) -> None:
        errors.append({"index": index, "message": message})

    if not isinstance(item, dict):
        bad("an event must be an object")
        return None
    before = len(errors)
    event_id = item.get("event_id")
    if not isinstance(event_id, str | int) or isinstance(event_id, bool) or not str(event_id).strip():
        bad("event_id is required")
    elif len(str(event_id).strip()) > 100:
        bad("event_id is longer than 100 characters")
    kind = item.get("kind")
    if kind not in kinds:
        bad(f"kind must be one of {', '.join(sorted(kinds))} (got {kind!r})")
    group_id = _as_int(item.get("group_id"))
    if group_id is None or not 0 < group_id <= MAX_ID:
        bad("group_id must be a positive integer")
    member_id = item.get("member_id")
    if member_id is not None:
        member_id = _as_int(member_id)
        if member_id is None or not 0 < member_id <= MAX_ID:
            bad("member_id must be a positive integer or null")
    occurred_at = _as_datetime(item.get("occurred_at"))
    if occurred_at is None:
        bad("occurred_at must be an ISO 8601 date and time")
    elif occurred_at > now + CLOCK_SKEW:
        bad(f"occurred_at {occurred_at.isoformat()} is in the future")
    amount_fen = item.get("amount_fen", 0)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 <= amount_fen < 10**12:
        bad("amount_fen must be a non-negative integer (fen)")
    elif amount_fen and kind != GroupEvent.Kind.ORDER:
        bad("amount_fen is only for order events")
    by_admin = item.get("by_admin", False)
    if not isinstance(by_admin, bool):
        bad("by_admin must be true or false")
    payload = item.get("payload") or {}
    if not isinstance(payload, dict):
        bad("payload must be an object")
    if len(errors) > before:
        return None
    return {"event_id": str(event_id).strip(), "kind": kind, "group_id": group_id, "member_id": member_id,
            "occurred_at": occurred_at, "by_admin": by_admin, "amount_fen": amount_fen, "payload": payload}


def validate_events(actor: Actor, events: list, *, now: dt.datetime | None = None,
                    kinds: frozenset[str] = INGESTIBLE_KINDS) -> tuple[list[dict], list[dict]]:
    """(rows, errors): every item checked; groups must be visible to the actor, members must exist."""
    now = now or timezone.now()
    errors: list[dict] = []
    if not isinstance(events, list):
        return [], [{"index": -1, "message": "events must be a list"}]
    if len(events) > MAX_BATCH:
        return [], [{"index": -1, "message": f"at most {MAX_BATCH} events per batch (got {len(events)})"}]
    checked = [(i, _check(i, item, now, errors, kinds)) for i, item in enumerate(events)]
    rows = [(i, row) for i, row in checked if row is not None]
    groups = _visible_group_ids(actor, {row["group_id"] for _, row in rows})
    members = _existing_member_ids({row["member_id"] for _, row in rows if row["member_id"]})
    for i, row in rows:
        if row["group_id"] not in groups:
            errors.append({"index": i, "message": f"no group {row['group_id']}"})
        if row["member_id"] and row["member_id"] not in members:
            errors.append({"index": i, "message": f"no member {row['member_id']}"})
    errors.sort(key=lambda e: e["index"])
    return [row for _, row in rows], errors


def _insert_sql() -> str:
    table = connection.ops.quote_name(GroupEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (source, event_id) DO NOTHING"


def _insert(rows: list[dict], source: str, received_at: dt.datetime) -> int:
    """Rows actually inserted; the rest already existed (a conflict is not an error)."""
    adapt = connection.ops.adapt_datetimefield_value
    received = adapt(received_at)
    params = [(source, r["event_id"], r["group_id"], r["member_id"], r["kind"], adapt(r["occurred_at"]),
               r["by_admin"], r["amount_fen"], json.dumps(r["payload"], ensure_ascii=False), received)
              for r in rows]
    with connection.cursor() as cursor:
        cursor.executemany(_insert_sql(), params)
        inserted = cursor.rowcount
    if inserted is None or inserted < 0:  # a driver that does not sum executemany row counts
        raise RuntimeError("the database driver did not report inserted rows")
    return inserted


def ingest_events(actor: Actor, events: list, *, source: str = "api", check_permission: bool = True,
                  kinds: frozenset[str] = INGESTIBLE_KINDS) -> dict:
    """Validate the whole batch, then store it once: {accepted, duplicates, errors: []}.

    Raises BatchRejected (422, errors by index) when any item is bad; nothing is written then."""
    if check_permission:
        require(actor, "communities.manage")
    if source not in SOURCES:
        raise ValidationProblem(f"source must be one of {', '.join(sorted(SOURCES))}.", type="invalid-source")
    rows, errors = validate_events(actor, events, kinds=kinds)
    if errors:
        raise BatchRejected(errors)
    unique: dict[str, dict] = {}
    for row in rows:
        unique.setdefault(row["event_id"], row)  # a repeat inside the batch is a duplicate too
    with transaction.atomic():
        accepted = _insert(list(unique.values()), source, timezone.now()) if unique else 0
        if accepted:
            audit.record(actor, "communities.events_ingested", object_type="communities.groupevent",
                         after={"source": source, "accepted": accepted, "duplicates": len(rows) - accepted})
    return {"accepted": accepted, "duplicates": len(rows) - accepted, "errors": []}
