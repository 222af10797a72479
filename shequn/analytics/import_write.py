"""Writing checked transaction rows: members not yet known (as imported members, no points) and the
transactions themselves, one parameterised executemany per batch with ON CONFLICT DO NOTHING on the
(source, source_ref) key. Call inside the import's transaction.

QuerySet.bulk_create spends most of a large import compiling SQL per row, so rows go in as plain values."""

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection

from shequn.core.actor import Actor
from shequn.members.import_write import NewMember, write_members
from shequn.members.models import Member

from .models import Transaction

BATCH = 5000
SQLITE_CACHE_KIB = 262_144  # while writing: four indexes of a growing table stay in memory
LOOKUP_CHUNK = 900  # stays under SQLite's bound-parameter limit
COLUMNS = ["member", "occurred_at", "amount_fen", "quantity", "order_no", "store", "sku", "source", "source_ref",
           "created_at"]


@dataclass(slots=True)
class Row:
    """One checked row of the file."""

    line: int
    external_id: str
    occurred_at: dt.datetime  # UTC
    amount_fen: int
    quantity: int
    order_no: str
    store_id: int | None
    sku: str
    source_ref: str


@dataclass(slots=True)
class NewImportedMember:
    """A member the file names who is not in the database yet: first row, earliest purchase, first store."""

    line: int
    joined_at: dt.datetime
    store_id: int | None


def chunks(values: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def existing_members(external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(external_ids):
        found.update(Member.objects.filter(external_id__in=chunk).values_list("external_id", "pk"))
    return found


def existing_refs(refs: list[str]) -> set[str]:
    """The source refs already imported (none to look up when nothing was ever imported)."""
    imported = Transaction.objects.filter(source=Transaction.Source.IMPORT)
    total = imported.count()
    if not total:
        return set()
    if total <= 4 * len(refs):  # one scan beats a thousand look-ups when the file is a good part of it
        wanted = set(refs)
        return {ref for ref in imported.values_list("source_ref", flat=True).iterator(chunk_size=20_000)
                if ref in wanted}
    found: set[str] = set()
    for chunk in chunks(refs):
        found.update(imported.filter(source_ref__in=chunk).values_list("source_ref", flat=True))
    return found


def create_members(new: dict[str, NewImportedMember], *, actor: Actor, now: dt.datetime) -> dict[str, int]:
    """Imported members (no phone, blank name), with loyalty accounts at the base tier and no points."""
    rows = [NewMember(line=m.line, phone=None, name="", birthday=None, gender=Member.Gender.UNKNOWN,
                      store_id=m.store_id, external_id=ext, joined_at=m.joined_at, source=Member.Source.IMPORT)
            for ext, m in new.items()]
    created = write_members(rows, actor=actor, now=now)
    return {row.external_id: pk for row, (_, pk) in zip(rows, created, strict=True)}


def insert_transactions(rows: list[Row], member_ids: dict[str, int], *, now: dt.datetime,
                        on_batch: Callable[[int], None] | None = None) -> int:
    """INSERT the rows, leaving out any whose (source, source_ref) exists; returns how many went in."""
    ops = connection.ops
    quote = ops.quote_name
    opts = Transaction._meta
    columns = ", ".join(quote(opts.get_field(name).column) for name in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {quote(opts.db_table)} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"
    created_at = ops.adapt_datetimefield_value(now)
    source = str(Transaction.Source.IMPORT)
    adapt = ops.adapt_datetimefield_value
    written = 0
    with connection.cursor() as cursor, _large_page_cache(cursor):
        for start in range(0, len(rows), BATCH):
            chunk = rows[start:start + BATCH]
            cursor.executemany(sql, [
                (member_ids[r.external_id], adapt(r.occurred_at), r.amount_fen, r.quantity, r.order_no, r.store_id,
                 r.sku, source, r.source_ref, created_at) for r in chunk])
            written += cursor.rowcount if cursor.rowcount >= 0 else len(chunk)
            if on_batch:
                on_batch(len(chunk))
    return written


@contextmanager
def _large_page_cache(cursor) -> Iterator[None]:
    """On SQLite, a bigger page cache for this connection while the rows go in (restored after).

    A large import inserts into the transaction table's indexes at random places; with SQLite's default 2 MB
    cache most of those inserts would re-read pages."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute("PRAGMA cache_size")
    before = cursor.fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(before)}")
