"""Group events: ingestion rate and daily health computation time, on a fresh SQLite database.

1. 1,000,000 events in batches of 1,000 through `ingest_events` (validation + INSERT … ON CONFLICT),
   beside a raw sqlite3 executemany of the same rows into a bare table with the same unique key and indexes;
   then the same batches re-sent (all duplicates).
2. `compute_daily_metrics` for one local day over 1,000 groups × 200 members with 90 days of events
   (written with raw inserts), and for a week of days.

Printed, not asserted. --scale 0.01 runs a hundredth (groups and events scale; 200 members a group
and 90 days stay).

    .venv/bin/python bench/group_events.py [--scale 1.0] [--events-per-group-day 20] [--keep]
"""

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KINDS = ["message"] * 6 + ["reply"] * 2 + ["reaction"] * 3 + ["poll_vote", "red_packet_grab"]
MEMBERS_PER_GROUP = 200
DAYS = 90


def setup_django(tmp: Path) -> None:
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def make_groups_and_members(n_groups: int, start: dt.datetime) -> tuple[list[int], dict[int, list[int]]]:
    """Groups, members and current memberships with raw inserts (the services are not what is measured)."""
    from django.db import connection, transaction

    from shequn.communities.models import Group
    from shequn.stores.models import Store

    store = Store.objects.create(code="BENCH", name="基准测试店", city="上海")
    adapt = connection.ops.adapt_datetimefield_value
    joined = adapt(start - dt.timedelta(days=30))
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(
            "INSERT INTO communities_group (name, store_id, capacity, member_count, status, external_chat_id, "
            "topic_calendar, description, created_at) VALUES (%s, %s, 200, 200, 'active', '', '{}', '', %s)",
            [(f"基准群{i}", store.pk, joined) for i in range(n_groups)])
        group_ids = list(Group.objects.order_by("pk").values_list("pk", flat=True))
        n_members = n_groups * MEMBERS_PER_GROUP
        cur.executemany(
            "INSERT INTO members_member (member_no, name, phone_encrypted, phone_masked, gender, source, joined_at, "
            "is_active) VALUES (%s, '基准会员', '', '', 'unknown', 'store', %s, 1)",
            [(f"B{i:09d}", joined) for i in range(n_members)])
        cur.execute("SELECT id FROM members_member ORDER BY id")
        member_ids = [r[0] for r in cur.fetchall()]
        members = {gid: member_ids[i * MEMBERS_PER_GROUP:(i + 1) * MEMBERS_PER_GROUP]
                   for i, gid in enumerate(group_ids)}
        cur.executemany(
            "INSERT INTO communities_membership (group_id, member_id, role, is_seed, joined_at, leave_reason, "
            "leave_note) VALUES (%s, %s, 'member', 0, %s, '', '')",
            [(gid, mid, joined) for gid, mids in members.items() for mid in mids])
    return group_ids, members


def make_batches(n_events: int, group_ids, members, end: dt.datetime, rng: random.Random) -> list[list[dict]]:
    events = []
    span = DAYS * 86400
    for i in range(n_events):
        gid = rng.choice(group_ids)
        events.append({"event_id": f"ev{i}", "kind": rng.choice(KINDS), "group_id": gid,
                       "member_id": rng.choice(members[gid]),
                       "occurred_at": (end - dt.timedelta(seconds=rng.randrange(span))).isoformat()})
    return [events[i:i + 1000] for i in range(0, len(events), 1000)]


def raw_reference(batches, path: Path) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE e (source TEXT, event_id TEXT, group_id INT, member_id INT, kind TEXT, "
                 "occurred_at TEXT, by_admin INT, amount_fen INT, payload TEXT, received_at TEXT, "
                 "UNIQUE (source, event_id))")
    # the same secondary indexes as communities_groupevent: index upkeep is part of the floor
    conn.execute("CREATE INDEX e_group_time ON e (group_id, occurred_at)")
    conn.execute("CREATE INDEX e_member_time ON e (member_id, occurred_at)")
    started = time.perf_counter()
    for batch in batches:
        with conn:
            conn.executemany("INSERT INTO e VALUES ('api', ?, ?, ?, ?, ?, 0, 0, '{}', '')",
                             [(e["event_id"], e["group_id"], e["member_id"], e["kind"], e["occurred_at"])
                              for e in batch])
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_history(group_ids, members, per_group_day: int, end: dt.datetime, rng: random.Random) -> int:
    """90 days of events for every group, straight into the table."""
    from django.db import connection, transaction

    adapt = connection.ops.adapt_datetimefield_value
    sql = ("INSERT INTO communities_groupevent (source, event_id, group_id, member_id, kind, occurred_at, by_admin, "
           "amount_fen, payload, received_at) VALUES ('bench', %s, %s, %s, %s, %s, 0, %s, '{}', %s)")
    now = adapt(end)
    n = 0
    for day in range(DAYS):
        rows = []
        day_start = end - dt.timedelta(days=day + 1)
        for gid in group_ids:
            for _ in range(per_group_day):
                kind = "order" if rng.random() < 0.03 else rng.choice(KINDS)
                rows.append((f"h{n}", gid, rng.choice(members[gid]), kind,
                             adapt(day_start + dt.timedelta(seconds=rng.randrange(86400))),
                             rng.randrange(1000, 50000) if kind == "order" else 0, now))
                n += 1
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Fraction of 1,000 groups and 1,000,000 events.")
    parser.add_argument("--events-per-group-day", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shequn-bench-events-"))
    try:
        setup_django(tmp)
        from django.db import connection
        from django.utils import timezone

        from shequn.communities.health import compute_daily_metrics
        from shequn.communities.ingest import ingest_events
        from shequn.core.actor import Actor

        rng = random.Random(20261123)
        n_groups = max(1, round(1000 * args.scale))
        n_events = max(1000, round(1_000_000 * args.scale))
        end = timezone.now() - dt.timedelta(minutes=10)
        group_ids, members = make_groups_and_members(n_groups, end - dt.timedelta(days=DAYS))
        batches = make_batches(n_events, group_ids, members, end, rng)
        actor = Actor(kind="system", id="bench", label="bench", permissions=frozenset({"communities.manage"}))

        started = time.perf_counter()
        accepted = sum(ingest_events(actor, b)["accepted"] for b in batches)
        ingest_s = time.perf_counter() - started
        assert accepted == n_events, accepted
        started = time.perf_counter()
        dups = sum(ingest_events(actor, b)["duplicates"] for b in batches)
        resend_s = time.perf_counter() - started
        assert dups == n_events, dups
        raw_s = raw_reference(batches, tmp / "raw.sqlite3")

        print(f"event ingestion, {n_events:,} events in batches of 1,000, {n_groups:,} groups, SQLite ({tmp})")
        print(f"  ingest_events:                 {ingest_s:7.2f} s  {n_events / ingest_s:10,.0f} events/s")
        print(f"  re-sent (all duplicates):      {resend_s:7.2f} s  {n_events / resend_s:10,.0f} events/s")
        print(f"  reference: raw executemany:    {raw_s:7.2f} s  {n_events / raw_s:10,.0f} events/s")
        print(f"  ingest_events / raw = {ingest_s / raw_s:.1f}×")

        started = time.perf_counter()
        history = raw_history(group_ids, members, args.events_per_group_day, end, rng)
        fill_s = time.perf_counter() - started
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
            cur.execute("SELECT COUNT(*) FROM communities_groupevent")
            total = cur.fetchone()[0]
        day = timezone.localdate(end) - dt.timedelta(days=1)
        started = time.perf_counter()
        rows = compute_daily_metrics(day)
        one_day_s = time.perf_counter() - started
        started = time.perf_counter()
        compute_daily_metrics(day)
        again_s = time.perf_counter() - started
        started = time.perf_counter()
        for back in range(1, 8):
            compute_daily_metrics(day - dt.timedelta(days=back))
        week_s = time.perf_counter() - started
        print(f"daily health, {n_groups:,} groups × {MEMBERS_PER_GROUP} members, {total:,} events over {DAYS} days "
              f"({history:,} written raw in {fill_s:.1f} s)")
        print(f"  compute_daily_metrics, one day:   {one_day_s:7.2f} s  ({rows:,} group rows, "
              f"{rows / one_day_s:,.0f} groups/s)")
        print(f"  the same day again (upsert):      {again_s:7.2f} s")
        print(f"  seven more days:                  {week_s:7.2f} s  ({week_s / 7:.2f} s a day; "
              f"a 90-day backfill ≈ {week_s / 7 * DAYS:.0f} s)")
        print(f"  hourly job (yesterday + today) ≈ {2 * one_day_s:.1f} s")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
