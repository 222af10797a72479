"""Checkout throughput on PostgreSQL for one hot SKU: place an order and pay it (offline), beside raw SQL.

For 1, 8 and 32 concurrent clients (threads, each its own member and connection), each client runs
checkouts of 1 unit of the same SKU in a loop for a few seconds. A checkout is `orders.place_order`
(stock reservation on the hot StockLevel row, prices, ledger entry, audit, outbox) followed by
`payments.start_payment(..., "offline")` (payment row, sale entry, loyalty purchase with points and
tier check, outbox). The reference, measured in the same run on the same server at the same
concurrency, is a raw psycopg loop of `UPDATE bench_stock SET on_hand = on_hand - 1 WHERE id = 1 AND
on_hand >= 1` — the hot-row update at the heart of any checkout. Printed, not asserted.

    .venv/bin/python bench/checkout_throughput.py [--seconds 3] [--clients 1,8,32]

DATABASE_URL selects the server and database name (default
postgres://postgres@127.0.0.1:5432/shequn_bench_checkout); the database is created and dropped.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from redeem_throughput import drop_database, measure, raw_connect, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shequn_bench_checkout"
STOCK = 1_000_000


def set_up(url: str, clients: int) -> tuple[list[int], str]:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from shequn.commerce import catalog
    from shequn.core.actor import SYSTEM
    from shequn.loyalty.services import ensure_default_tiers
    from shequn.members.services import create_member
    from shequn.stores.services import create_store

    ensure_default_tiers()
    store = create_store(SYSTEM, code="BENCH", name="压测门店", city="上海")
    catalog.create_simple_product(SYSTEM, sku="HOT-EGG", name="爆品土鸡蛋 30枚", price_fen=2990,
                                  stock_quantity=STOCK, store=store)
    ids = [create_member(SYSTEM, phone=f"1390000{n:04d}", name=f"压测{n}", store=store).pk
           for n in range(clients)]
    with raw_connect(url) as conn:
        conn.execute("CREATE TABLE bench_stock (id integer PRIMARY KEY, on_hand bigint NOT NULL)")
        conn.execute("INSERT INTO bench_stock VALUES (1, %s)", (STOCK,))
    return ids, store.code


def raw_client(url: str):
    def make(i: int):
        conn = raw_connect(url)

        def op() -> bool:
            return conn.execute("UPDATE bench_stock SET on_hand = on_hand - 1 WHERE id = 1 AND on_hand >= 1"
                                ).rowcount == 1

        return op, conn.close

    return make


def checkout_client(member_ids: list[int], store_code: str):
    from django.db import connections

    from shequn.commerce import orders, payments
    from shequn.core.actor import Actor
    from shequn.core.errors import Problem
    from shequn.members.models import Member
    from shequn.stores.models import Store

    actor = Actor(kind="system", id="bench", label="bench")

    def make(i: int):
        member = Member.objects.get(pk=member_ids[i])
        store = Store.objects.get(code=store_code)

        def op() -> bool:
            try:
                order = orders.place_order(actor, member=member, items=[{"sku": "HOT-EGG", "quantity": 1}],
                                           fulfilment="pickup", store=store)
                payments.start_payment(actor, order, "offline")
                return True
            except Problem:
                return False

        return op, connections.close_all

    return make


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    var_dir = Path(tempfile.mkdtemp(prefix="shequn-bench-"))
    os.environ.update(DATABASE_URL=url, SHEQUN_VAR_DIR=str(var_dir), SHEQUN_LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="shequn.config.settings")
    recreate_database(url)
    try:
        print(f"setting up one hot SKU and {max(levels)} members on {url.rsplit('@', 1)[-1]} …", flush=True)
        member_ids, store_code = set_up(url, max(levels))
        print(f"{args.seconds:g} s per cell; {os.cpu_count()} CPU(s)\n", flush=True)
        rows = []
        for clients in levels:
            raw, _ = measure(clients, args.seconds, raw_client(url))
            svc, refused = measure(clients, args.seconds, checkout_client(member_ids, store_code))
            rows.append((clients, raw, svc, refused))
            print(f"  measured × {clients}", flush=True)
        header = f"{'clients':>7}  {'raw hot-row UPDATE/s':>21} {'checkouts/s':>12} {'checkout/raw':>13}"
        print("\n" + header + "\n" + "-" * len(header))
        for clients, raw, svc, refused in rows:
            note = f"  ({refused} refused)" if refused else ""
            print(f"{clients:>7}  {raw:>21,.0f} {svc:>12,.1f} {svc / raw:>13.2%}{note}")

        from shequn.commerce.stock import check_stock
        from shequn.loyalty.services import check_ledgers

        drift = check_stock() + check_ledgers()
        print(f"\nstock and points ledgers after the run: {'ok' if not drift else f'{len(drift)} drifted'}")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up if the set-up failed early
            pass
        drop_database(url)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
