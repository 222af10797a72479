"""爆品 report on a year of orders, on PostgreSQL: how long `reports.hot_products` takes, beside a plain
COUNT(*) over the same order lines (the cost of just touching the rows).

Generates a year of paid orders (default 1,000 a day over 10 stores and 200 products, 1-4 lines each,
some refunded), then times the report for: all stores × 30 days, all stores × 365 days, one store × 30
days and one store × 365 days. Printed, not asserted.

    .venv/bin/python bench/hot_products.py [--orders-per-day 1000] [--repeat 3]

DATABASE_URL selects the server and database name (default
postgres://postgres@127.0.0.1:5432/shequn_bench_hot); the database is created and dropped.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from redeem_throughput import drop_database, recreate_database  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shequn_bench_hot"
STORES, PRODUCTS, DAYS = 10, 200, 365
END = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def set_up(orders_per_day: int) -> int:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from shequn.commerce.models import Category, Order, OrderLine, Product, Sku, StockLevel
    from shequn.core.actor import SYSTEM
    from shequn.members.services import create_member
    from shequn.stores.services import create_store

    rng = random.Random(7)
    stores = [create_store(SYSTEM, code=f"S{n:02d}", name=f"门店{n}", city="上海") for n in range(STORES)]
    members = [create_member(SYSTEM, phone=f"1390000{n:04d}", name=f"会员{n}", store=stores[n % STORES])
               for n in range(200)]
    categories = [Category.objects.create(name=name) for name in ("早餐", "水果", "宝宝辅食", "零食", "日用")]
    products = Product.objects.bulk_create(Product(name=f"商品{n}", category=categories[n % 5])
                                           for n in range(PRODUCTS))
    skus = Sku.objects.bulk_create(Sku(product=p, code=f"SKU{p.pk}", price_fen=rng.randint(190, 19_900))
                                   for p in products)
    levels = {(lv.sku_id, lv.store_id): lv.pk for lv in StockLevel.objects.bulk_create(
        StockLevel(sku=s, store=st, on_hand=0) for s in skus for st in stores)}
    weights = [1 / (rank + 1) ** 1.1 for rank in range(PRODUCTS)]  # a few products sell most (Zipf-like)
    total_lines = 0
    for day in range(DAYS):
        orders, lines = [], []
        for n in range(orders_per_day):
            at = END - dt.timedelta(days=DAYS - day, seconds=rng.randint(0, 86_399))
            store, member = rng.choice(stores), rng.choice(members)
            chosen = rng.choices(skus, weights=weights, k=rng.randint(1, 4))
            order_lines = [(s, rng.randint(1, 3)) for s in dict.fromkeys(chosen)]
            total = sum(s.price_fen * q for s, q in order_lines)
            refunded = total if rng.random() < 0.03 else 0
            orders.append(Order(order_no=f"B{day:03d}{n:06d}", member=member, store=store, status="completed",
                                fulfilment="pickup", subtotal_fen=total, total_fen=total, paid_fen=total,
                                refunded_fen=refunded, expires_at=at, paid_at=at, payment_method="offline"))
            lines.append([(s, q, bool(refunded)) for s, q in order_lines])
        saved = Order.objects.bulk_create(orders, batch_size=5000)
        OrderLine.objects.bulk_create(
            (OrderLine(order=o, sku=s, level_id=levels[(s.pk, o.store_id)], product_name="", quantity=q,
                       list_price_fen=s.price_fen, unit_price_fen=s.price_fen, paid_fen=s.price_fen * q,
                       refunded_quantity=q if r else 0, refunded_fen=s.price_fen * q if r else 0)
             for o, ls in zip(saved, lines, strict=True) for s, q, r in ls), batch_size=10_000)
        total_lines += sum(len(ls) for ls in lines)
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return total_lines


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def run(repeat: int) -> None:
    from django.db import connection

    from shequn.commerce import reports
    from shequn.commerce.models import OrderLine
    from shequn.core.actor import SYSTEM

    last = (END - dt.timedelta(days=1)).date()
    cases = [("all stores", "", 30), ("all stores", "", 365), ("one store", "S03", 30), ("one store", "S03", 365)]
    header = f"{'scope':<11} {'days':>5} {'lines':>10} {'report ms':>10} {'COUNT(*) ms':>12} {'report/count':>13}"
    print(header + "\n" + "-" * len(header))
    for label, store, days in cases:
        first = last - dt.timedelta(days=days - 1)
        lines = OrderLine.objects.filter(order__paid_at__gte=reports.day_start(first),
                                         order__paid_at__lt=reports.day_start(last + dt.timedelta(days=1)))
        if store:
            lines = lines.filter(order__store__code=store)
        count = lines.count()
        report_s = timed(lambda s=store, f=first: reports.hot_products(SYSTEM, store=s, date_from=f, date_to=last),
                         repeat)
        count_s = timed(lines.count, repeat)
        print(f"{label:<11} {days:>5} {count:>10,} {report_s * 1000:>10,.0f} {count_s * 1000:>12,.0f} "
              f"{report_s / count_s:>13.1f}×")
    report = reports.hot_products(SYSTEM, date_from=last - dt.timedelta(days=29), date_to=last)
    print(f"\n30 days, all stores: {report.product_count} products sold, {report.hot_count} of them make 80% of "
          f"sales (爆品)")
    with connection.cursor() as cursor:
        sql, params = (OrderLine.objects.filter(order__paid_at__gte=reports.day_start(last - dt.timedelta(days=29)),
                                                order__paid_at__lt=reports.day_start(last))
                       .values("sku__product_id").order_by().query.sql_with_params())
        cursor.execute("EXPLAIN " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print("plan of the 30-day scan:\n  " + "\n  ".join(plan[:12]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders-per-day", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    var_dir = Path(tempfile.mkdtemp(prefix="shequn-bench-"))
    os.environ.update(DATABASE_URL=url, SHEQUN_VAR_DIR=str(var_dir), SHEQUN_LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="shequn.config.settings")
    recreate_database(url)
    try:
        started = time.perf_counter()
        print(f"generating {DAYS} days × {args.orders_per_day:,} orders …", flush=True)
        total = set_up(args.orders_per_day)
        print(f"{DAYS * args.orders_per_day:,} orders, {total:,} lines in {time.perf_counter() - started:.0f} s; "
              f"{os.cpu_count()} CPU(s)\n", flush=True)
        run(args.repeat)
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
