"""客群 live count preview on 1,000,000 members: how long `segments.services.preview` takes for a segment of six
conditions (tier + home store + spend in the last 90 days + RFM cell + tag + marketing consent), beside the same
count done by loading the rows into pandas and intersecting there, in the same run. Printed, not asserted.

Generates (executemany on SQLite, COPY on PostgreSQL): N members (default 1,000,000) over 20 stores with tiers,
0–3 of 20 tags each, marketing / profiling consents (some withdrawn later: the latest decision counts), T
transactions (default 5,000,000, 3% refunds) over two years, and an overall RFM run scoring every member.
Then times each condition alone, single per-member conditions, the full preview (median of --repeat runs),
materialising the segment, and the pandas reference. `--explain` prints the query plans first.

    .venv/bin/python bench/segment_preview.py [--members N] [--transactions T] [--repeat 5] [--keep]
    .venv/bin/python bench/segment_preview.py --reuse /tmp/shequn-bench-seg-XXXX   # measure a kept database again

DATABASE_URL=postgres://... runs on PostgreSQL instead (the database is created and dropped).
"""

import argparse
import datetime as dt
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

STORES, TAGS, CHUNK = 20, 20, 100_000
TIERS = [("basic", 0.60), ("silver", 0.25), ("gold", 0.12), ("diamond", 0.03)]
CELLS = [("champions", 8), ("loyal", 10), ("potential_loyalist", 10), ("new", 8), ("promising", 6),
         ("need_attention", 8), ("about_to_sleep", 10), ("at_risk", 10), ("cannot_lose", 3),
         ("hibernating", 15), ("lost", 12)]
CONDITIONS = [
    {"field": "tier", "op": "in", "value": ["silver", "gold", "diamond"]},
    {"field": "store", "op": "in", "value": [f"S{n:02d}" for n in range(8)]},
    {"field": "spend", "op": "gte", "value": "200", "window": {"days": 90}},
    {"field": "rfm_cell", "op": "in", "value": ["champions", "loyal", "potential_loyalist", "at_risk"]},
    {"field": "tag", "op": "has", "value": ["标签03", "标签07"]},
    {"field": "consent", "op": "granted", "value": "marketing"},
]


def _rows_for(model, columns: list[str]):
    """(sql, defaults) to insert into model's table: the given columns plus every other column's default."""
    from django.db import connection
    from django.utils import timezone

    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.column not in columns)]
    extra = [f for f in fields if f.column not in columns]
    defaults = []
    for f in extra:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        else:
            value = f.get_default()
        defaults.append(f.get_db_prep_save(value, connection))
    cols = columns + [f.column for f in extra]
    return model._meta.db_table, cols, tuple(defaults)


def insert(model, columns: list[str], rows) -> int:
    """Bulk insert rows (tuples in `columns` order); COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection, transaction

    table, cols, defaults = _rows_for(model, columns)
    n = 0
    batch: list[tuple] = []

    def flush():
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(cols))
                cursor.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", batch)

    for row in rows:
        batch.append(tuple(row) + defaults)
        if len(batch) >= CHUNK:
            flush()
            n += len(batch)
            batch = []
    if batch:
        flush()
        n += len(batch)
    return n


def generate(members: int, transactions: int, seed: int = 20261123) -> dict:
    from django.db import connection

    from shequn.analytics.models import RfmRun, RfmScore, Transaction
    from shequn.core import clock
    from shequn.loyalty.models import LoyaltyAccount, Tier
    from shequn.loyalty.program import ensure_default_tiers
    from shequn.members.models import Consent, Member, Tag
    from shequn.stores.models import Store

    rng = random.Random(seed)
    now_epoch = int(time.time())
    suffix = "+00:00" if connection.vendor == "postgresql" else ""  # SQLite keeps naive UTC text

    def ago(seconds: int) -> str:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now_epoch - seconds)) + suffix

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -524288")  # 512 MB while generating, so index pages stay cached
    ensure_default_tiers()
    tiers = dict(Tier.objects.values_list("code", "pk"))
    stores = [Store.objects.create(code=f"S{n:02d}", name=f"门店{n:02d}", city="上海").pk for n in range(STORES)]
    tags = [Tag.objects.create(name=f"标签{n:02d}").pk for n in range(TAGS)]
    two_years = 730 * 86400
    timings = {}

    started = time.perf_counter()
    tier_codes, tier_weights = zip(*TIERS, strict=True)
    insert(Member, ["id", "member_no", "name", "home_store_id", "joined_at", "is_active"],
           ((i, f"B{i:09d}", f"会员{i}", stores[i % STORES], ago(rng.randrange(two_years)),
             True) for i in range(1, members + 1)))
    insert(LoyaltyAccount, ["member_id", "tier_id", "tier_since"],
           ((i, tiers[rng.choices(tier_codes, tier_weights)[0]], ago(0)) for i in range(1, members + 1)))
    timings["members + tiers"] = time.perf_counter() - started

    started = time.perf_counter()
    through = Member.tags.through
    insert(through, ["member_id", "tag_id"],
           ((i, t) for i in range(1, members + 1) for t in rng.sample(tags, rng.choice((0, 1, 1, 2, 3)))))

    def consents():
        for i in range(1, members + 1):
            if rng.random() < 0.7:
                yield (i, "marketing", True, "v1")
                if rng.random() < 0.1:
                    yield (i, "marketing", False, "v1")
            if rng.random() < 0.5:
                yield (i, "profiling", True, "v1")

    insert(Consent, ["member_id", "purpose", "granted", "notice_version"], consents())
    timings["tags + consents"] = time.perf_counter() - started

    started = time.perf_counter()
    heavy = max(1, members // 5)  # a fifth of the members make most of the purchases

    def purchases():
        for n in range(transactions):
            member = rng.randrange(1, heavy + 1) if rng.random() < 0.6 else rng.randrange(1, members + 1)
            fen = rng.randrange(500, 40_000)
            yield (member, ago(rng.randrange(two_years)),
                   -fen if rng.random() < 0.03 else fen, 1, stores[member % STORES], "import", f"b{n}")

    with connection.schema_editor() as editor:  # load first, index after: far faster than indexing row by row
        for index in Transaction._meta.indexes:
            editor.remove_index(Transaction, index)
    insert(Transaction, ["member_id", "occurred_at", "amount_fen", "quantity", "store_id", "source", "source_ref"],
           purchases())
    with connection.schema_editor() as editor:
        for index in Transaction._meta.indexes:
            editor.add_index(Transaction, index)
    timings["transactions"] = time.perf_counter() - started

    started = time.perf_counter()
    run = RfmRun.objects.create(as_of=clock.local_date(), store=None, engine="bench", time_zone="Asia/Shanghai",
                                members=members)
    names, weights = zip(*CELLS, strict=True)
    insert(RfmScore, ["run_id", "member_id", "recency_days", "frequency", "monetary_fen", "r_score", "f_score",
                      "m_score", "fm_score", "cell"],
           ((run.pk, i, rng.randrange(730), rng.randrange(1, 30), rng.randrange(100, 10**7), rng.randrange(1, 6),
             rng.randrange(1, 6), rng.randrange(1, 6), rng.randrange(1, 6), rng.choices(names, weights)[0])
            for i in range(1, members + 1)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["RFM scores + ANALYZE"] = time.perf_counter() - started
    return timings


def pandas_count(conditions: list) -> int:
    """The reference: the rows each condition needs, loaded into pandas and intersected there."""
    import pandas as pd
    from django.db import connection

    from shequn.analytics.segments import compile as K
    from shequn.core import clock

    ctx = K.Context.load()
    tier_ids = [ctx.tiers[c] for c in conditions[0]["value"]]
    store_ids = [ctx.stores[c] for c in conditions[1]["value"]]
    start = clock.start_of_local_day(ctx.today - dt.timedelta(days=conditions[2]["window"]["days"] - 1))
    tag_ids = [ctx.tags[n] for n in conditions[4]["value"]]

    def frame(sql, params=()):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return pd.DataFrame(cursor.fetchall(), columns=[c[0] for c in cursor.description])

    members = frame("SELECT m.id, m.home_store_id, m.is_active, l.tier_id FROM members_member m "
                    "JOIN loyalty_loyaltyaccount l ON l.member_id = m.id")
    tx = frame("SELECT member_id, amount_fen FROM analytics_transaction WHERE occurred_at >= %s",
               [connection.ops.adapt_datetimefield_value(start)])
    rfm = frame("SELECT member_id, cell FROM analytics_rfmscore WHERE run_id = %s", [ctx.rfm_run_id])
    tags = frame("SELECT member_id, tag_id FROM members_member_tags")
    consent = frame("SELECT id, member_id, granted FROM members_consent WHERE purpose = 'marketing'")

    m = members[members.is_active.astype(bool) & members.tier_id.isin(tier_ids) & members.home_store_id.isin(store_ids)]
    spend = tx.groupby("member_id")["amount_fen"].sum()
    ok = set(m.id) & set(spend[spend >= int(conditions[2]["value"]) * 100].index)
    ok &= set(rfm[rfm.cell.isin(conditions[3]["value"])].member_id)
    ok &= set(tags[tags.tag_id.isin(tag_ids)].member_id)
    latest = consent.sort_values("id").groupby("member_id").tail(1)
    ok &= set(latest[latest.granted.astype(bool)].member_id)
    return len(ok)


def timed(fn, repeat: int) -> tuple[float, object]:
    results, times = None, []
    for _ in range(repeat):
        started = time.perf_counter()
        results = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, results


def forget_previous_measurement() -> None:
    """A kept database as generated: without the segment (and the index of older runs) an earlier run added."""
    from django.db import connection

    from shequn.analytics.models import Segment
    from shequn.analytics.segments.models import SegmentMember
    from shequn.members.models import Member

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_tx_cover")
    SegmentMember.objects.filter(segment__name="bench").delete()
    Segment.objects.filter(name="bench").delete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM analytics_transaction")
        transactions = cursor.fetchone()[0]
    print(f"Database: {connection.vendor} (reused); {Member.objects.count():,} members, {transactions:,} transactions")


# Lone per-member conditions: no short list of rows to start from in the old plan.
SINGLES = [
    ("spend ≥ 200 in 90 days", {"field": "spend", "op": "gte", "value": "200", "window": {"days": 90}}),
    ("orders ≥ 3 in 90 days", {"field": "orders", "op": "gte", "value": 3, "window": {"days": 90}}),
    ("marketing consent", {"field": "consent", "op": "granted", "value": "marketing"}),
    ("no marketing consent", {"field": "consent", "op": "not_granted", "value": "marketing"}),
    ("has not tag 03", {"field": "tag", "op": "has_not", "value": ["标签03"]}),
]


def explain() -> None:
    """The database's plan for the six-condition count and each single condition (EXPLAIN QUERY PLAN on
    SQLite, EXPLAIN on PostgreSQL)."""
    from django.db import connection
    from django.db.models import Count, Window

    from shequn.accounts.roles import Role, permissions_for
    from shequn.analytics.segments import services as S
    from shequn.core.actor import Actor

    actor = Actor(kind="system", id="bench", label="bench", role=Role.OWNER, permissions=permissions_for(Role.OWNER))
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    for label, conditions in [("six conditions", CONDITIONS)] + [(label, [c]) for label, c in SINGLES]:
        members = S.matching(S.clean(actor, conditions), [])
        counted = members.annotate(total=Window(Count("pk"))).values_list("pk", "total")[:10]
        sql, params = counted.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            plan = [row[-1] for row in cursor.fetchall()]
        print(f"\nPlan: {label}\n  " + "\n  ".join(plan))


def measure(repeat: int) -> None:

    from shequn.accounts.roles import Role, permissions_for
    from shequn.analytics.models import Segment
    from shequn.analytics.segments import services as S
    from shequn.core.actor import Actor

    actor = Actor(kind="system", id="bench", label="bench", role=Role.OWNER, permissions=permissions_for(Role.OWNER))
    print("\nEach condition alone (median ms, members matching):")
    for cond in CONDITIONS:
        ms, preview = timed(lambda c=cond: S.preview([c], actor), repeat)
        print(f"  {cond['field']:<24} {ms:9.0f} ms  {preview.count:>9,}")
    print("Single conditions on their own:")
    for label, cond in SINGLES:
        ms, preview = timed(lambda c=cond: S.preview([c], actor), repeat)
        print(f"  {label:<24} {ms:9.0f} ms  {preview.count:>9,}")
    ms, preview = timed(lambda: S.preview(CONDITIONS, actor), repeat)
    print(f"\nPreview of all six conditions: {ms:,.0f} ms (median of {repeat}), {preview.count:,} members")
    ref_ms, ref_count = timed(lambda: pandas_count(CONDITIONS), 1)
    print(f"pandas reference (load the rows, intersect): {ref_ms:,.0f} ms, {ref_count:,} members "
          f"({'agrees' if ref_count == preview.count else 'DIFFERS'}); preview is {ref_ms / ms:.1f}× faster")
    segment = Segment.objects.create(name="bench", conditions=S.clean(actor, CONDITIONS))
    started = time.perf_counter()
    result = S.materialise(segment)
    print(f"Materialise: {(time.perf_counter() - started) * 1000:,.0f} ms ({result})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--transactions", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the SQLite database (its folder is printed)")
    parser.add_argument("--reuse", metavar="DIR", help="measure the SQLite database kept in DIR by --keep instead "
                                                       "of generating one (kept afterwards)")
    parser.add_argument("--explain", action="store_true", help="print the query plans before measuring")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if args.reuse and url:
        parser.error("--reuse measures a kept SQLite database; unset DATABASE_URL")
    if args.reuse and not (Path(args.reuse) / "shequn.sqlite3").exists():
        parser.error(f"no shequn.sqlite3 in {args.reuse}")
    tmp = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="shequn-bench-seg-"))
    args.keep = args.keep or bool(args.reuse)
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    if url.startswith("postgres"):
        from redeem_throughput import recreate_database

        recreate_database(url)
    import django
    from django.core.management import call_command

    django.setup()
    try:
        call_command("migrate", interactive=False, verbosity=0)
        from django.db import connection

        if args.reuse:
            forget_previous_measurement()
        else:
            print(f"Database: {connection.vendor}; {args.members:,} members, {args.transactions:,} transactions")
            started = time.perf_counter()
            for step, seconds in generate(args.members, args.transactions).items():
                print(f"  generated {step}: {seconds:.0f} s")
            print(f"Generation: {time.perf_counter() - started:.0f} s")
        if args.explain:
            explain()
        measure(args.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        if url.startswith("postgres"):
            from redeem_throughput import drop_database

            drop_database(url)
        if args.keep:
            print(f"Kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
