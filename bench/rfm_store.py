"""Storing and reading RFM runs with N members (default 1,000,000): `rfm_store.save_run` (RfmRun + one
RfmScore per member in one transaction, executemany in batches), re-running the same day (delete + insert),
then what the console and API read: the cells, the movement between two runs, one page of a cell's members,
one member's cells. The scores are a synthetic `compute_rfm` frame (random values, realistic cell shares): the
scoring itself is measured in docs/analytics-rfm.md. Reference: a raw `executemany` of the same rows into a
bare table with the same unique key and indexes, in the same database. Printed, not asserted.

    .venv/bin/python bench/rfm_store.py [--members N] [--keep]

Runs on a fresh SQLite database in a temporary directory.
"""

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
TMP = Path(tempfile.mkdtemp(prefix="shequn-bench-rfm-"))
os.environ["SHEQUN_VAR_DIR"] = str(TMP)
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
CELL_SHARES = {"champions": 8, "loyal": 10, "potential_loyalist": 10, "new": 8, "promising": 6, "need_attention": 8,
               "about_to_sleep": 10, "at_risk": 10, "cannot_lose": 3, "hibernating": 15, "lost": 12}


def frame_of(members: int, seed: int):
    import pandas as pd

    from shequn.analytics.rfm import COLUMNS

    rng = np.random.default_rng(seed)
    names = np.array(list(CELL_SHARES))
    shares = np.array(list(CELL_SHARES.values()), dtype=float)
    frame = pd.DataFrame({
        "member_id": np.arange(1, members + 1, dtype=np.int64), "store_code": "S00",
        "recency_days": rng.integers(0, 730, members), "frequency": rng.integers(1, 30, members),
        "monetary_fen": rng.integers(100, 10**7, members),
        **{c: rng.integers(1, 6, members) for c in ("r_score", "f_score", "m_score", "fm_score")},
        "cell": names[rng.choice(len(names), members, p=shares / shares.sum())].astype(object)})
    return frame[COLUMNS]


def insert_members(members: int, store_id: int) -> None:
    """Members straight into their table (executemany): every other column takes its default."""
    from django.db import connection, transaction
    from django.utils import timezone

    from shequn.members.models import Member

    given = ["id", "member_no", "name", "home_store_id", "joined_at"]
    extra = [f for f in Member._meta.concrete_fields if f.column not in given]
    defaults = tuple(f.get_db_prep_save(timezone.now() if getattr(f, "auto_now_add", False) or
                                        getattr(f, "auto_now", False) else
                                        f.get_default() if f.has_default() or not f.null else None, connection)
                     for f in extra)
    columns = given + [f.column for f in extra]
    sql = (f"INSERT INTO {Member._meta.db_table} ({', '.join(columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    joined = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(1, members + 1, 50_000):
            cursor.executemany(sql, [(i, f"B{i:09d}", f"会员{i}", store_id, joined, *defaults)
                                     for i in range(start, min(start + 50_000, members + 1))])


def raw_reference(frame) -> None:
    """The floor: the same rows into a bare table with the score table's unique key and indexes."""
    from django.db import connection, transaction

    from shequn.analytics.rfm_store import SCORE_COLUMNS

    columns = ", ".join(SCORE_COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_rfm_raw (run_id integer, member_id integer, recency_days integer, "
                       "frequency integer, monetary_fen integer, r_score integer, f_score integer, m_score integer, "
                       "fm_score integer, cell varchar(20), UNIQUE (run_id, member_id))")
        cursor.execute("CREATE INDEX bench_rfm_raw_cell ON bench_rfm_raw (run_id, cell, monetary_fen DESC, member_id)")
        cursor.execute("CREATE INDEX bench_rfm_raw_member ON bench_rfm_raw (member_id, run_id)")
        rows = list(zip(*[frame[c].tolist() for c in SCORE_COLUMNS], strict=True))
        cursor.executemany(f"INSERT INTO bench_rfm_raw (run_id, {columns}) VALUES (1, {', '.join(['%s'] * 9)})",
                           rows)


def timed(label: str, fn):
    started = time.perf_counter()
    result = fn()
    print(f"  {label:<58}{time.perf_counter() - started:8.2f} s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from shequn.analytics import rfm_store
    from shequn.core.actor import SYSTEM
    from shequn.stores.models import Store

    call_command("migrate", interactive=False, verbosity=0)
    n = args.members
    print(f"RFM runs in the database: {n:,} members, {connection.vendor}")
    store = Store.objects.create(code="S00", name="门店00", city="上海")
    timed("members (setup)", lambda: insert_members(n, store.pk))
    may, june = frame_of(n, 1), frame_of(n, 2)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS before storing: {before:,.0f} MB (the two frames are built)")
    first = timed("save_run, 2026-05-31 (new run)", lambda: rfm_store.save_run(
        SYSTEM, may, as_of=dt.date(2026, 5, 31), store=None, engine="bench", time_zone="Asia/Shanghai"))
    second = timed("save_run, 2026-06-30 (new run)", lambda: rfm_store.save_run(
        SYSTEM, june, as_of=dt.date(2026, 6, 30), store=None, engine="bench", time_zone="Asia/Shanghai"))
    timed("save_run, 2026-06-30 again (replaces the scores)", lambda: rfm_store.save_run(
        SYSTEM, june, as_of=dt.date(2026, 6, 30), store=None, engine="bench", time_zone="Asia/Shanghai"))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS after storing: {after:,.0f} MB (+{after - before:,.0f} MB)")
    timed("cell_rows (11 cells: members, share, average spend)", lambda: rfm_store.cell_rows(second))
    flows = timed("movement_rows (since 2026-05-31)", lambda: rfm_store.movement_rows(second, first))
    assert sum(f["members"] for f in flows) == n
    timed("movement_rows again (cached)", lambda: rfm_store.movement_rows(second, first))
    timed("cell_members, page 1 of loyal (50 rows)", lambda: rfm_store.cell_members(second, "loyal"))
    timed("cell_members, page 100 of loyal", lambda: rfm_store.cell_members(second, "loyal", page=100))
    timed("member_cells (one member)", lambda: rfm_store.member_cells(SYSTEM, n // 2))
    timed("reference: raw executemany of the same rows, bare table", lambda: raw_reference(june))
    if not args.keep:
        shutil.rmtree(TMP, ignore_errors=True)
    else:
        print(f"kept {TMP}")


if __name__ == "__main__":
    main()
