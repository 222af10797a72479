"""活动效果 on hand-made data: coupon and deal cost and sales net of refunds, the uplift maths against a hand
computation, the no-holdout case, and store scoping."""

import datetime as dt
import math

import pytest
from django.utils import timezone

from shequn.analytics import campaigns, uplift
from shequn.analytics.models import Holdout, HoldoutAssignment, Transaction
from shequn.commerce import orders, payments, refunds
from shequn.commerce.coupons import services as coupons
from shequn.commerce.flash import services as flash
from shequn.commerce.teams import services as teams
from shequn.core.actor import SYSTEM
from shequn.core.errors import NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def sku(system_actor, store):
    """草莓 500g at ¥39.90 with 20 on hand at the Shanghai store."""
    from shequn.commerce import catalog, stock

    item = catalog.create_product(system_actor, name="丹东草莓", category="水果",
                                  skus=[{"code": "BERRY-500", "spec": "500g", "price_fen": 3990}]).skus.get()
    stock.receive(system_actor, item, store, 20)
    return item


def paid_order(member, store, sku, quantity, coupon_ids=()):
    order = orders.place_order(SYSTEM, member=member, items=[{"sku": sku.code, "quantity": quantity}],
                               fulfilment="pickup", store=store, coupon_ids=coupon_ids)
    payments.start_payment(SYSTEM, order, "offline")
    order.refresh_from_db()
    return order


def test_coupon_cost_and_sales_net_of_refunds(make_member, store, sku):
    template = coupons.create_template(SYSTEM, name="立减10元", kind="fixed", amount_fen=1000, valid_days=30,
                                       campaign="春季焕新")
    a, b, c = (make_member(store=store) for _ in range(3))
    placed = []
    for m in (a, b, c):
        coupon = coupons.claim(SYSTEM, template, m)
        placed.append(paid_order(m, store, sku, 3, [coupon.pk]))  # 3 × ¥39.90 − ¥10 = ¥109.70
    assert placed[0].paid_fen == 10970
    refunds.refund_order(SYSTEM, placed[0], reason="少了一盒", amount_fen=5485)  # half back: half the discount
    refunds.refund_order(SYSTEM, placed[1], reason="不要了")  # all back: the coupon is returned
    _, rows = campaigns.results(SYSTEM, days=30, kinds=("coupon",))
    row = rows[0]
    assert (row.cost_fen, row.sales_fen, row.orders, row.buyers, row.reached) == (1500, 16455, 2, 2, 3)
    assert row.roi == pytest.approx(16455 / 1500) and row.label == "春季焕新" and row.uplift is None
    assert campaigns.result(SYSTEM, f"coupon-{template.pk}").cost_fen == 1500


def test_flash_and_team_cost_is_the_price_cut_on_units_kept(make_member, store, sku):
    now = timezone.now()
    sale = flash.create_sale(SYSTEM, title="草莓秒杀", sku=sku, store=store, flash_price_fen=1990, quantity=6,
                             per_member_limit=2, starts_at=now - dt.timedelta(hours=1),
                             ends_at=now + dt.timedelta(hours=1))
    a, b = make_member(store=store), make_member(store=store)
    bought = []
    for m in (a, b):
        order = flash.buy(SYSTEM, sale, m, quantity=2)
        payments.start_payment(SYSTEM, order, "offline")
        bought.append(order)
    line = bought[1].lines.get()
    refunds.refund_order(SYSTEM, bought[1], reason="坏了一盒", lines=[{"line_id": line.pk, "quantity": 1}])
    row = campaigns.result(SYSTEM, f"flash-{sale.pk}")
    assert (row.cost_fen, row.sales_fen, row.orders, row.buyers) == ((3990 - 1990) * 3, 4 * 1990 - 1990, 2, 2)
    assert row.reached is None and row.roi == pytest.approx(5970 / 6000)

    deal = teams.create_deal(SYSTEM, title="两人拼草莓", sku=sku, store=store, team_price_fen=2990, team_size=2,
                             hours=24, starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=1))
    seat = teams.open_team(SYSTEM, deal, a)
    payments.start_payment(SYSTEM, seat.order, "offline")
    joined = teams.join_team(SYSTEM, seat.team, b)
    payments.start_payment(SYSTEM, joined.order, "offline")
    row = campaigns.result(SYSTEM, f"team-{deal.pk}")
    assert (row.cost_fen, row.sales_fen, row.orders, row.buyers) == (2 * 1000, 2 * 2990, 2, 2)
    _, listed = campaigns.results(SYSTEM, days=7)
    assert {r.key for r in listed} >= {f"flash-{sale.pk}", f"team-{deal.pk}"}


def test_uplift_matches_a_hand_computation(make_member, store):
    start = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    members = [make_member(store=store) for _ in range(9)]
    ids = [m.pk for m in members]
    treated, held = ids[:5], ids[5:]
    spends = {ids[0]: [1000], ids[2]: [2500, -500], ids[4]: [500], ids[7]: [800]}
    n = 0
    for member_id, amounts in spends.items():
        for amount in amounts:
            n += 1
            Transaction.objects.create(member_id=member_id, occurred_at=start + dt.timedelta(days=n), amount_fen=amount,
                                       source="order" if amount > 0 else "refund", source_ref=f"U{n}")
    # Outside the window: counts for nobody.
    Transaction.objects.create(member_id=ids[1], occurred_at=start + dt.timedelta(days=40), amount_fen=9999,
                               source="order", source_ref="late")
    result = uplift.measure([uplift.Batch(treated, held, start, start + dt.timedelta(days=30))], cost_fen=1250)
    # Treated spend 1000, 0, 2000, 0, 500: 3 of 5 bought, mean 700, variance 2,800,000 / 4 = 700,000.
    # Held out 0, 0, 800, 0: 1 of 4 bought, mean 200, variance 480,000 / 3 = 160,000.
    assert (result.treated.buyers, result.treated.members, result.held_out.buyers) == (3, 5, 1)
    assert result.treated.spend_per_member == 700 and result.treated.spend_var == 700_000
    assert result.held_out.spend_per_member == 200 and result.held_out.spend_var == 160_000
    assert result.conversion_diff == pytest.approx(0.35) and result.conversion_relative == pytest.approx(1.4)
    se = math.sqrt(0.6 * 0.4 / 5 + 0.25 * 0.75 / 4)  # 0.30802
    assert result.conversion_ci == pytest.approx((0.35 - 1.96 * se, 0.35 + 1.96 * se), abs=1e-4)
    # Welch: se = √(140,000 + 40,000) = 424.26; df = 180,000² / (140,000²/4 + 40,000²/3) = 5.963;
    # t(0.975, 5.963) = 2.4506 (between 2.4469 at 6 and 2.5706 at 5 degrees of freedom).
    assert result.spend_diff == 500 and result.spend_relative == pytest.approx(2.5)
    assert result.spend_ci == pytest.approx((500 - 2.4506 * 424.264, 500 + 2.4506 * 424.264), abs=0.5)
    assert result.incremental_sales_fen == 2500 and result.incremental_roi == pytest.approx(2.0)
    assert not result.conversion_significant and not result.spend_significant
    assert uplift.measure([uplift.Batch(treated, [], start, start + dt.timedelta(days=30))], 0) is None


def test_coupon_grant_with_holdout_gives_uplift_and_without_none(make_member, store, other_store):
    template = coupons.create_template(SYSTEM, name="回归礼", kind="fixed", amount_fen=500, valid_days=14)
    members = [make_member(store=store if i % 2 else other_store) for i in range(20)]
    coupons.grant(SYSTEM, template, members, ref="四月", holdout_percent=30, at=timezone.now() - dt.timedelta(days=3))
    holdout = Holdout.objects.get()
    out = set(HoldoutAssignment.objects.filter(held_out=True).values_list("member_id", flat=True))
    assert len(out) == 6
    for i, m in enumerate(members):
        if m.pk not in out and i % 3:
            Transaction.objects.create(member=m, occurred_at=holdout.started_at + dt.timedelta(days=1),
                                       amount_fen=3000, source="order", source_ref=f"H{i}")
    row = campaigns.result(SYSTEM, f"coupon-{template.pk}")
    bought = sum(1 for i, m in enumerate(members) if m.pk not in out and i % 3)
    assert row.uplift.treated.members == 14 and row.uplift.held_out.members == 6
    assert row.uplift.treated.buyers == bought and row.uplift.held_out.buyers == 0
    assert row.uplift.incremental_sales_fen == bought * 3000
    assert row.batches[0]["ref"] == "四月" and row.batches[0]["running"]
    manager = _manager(store)
    mine = campaigns.result(manager, f"coupon-{template.pk}")
    assert mine.uplift.treated.members + mine.uplift.held_out.members == 10  # their store's half of the list
    chosen = campaigns.result(SYSTEM, f"coupon-{template.pk}", store=other_store.code)
    assert chosen.uplift.treated.members + chosen.uplift.held_out.members == 10
    plain = coupons.create_template(SYSTEM, name="普通券", kind="fixed", amount_fen=500, valid_days=14)
    coupons.grant(SYSTEM, plain, members, ref="四月")
    assert campaigns.result(SYSTEM, f"coupon-{plain.pk}").uplift is None


def _manager(store):
    from shequn.accounts.actors import staff_actor
    from shequn.accounts.staff import ensure_staff

    user, _ = ensure_staff(SYSTEM, "mgr_campaigns", role="store_manager", store_codes=[store.code])
    return staff_actor(user)


def test_store_manager_sees_own_store_deals_only(make_member, store, other_store, sku):
    now = timezone.now()
    sale = flash.create_sale(SYSTEM, title="草莓秒杀", sku=sku, store=store, flash_price_fen=1990, quantity=2,
                             starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(hours=1))
    manager = _manager(other_store)
    _, rows = campaigns.results(manager, days=7)
    assert f"flash-{sale.pk}" not in {r.key for r in rows}
    with pytest.raises(NotFound):
        campaigns.result(manager, f"flash-{sale.pk}")
    for key in ("flash-x", "nope-1", "coupon-0", ""):
        with pytest.raises(NotFound):
            campaigns.result(SYSTEM, key)
