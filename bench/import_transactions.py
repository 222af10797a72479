"""Purchase-history import throughput: N rows (default 1,000,000) into a fresh SQLite database.

The generated file has a member for about every ten rows (all new: the import creates them), three stores,
an order number on half the rows, times to the minute over two years. Prints the dry run (checking only),
the import (checking, creating the members, writing), a second import of the same file (every row already
there) and, as the floor, a raw sqlite3 executemany of the same rows into a bare table with the same unique
key and indexes and the same page cache. Printed, not asserted.

    .venv/bin/python bench/import_transactions.py [--rows N] [--keep]
"""

import argparse
import csv
import os
import random
import resource
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STORES = ["BENCH-A", "BENCH-B", "BENCH-C"]
SQLITE_CACHE_KIB = 262_144


def make_csv(path: Path, rows: int, seed: int = 20261123) -> None:
    rng = random.Random(seed)
    members = max(1, rows // 10)
    start = 1_700_000_000  # 2023-11-14
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["member_external_id", "occurred_at", "amount", "quantity", "order_no", "store_code", "sku"])
        for i in range(rows):
            moment = time.gmtime(start + rng.randrange(730 * 86400) // 60 * 60)
            quantity = rng.choice((1, 1, 1, 2, 3))
            refund = rng.random() < 0.03
            amount = f"{rng.randrange(100, 50_000) / 100:.2f}"
            out.writerow([f"POS{rng.randrange(members):07d}", time.strftime("%Y-%m-%d %H:%M", moment),
                          f"-{amount}" if refund else amount, -quantity if refund else quantity,
                          f"SO{i:09d}" if i % 2 else "", rng.choice(STORES), f"SKU-{rng.randrange(2000):04d}"])


def raw_insert(path: Path, db_path: Path) -> float:
    """The floor: the same rows straight into a bare table with the same unique key and indexes."""
    with open(path, encoding="utf-8") as fh:
        rows = [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], f"ref-{i}") for i, r in enumerate(csv.reader(fh)) if i]
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")  # as the import does while writing
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, member TEXT, occurred_at TEXT, amount TEXT, "
                 "quantity TEXT, order_no TEXT, store TEXT, sku TEXT, source TEXT, source_ref TEXT, "
                 "UNIQUE (source, source_ref))")
    for cols in ("member, occurred_at", "occurred_at", "store, occurred_at"):
        conn.execute(f"CREATE INDEX t_{cols.replace(', ', '_')} ON t ({cols})")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO t (member, occurred_at, amount, quantity, order_no, store, sku, source, "
                         "source_ref) VALUES (?, ?, ?, ?, ?, ?, ?, 'import', ?) ON CONFLICT DO NOTHING", rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shequn-bench-tx-"))
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from shequn.analytics.importer import import_transactions
    from shequn.analytics.models import Transaction
    from shequn.core.actor import Actor
    from shequn.loyalty.services import ensure_default_tiers, program
    from shequn.stores.models import Store

    try:
        call_command("migrate", interactive=False, verbosity=0)
        ensure_default_tiers()
        program()
        for code in STORES:
            Store.objects.create(code=code, name=f"基准测试{code[-1]}店", city="上海")
        csv_path = tmp / "transactions.csv"
        make_csv(csv_path, args.rows)
        actor = Actor(kind="system", id="bench", label="bench",
                      permissions=frozenset({"members.write", "members.import"}))
        n = args.rows

        started = time.perf_counter()
        checked = import_transactions(actor, csv_path, dry_run=True)
        check_s = time.perf_counter() - started
        assert checked.ok, checked.errors[:5]

        started = time.perf_counter()
        result = import_transactions(actor, csv_path)
        import_s = time.perf_counter() - started
        assert result.ok and result.created == n, (result.errors[:5], result.created)
        assert Transaction.objects.count() == n

        started = time.perf_counter()
        again = import_transactions(actor, csv_path)
        again_s = time.perf_counter() - started
        assert again.ok and again.created == 0 and again.skipped_existing == n

        raw_s = raw_insert(csv_path, tmp / "raw.sqlite3")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"transaction import, {n:,} rows, {result.members_created:,} new members, SQLite ({tmp})")
        print(f"  import (check + members + write, one transaction): {import_s:7.2f} s  {n / import_s:10,.0f} rows/s")
        print(f"  re-import of the same file (all already there):   {again_s:7.2f} s  {n / again_s:10,.0f} rows/s")
        print(f"  reference: check only (dry run):                  {check_s:7.2f} s  {n / check_s:10,.0f} rows/s")
        print(f"  reference: raw executemany INSERT (same indexes): {raw_s:7.2f} s  {n / raw_s:10,.0f} rows/s")
        print(f"  import / dry run = {import_s / check_s:.1f}×; import / raw INSERT = {import_s / raw_s:.1f}×; "
              f"peak memory {peak_mb:,.0f} MB")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
