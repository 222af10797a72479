"""会员 360 画像 on a heavy member: how long the selector and the console page take, beside the existing
member page (资料与积分) rendered by the same client.

Generates, in a fresh SQLite database: 200 products in 5 categories, 2,000 members with 3 shop orders each
(the recommendation model's baskets) and one member with N (default 500) paid shop orders of 1-4 lines (5%
refunded), N imported purchase rows, 1,000 group events over 3 groups, 300 check-ins and 40 coupons.
Times (best of --repeat): `member_profile` alone, GET of the 360 page, GET of the member page, the
recommendations fragment with the model cached, and building the model once. Printed, not asserted.

    .venv/bin/python bench/member_profile.py [--orders 500] [--repeat 20]
"""

import argparse
import datetime as dt
import os
import random
import shutil
import tempfile
import time
from pathlib import Path

END = dt.datetime(2026, 11, 1, 10, tzinfo=dt.UTC)


def set_up(heavy_orders: int) -> int:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from shequn.analytics.models import Transaction
    from shequn.commerce.coupons.models import Coupon, CouponTemplate
    from shequn.commerce.models import Category, Order, OrderLine, Product, Sku, StockLevel
    from shequn.communities.models import Group, GroupEvent, Membership
    from shequn.core.actor import SYSTEM
    from shequn.loyalty.models import CheckIn
    from shequn.members.services import create_member
    from shequn.stores.services import create_store

    rng = random.Random(7)
    store = create_store(SYSTEM, code="S01", name="上海静安店", city="上海")
    categories = [Category.objects.create(name=n) for n in ("早餐", "水果", "宝宝辅食", "零食", "日用")]
    products = Product.objects.bulk_create(Product(name=f"商品{n}", category=categories[n % 5]) for n in range(200))
    skus = Sku.objects.bulk_create(Sku(product=p, code=f"SKU{p.pk}", price_fen=rng.randint(190, 9_900))
                                   for p in products)
    levels = {lv.sku_id: lv.pk for lv in StockLevel.objects.bulk_create(StockLevel(sku=s, store=store) for s in skus)}
    heavy = create_member(SYSTEM, phone="13900000000", name="林晓雯", store=store)
    others = [create_member(SYSTEM, phone=f"1390001{n:04d}", name=f"会员{n}", store=store) for n in range(2000)]
    plan = [(heavy, n) for n in range(heavy_orders)] + [(m, n) for m in others for n in range(3)]
    orders, lines, txs = [], [], []
    for k, (member, _n) in enumerate(plan):
        at = END - dt.timedelta(days=rng.randint(0, 720), seconds=rng.randint(0, 86_399))
        chosen = [(s, rng.randint(1, 3)) for s in dict.fromkeys(rng.choices(skus, k=rng.randint(1, 4)))]
        total = sum(s.price_fen * q for s, q in chosen)
        refunded = rng.random() < 0.05
        orders.append(Order(order_no=f"B{k:08d}", member=member, store=store, status="completed", fulfilment="pickup",
                            subtotal_fen=total, total_fen=total, paid_fen=total, refunded_fen=total if refunded else 0,
                            expires_at=at, paid_at=at, payment_method="offline"))
        lines.append((chosen, refunded))
        txs.append(Transaction(member=member, occurred_at=at, amount_fen=total, order_no=f"B{k:08d}", store=store,
                               source="order", source_ref=f"B{k:08d}"))
        if refunded:
            txs.append(Transaction(member=member, occurred_at=at + dt.timedelta(days=1), amount_fen=-total,
                                   order_no=f"B{k:08d}", store=store, source="refund", source_ref=f"R{k:08d}"))
    saved = Order.objects.bulk_create(orders, batch_size=5000)
    OrderLine.objects.bulk_create(
        (OrderLine(order=o, sku=s, level_id=levels[s.pk], product_name="", quantity=q, list_price_fen=s.price_fen,
                   unit_price_fen=s.price_fen, paid_fen=s.price_fen * q, refunded_quantity=q if r else 0,
                   refunded_fen=s.price_fen * q if r else 0)
         for o, (chosen, r) in zip(saved, lines, strict=True) for s, q in chosen), batch_size=10_000)
    for n in range(heavy_orders):
        txs.append(Transaction(member=heavy, occurred_at=END - dt.timedelta(days=400 + n % 300, hours=n % 24),
                               amount_fen=rng.randint(500, 30_000), order_no=f"OLD-{n}", sku=rng.choice(skus).code,
                               source="import", source_ref=f"imp-{n}"))
    Transaction.objects.bulk_create(txs, batch_size=10_000)
    groups = [Group.objects.create(name=f"静安{n}群", store=store) for n in range(3)]
    for group in groups:
        Membership.objects.create(group=group, member=heavy, joined_at=END - dt.timedelta(days=300))
    GroupEvent.objects.bulk_create(
        GroupEvent(source="bench", event_id=f"e{n}", group=groups[n % 3], member=heavy, kind="message",
                   occurred_at=END - dt.timedelta(minutes=37 * n)) for n in range(1000))
    CheckIn.objects.bulk_create(CheckIn(member=heavy, local_date=END.date() - dt.timedelta(days=n), streak=1,
                                        points=5) for n in range(300))
    template = CouponTemplate.objects.create(name="满50减5", kind="threshold", amount_fen=500, threshold_fen=5000)
    Coupon.objects.bulk_create(
        Coupon(template=template, member=heavy, code=f"C{n:06d}", source="manual", ref=f"c{n}", issued_at=END,
               valid_from=END, valid_until=END + dt.timedelta(days=30), status="used" if n % 2 else "available",
               discount_fen=500 if n % 2 else 0) for n in range(40))
    return heavy.pk


def best_ms(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def run(member_id: int, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from shequn.accounts.staff import ensure_staff
    from shequn.analytics import profile_recs
    from shequn.analytics.profile import member_profile
    from shequn.core.actor import SYSTEM

    user, _ = ensure_staff(SYSTEM, "bench_owner", role="owner")
    client = Client()
    client.force_login(user)

    def get(path):
        response = client.get(path)
        assert response.status_code == 200, response.status_code

    page, detail = f"/console/members/{member_id}/profile/", f"/console/members/{member_id}/"
    recs = f"{page}recommendations/"
    build_ms = best_ms(lambda: (profile_recs.forget(), profile_recs.recommender()), 1)
    for path in (page, detail, recs):
        get(path)  # warm: imports, session, templates
    profile = member_profile(SYSTEM, member_id)
    with CaptureQueriesContext(connection) as queries:
        get(page)
    print(f"member: {profile.purchases.orders:,} orders ({profile.purchases.imported_orders:,} imported), "
          f"{len(profile.timeline)} timeline rows, {len(profile.groups)} groups; page queries: {len(queries)}")
    rows = [("member_profile() selector", best_ms(lambda: member_profile(SYSTEM, member_id), repeat)),
            ("GET 360 page", best_ms(lambda: get(page), repeat)),
            ("GET member page (reference)", best_ms(lambda: get(detail), repeat)),
            ("GET recommendations (model cached)", best_ms(lambda: get(recs), repeat)),
            ("build recommendation model (cold)", build_ms)]
    reference = rows[2][1]
    for label, ms in rows:
        print(f"{label:<38} {ms:>8.1f} ms   {ms / reference:>5.2f}× member page")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="shequn-bench-"))
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(SHEQUN_VAR_DIR=str(var_dir), SHEQUN_LOG_LEVEL="WARNING",
                      DJANGO_SETTINGS_MODULE="shequn.config.settings")
    try:
        started = time.perf_counter()
        member_id = set_up(args.orders)
        print(f"generated in {time.perf_counter() - started:.1f} s")
        run(member_id, args.repeat)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
