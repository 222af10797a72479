"""Serialise check-then-insert writes that have no row to lock yet."""

import hashlib

from django.db import connection


def serialize_on(key: str) -> None:
    """Hold a lock on `key` until the current transaction ends.

    On PostgreSQL this is a transaction-scoped advisory lock; SQLite transactions
    begin IMMEDIATE (see settings), which already serialises every writer."""
    if connection.vendor != "postgresql":
        return
    lock_id = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
