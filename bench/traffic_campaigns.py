"""私域流量价值 and 活动效果 on a fresh SQLite database: how long `traffic.traffic_value` takes over a year of
history, and `uplift.measure` over a large grant with a control group.

Generates (default scale 1.0) 50,000 members over 10 stores joined through the year, 500 groups of about
100 members, 600,000 purchases and 30,000 refunds, 300,000 check-ins and 400,000 group interactions in the
last 12 months, then times:
1. traffic_value for all stores (12 months × overall, 10 stores, 500 groups), and for one store;
2. uplift.measure for a grant to 20,000 members with a 20% control group over a 21-day window.
Printed, not asserted. --scale 0.1 runs a tenth. Generating takes long on a busy machine: --keep leaves the
database directory behind and --reuse DIR times an earlier one again.

    .venv/bin/python bench/traffic_campaigns.py [--scale 1.0] [--repeat 3] [--keep | --reuse DIR]
"""

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STORES, DAYS = 10, 365


def setup_django(tmp: Path) -> None:
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def generate(scale: float, now: dt.datetime) -> dict:
    from shequn.analytics.models import Transaction
    from shequn.communities.models import Group, GroupEvent, Membership
    from shequn.loyalty.models import CheckIn
    from shequn.members.models import Member
    from shequn.stores.models import Store

    rng = random.Random(5)
    n_members, n_groups = int(50_000 * scale), int(500 * scale)
    stores = Store.objects.bulk_create(Store(code=f"S{n:02d}", name=f"门店{n}", city="上海") for n in range(STORES))
    start = now - dt.timedelta(days=DAYS)
    Member.objects.bulk_create((Member(member_no=f"M{n:08d}", name=f"会员{n}", home_store=stores[n % STORES],
                                       joined_at=start - dt.timedelta(days=rng.randint(0, 400)) if n % 3
                                       else start + dt.timedelta(days=rng.randint(0, DAYS - 1)))
                                for n in range(n_members)), batch_size=5000)
    members = list(Member.objects.values_list("pk", "joined_at"))
    groups = Group.objects.bulk_create(Group(name=f"群{n}", store=stores[n % STORES], capacity=500)
                                       for n in range(n_groups))
    stays = [Membership(group=g, member_id=m, joined_at=j + dt.timedelta(days=1),
                        left_at=now - dt.timedelta(days=rng.randint(1, 200)) if rng.random() < 0.15 else None)
             for g in groups for m, j in rng.sample(members, 100)]
    Membership.objects.bulk_create(stays, batch_size=10_000)

    def when(joined):
        first = max(joined, start)
        return first + dt.timedelta(seconds=rng.randint(0, max(1, int((now - first).total_seconds()) - 1)))

    txs = []
    for n in range(int(600_000 * scale)):
        m, j = rng.choice(members)
        txs.append(Transaction(member_id=m, occurred_at=when(j), amount_fen=rng.randint(500, 30_000),
                               source="import", source_ref=f"T{n}", store=stores[m % STORES]))
        if n % 20 == 0:
            txs.append(Transaction(member_id=m, occurred_at=txs[-1].occurred_at + dt.timedelta(days=2),
                                   amount_fen=-txs[-1].amount_fen // 2, source="refund", source_ref=f"R{n}"))
    Transaction.objects.bulk_create(txs, batch_size=10_000)
    checkins = {(m, when(j).date()) for m, j in (rng.choice(members) for _ in range(int(300_000 * scale)))}
    CheckIn.objects.bulk_create((CheckIn(member_id=m, local_date=d, streak=1, points=5) for m, d in checkins),
                                batch_size=10_000)
    kinds = ["message"] * 6 + ["reply", "reaction", "poll_vote", "red_packet_grab"]
    events = []
    for n in range(int(400_000 * scale)):
        s = rng.choice(stays)
        events.append(GroupEvent(source="bench", event_id=f"E{n}", group_id=s.group_id, member_id=s.member_id,
                                 kind=rng.choice(kinds), occurred_at=when(s.joined_at)))
    GroupEvent.objects.bulk_create(events, batch_size=10_000)
    return {"members": n_members, "groups": n_groups, "memberships": len(stays), "transactions": len(txs),
            "checkins": len(checkins), "events": len(events), "store": stores[0].code,
            "member_ids": [m for m, _ in members]}


def existing() -> dict:
    from shequn.analytics.models import Transaction
    from shequn.communities.models import Group, GroupEvent, Membership
    from shequn.loyalty.models import CheckIn
    from shequn.members.models import Member
    from shequn.stores.models import Store

    return {"members": Member.objects.count(), "groups": Group.objects.count(),
            "memberships": Membership.objects.count(), "transactions": Transaction.objects.count(),
            "checkins": CheckIn.objects.count(), "events": GroupEvent.objects.count(),
            "store": Store.objects.order_by("code").first().code,
            "member_ids": list(Member.objects.values_list("pk", flat=True))}


def timed(fn, repeat: int) -> str:
    """Best wall-clock and CPU seconds of `repeat` runs (SQLite runs in this process, so CPU covers the
    queries too; on a busy machine the CPU figure is the one to compare)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - started), min(cpu, time.process_time() - started_cpu)
    return f"{wall:.2f} s wall, {cpu:.2f} s CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the generated database directory")
    parser.add_argument("--reuse", type=Path, help="a directory kept by --keep: skip generating")
    args = parser.parse_args()
    tmp = args.reuse or Path(tempfile.mkdtemp(prefix="shequn-bench-traffic-"))
    try:
        setup_django(tmp)
        from django.db import connection

        from shequn.analytics import traffic, uplift
        from shequn.core import clock
        from shequn.core.actor import SYSTEM

        now = clock.now()
        started = time.perf_counter()
        data = existing() if args.reuse else generate(args.scale, now)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(f"{'reused' if args.reuse else 'generated'} in {time.perf_counter() - started:.0f} s: "
              f"{data['members']:,} members, {data['groups']:,} groups ({data['memberships']:,} memberships), "
              f"{data['transactions']:,} transactions, {data['checkins']:,} check-ins, {data['events']:,} group "
              "interactions")
        print(f"traffic_value, all stores: {timed(lambda: traffic.traffic_value(SYSTEM), args.repeat)}")
        one = timed(lambda: traffic.traffic_value(SYSTEM, store=data["store"]), args.repeat)
        print(f"traffic_value, one store:  {one}")
        rng = random.Random(9)
        target = rng.sample(data["member_ids"], min(20_000, len(data["member_ids"])))
        cut = len(target) // 5
        batch = uplift.Batch(target[cut:], target[:cut], now - dt.timedelta(days=21), now)
        print(f"uplift.measure, {len(target):,} members (20% held out), 21 days: "
              f"{timed(lambda: uplift.measure([batch], 1_000_000), args.repeat)}")
    finally:
        if args.keep or args.reuse:
            print(f"database kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
