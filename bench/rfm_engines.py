"""RFM job on each analytics engine: DuckDB (the reference), Spark local mode, and PostgreSQL when DATABASE_URL
is set, on the same generated purchase history.

Generates N transactions (default 1,000,000) of M members (100,000) over 10 stores and a year, as a Parquet
snapshot with the schema `shequn.analytics.snapshot` writes; then times `compute_rfm` overall and for one
store on each engine: the first run (Spark: with starting the JVM) and the best of the warm runs. Every
engine's result is compared with DuckDB's. Printed, not asserted.

    .venv/bin/python bench/rfm_engines.py [--transactions 1000000] [--members 100000] [--repeat 3]
                                          [--engines duckdb,spark,postgres]

With DATABASE_URL=postgres://… the same rows are loaded into a database `shequn_bench_rfm` on that server
(created and dropped) and the postgres engine reads them there.
"""

import argparse
import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
AS_OF = dt.date(2026, 10, 31)
STORES = 10
BENCH_DB = "shequn_bench_rfm"


def generate(folder: Path, transactions: int, members: int, seed: int = 7) -> None:
    """Purchases of a year (a few members buy often), 3% refunds, members' home stores (5% without one)."""
    from shequn.analytics.snapshot import TABLES

    rng = np.random.default_rng(seed)
    end = int(dt.datetime(2026, 11, 10, tzinfo=dt.UTC).timestamp() * 1_000_000)
    year = 365 * 86_400 * 1_000_000
    home = rng.integers(1, STORES + 1, members)
    home_or_none = pa.array(home, mask=rng.random(members) < 0.05, type=pa.int64())
    weights = 1 / np.arange(1, members + 1) ** 0.6
    member = rng.choice(np.arange(1, members + 1), transactions, p=weights / weights.sum())
    amount = np.round(rng.lognormal(8.5, 0.9, transactions)).astype(np.int64) + 100
    amount[rng.random(transactions) < 0.03] *= -1
    stamp = pa.timestamp("us", tz="UTC")
    columns = {
        "transactions": {
            "id": np.arange(1, transactions + 1), "member_id": member,
            "occurred_at": pa.array(end - rng.integers(0, year, transactions), type=stamp),
            "amount_fen": amount, "quantity": rng.integers(1, 4, transactions), "order_no": [""] * transactions,
            "store_id": home[member - 1], "sku": [""] * transactions, "source": ["import"] * transactions,
            "source_ref": [str(n) for n in range(transactions)],
        },
        "members": {"id": np.arange(1, members + 1), "home_store_id": home_or_none,
                    "joined_at": pa.array(np.full(members, end - year), type=stamp)},
        "stores": {"id": np.arange(1, STORES + 1), "code": [f"S{n:02d}" for n in range(1, STORES + 1)],
                   "timezone": ["Asia/Shanghai"] * STORES},
    }
    for name, (_, schema) in TABLES.items():
        pq.write_table(pa.table(columns[name], schema=schema), folder / f"{name}.parquet", compression="zstd")


def admin_connect(url: str, dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), dbname=dbname, autocommit=True)


def load_postgres(url: str, folder: Path) -> None:
    """The snapshot's rows in tables named like Shequn's (only the columns the engine reads)."""
    with admin_connect(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{BENCH_DB}"')
    with admin_connect(url, BENCH_DB) as db:
        db.execute("CREATE TABLE stores_store (id bigint PRIMARY KEY, code text, timezone text)")
        db.execute("CREATE TABLE members_member (id bigint PRIMARY KEY, home_store_id bigint, joined_at timestamptz)")
        db.execute("CREATE TABLE analytics_transaction (id bigint PRIMARY KEY, member_id bigint, "
                   "occurred_at timestamptz, amount_fen bigint, quantity int, order_no text, store_id bigint, "
                   "sku text, source text, source_ref text)")
        for name, table in (("stores", "stores_store"), ("members", "members_member"),
                            ("transactions", "analytics_transaction")):
            rows = pq.read_table(folder / f"{name}.parquet")
            with db.cursor().copy(f"COPY {table} ({', '.join(rows.column_names)}) FROM STDIN") as copy:
                for batch in rows.to_batches(100_000):
                    for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                        copy.write_row(row)
        db.execute("CREATE INDEX ON analytics_transaction (member_id, occurred_at)")
        db.execute("ANALYZE")


def time_engine(engine: str, snapshot: Path, repeat: int, store: str | None):
    from shequn.analytics.engines import connect
    from shequn.analytics.rfm import compute_rfm

    times, frame = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        backend, tables = connect(engine, snapshot=None if engine == "postgres" else snapshot)
        try:
            frame = compute_rfm(backend, tables, as_of=AS_OF, store_code=store)
        finally:
            backend.disconnect()
        times.append(time.perf_counter() - started)
    return times[0], min(times[1:] or times), frame


def run(engines: list[str], snapshot: Path, repeat: int) -> None:
    print(f"RFM as of {AS_OF}: the first run and the best of {max(repeat - 1, 1)} warm run(s), seconds")
    print(f"{'engine':<10}{'scope':<7}{'members':>9}{'first':>9}{'warm':>9}{'× duckdb':>10}  same as duckdb")
    reference = {}
    for engine in engines:
        for store in (None, "S01"):
            first, warm, frame = time_engine(engine, snapshot, repeat, store)
            if engine == "duckdb":
                reference[store] = (warm, frame)
            base, expected = reference[store]
            same = "yes" if frame.equals(expected) else "NO"
            print(f"{engine:<10}{store or 'all':<7}{len(frame):>9,}{first:>9.2f}{warm:>9.2f}{warm / base:>10.1f}"
                  f"  {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="duckdb,spark,postgres",
                        help="comma-separated; duckdb always runs (the reference), postgres only with DATABASE_URL")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shequn-bench-rfm-"))
    pg_url = os.environ.pop("DATABASE_URL", "")
    chosen = {name.strip() for name in args.engines.split(",")}
    with_postgres = "postgres" in chosen and pg_url.startswith(("postgres://", "postgresql://"))
    os.environ.update(SHEQUN_VAR_DIR=str(work / "var"), DJANGO_SETTINGS_MODULE="shequn.config.settings")
    if with_postgres:
        os.environ["DATABASE_URL"] = pg_url.rsplit("/", 1)[0] + f"/{BENCH_DB}"  # the engine reads it from here
    import django

    django.setup()
    try:
        snapshot = work / "snapshot"
        snapshot.mkdir()
        started = time.perf_counter()
        generate(snapshot, args.transactions, args.members)
        print(f"generated {args.transactions:,} transactions of {args.members:,} members "
              f"in {time.perf_counter() - started:.1f} s")
        engines = ["duckdb", *(["spark"] if "spark" in chosen else [])]
        if with_postgres:
            started = time.perf_counter()
            load_postgres(pg_url, snapshot)
            print(f"loaded into PostgreSQL {BENCH_DB} in {time.perf_counter() - started:.1f} s")
            engines.append("postgres")
        run(engines, snapshot, args.repeat)
    finally:
        if with_postgres:
            from django.db import connections

            connections.close_all()
            with admin_connect(pg_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
