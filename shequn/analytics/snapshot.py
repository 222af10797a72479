"""分析快照: the analytics tables exported to Parquet for the embedded DuckDB engine.

DuckDB cannot attach SQLite or PostgreSQL here (its scanner extensions would have to be downloaded), so the
DuckDB engine reads a snapshot instead. Rows are streamed from the database in batches, so a million
transactions need little memory, and a snapshot replaces the previous one only once it is complete."""

import shutil
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.conf import settings

from shequn.members.models import Member
from shequn.stores.models import Store

from .models import Transaction

BATCH_ROWS = 50_000
UTC_MICROS = pa.timestamp("us", tz="UTC")

TABLES: dict[str, tuple[type, pa.Schema]] = {
    "transactions": (Transaction, pa.schema([
        ("id", pa.int64()), ("member_id", pa.int64()), ("occurred_at", UTC_MICROS), ("amount_fen", pa.int64()),
        ("quantity", pa.int64()), ("order_no", pa.string()), ("store_id", pa.int64()), ("sku", pa.string()),
        ("source", pa.string()), ("source_ref", pa.string()),
    ])),
    "members": (Member, pa.schema([("id", pa.int64()), ("home_store_id", pa.int64()), ("joined_at", UTC_MICROS)])),
    "stores": (Store, pa.schema([("id", pa.int64()), ("code", pa.string()), ("timezone", pa.string())])),
}


def default_dir() -> Path:
    return Path(settings.VAR_DIR) / "analytics" / "snapshot"


def write_snapshot(dir: Path | str | None = None, *, batch_rows: int = BATCH_ROWS) -> Path:
    """Export transactions, members and stores to `<dir>/<table>.parquet`; returns the directory.

    The files are written into a temporary sibling directory which then takes the place of `dir`, so a
    reader never sees a half-written snapshot and a failed export leaves the previous one in place."""
    target = Path(dir) if dir is not None else default_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name, (model, schema) in TABLES.items():
            _export(model, schema, staging / f"{name}.parquet", batch_rows)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _swap_in(staging, target)
    return target


def _export(model: type, schema: pa.Schema, path: Path, batch_rows: int) -> None:
    rows = model.objects.order_by("pk").values_list(*schema.names).iterator(chunk_size=batch_rows)
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_batch(_record_batch(batch, schema))
                batch = []
        if batch:
            writer.write_batch(_record_batch(batch, schema))


def _record_batch(rows: list[tuple], schema: pa.Schema) -> pa.RecordBatch:
    columns = list(zip(*rows, strict=True))
    arrays = [pa.array(col, type=field.type) for col, field in zip(columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _swap_in(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{target.name}-old-", dir=target.parent))
    retired.rmdir()
    target.rename(retired)
    staging.rename(target)
    shutil.rmtree(retired, ignore_errors=True)
