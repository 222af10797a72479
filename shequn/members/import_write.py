"""Writing validated import rows in bulk: members, their loyalty accounts with the
joining tier change (as loyalty.services.open_account does one by one), and tags.
Call inside the import's transaction.

Rows go in with one parameterised executemany per table: QuerySet.bulk_create spends
about 100 µs a row compiling SQL, which made it most of the time of a large import."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, models

from shequn.core.actor import Actor

from .models import Member, Tag
from .services import next_member_numbers, phone_fields

BATCH = 2000


@dataclass
class NewMember:
    """One valid row, ready to write."""

    line: int
    phone: str | None
    name: str
    birthday: dt.date | None
    gender: str
    store_id: int | None
    external_id: str | None
    tags: list[str] = field(default_factory=list)
    joined_at: dt.datetime | None = None  # None: now
    source: str = Member.Source.IMPORT


def _tag_ids(names: set[str]) -> dict[str, int]:
    existing = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    missing = names - existing.keys()
    if missing:
        Tag.objects.bulk_create([Tag(name=n) for n in sorted(missing)], ignore_conflicts=True)
        existing.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    return existing


def insert_rows(model: type[models.Model], field_names: list[str], rows: list[tuple]) -> None:
    """INSERT plain rows; values must already be in database form (see connection.ops.adapt_*)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    opts = model._meta
    columns = ", ".join(quote(opts.get_field(name).column) for name in field_names)
    marks = ", ".join(["%s"] * len(field_names))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({marks})", rows)


def _stored_phone(phone: str | None) -> tuple[str, str | None, str]:
    if not phone:
        return "", None, ""
    stored = phone_fields(phone)
    return stored["phone_encrypted"], stored["phone_hash"], stored["phone_masked"]


def _member_ids(numbers: list[str]) -> dict[str, int]:
    """Ids of the members just inserted; numbers are fixed-width, so a range finds them."""
    found = Member.objects.filter(member_no__gte=numbers[0], member_no__lte=numbers[-1]).values_list(
        "member_no", "pk")
    wanted = set(numbers)
    return {no: pk for no, pk in found if no in wanted}


def write_members(rows: list[NewMember], *, actor: Actor, now: dt.datetime,
                  on_batch: Callable[[int], None] | None = None) -> list[tuple[str, int]]:
    """Insert the members; returns (member_no, id) in row order."""
    from shequn.loyalty.models import LoyaltyAccount, TierChange
    from shequn.loyalty.program import base_tier

    ops = connection.ops
    tier_id = base_tier().pk
    numbers = next_member_numbers(len(rows))
    tag_ids = _tag_ids({t for row in rows for t in row.tags})
    label = actor.label[:150]
    at = ops.adapt_datetimefield_value(now)
    created: list[tuple[str, int]] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start:start + BATCH]
        chunk_numbers = numbers[start:start + len(chunk)]
        joined = [ops.adapt_datetimefield_value(row.joined_at) if row.joined_at else at for row in chunk]
        insert_rows(Member, MEMBER_FIELDS, [
            (no, row.name, *_stored_phone(row.phone), row.gender, ops.adapt_datefield_value(row.birthday),
             row.store_id, str(row.source), row.external_id, since, True)
            for no, row, since in zip(chunk_numbers, chunk, joined, strict=True)])
        ids = _member_ids(chunk_numbers)
        member_ids = [ids[no] for no in chunk_numbers]
        insert_rows(LoyaltyAccount, ["member", "tier", "tier_since", "points_balance", "points_earned_total",
                                     "checkin_streak"],
                    [(pk, tier_id, since, 0, 0, 0) for pk, since in zip(member_ids, joined, strict=True)])
        insert_rows(TierChange, ["member", "from_tier", "to_tier", "reason", "actor_label", "created_at"],
                    [(pk, None, tier_id, "入会", label, since) for pk, since in zip(member_ids, joined, strict=True)])
        insert_rows(Member.tags.through, ["member", "tag"],
                    [(pk, tag_ids[t]) for pk, row in zip(member_ids, chunk, strict=True) for t in row.tags])
        created.extend(zip(chunk_numbers, member_ids, strict=True))
        if on_batch:
            on_batch(len(chunk))
    return created


MEMBER_FIELDS = ["member_no", "name", "phone_encrypted", "phone_hash", "phone_masked", "gender", "birthday",
                 "home_store", "source", "external_id", "joined_at", "is_active"]
