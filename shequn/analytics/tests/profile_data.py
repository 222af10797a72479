"""A member with a known history for the 360 profile tests: two paid shop orders (one partly refunded),
imported history (one order of two lines with a refund, one row without an order number), a purchase at the
other store, groups at both stores with interactions, a check-in, coupons, referrals, tags, RFM runs and
lifetime-value runs. Figures worked out by hand are in EXPECTED (for a manager of `store`) and EXPECTED_ALL."""

import datetime as dt
from dataclasses import dataclass

from shequn.analytics.models import ClvRun, MemberValue, RfmRun, RfmScore, Transaction
from shequn.commerce import catalog, orders, payments, refunds, stock
from shequn.commerce.coupons.models import Coupon, CouponTemplate
from shequn.commerce.models import Order
from shequn.commerce.referral.models import Referral, ReferralReward
from shequn.communities.models import Group, GroupEvent, Membership
from shequn.core import clock
from shequn.loyalty.activity import check_in

# Net spend seen by a manager of the home store: shop 3000 + 1000 - 2000 refunded; imported 1500 + 500 - 500
# + 2000. Orders: two shop orders, IMP-1 (two lines), the row without a number. Categories: 蛋奶 1000 + 1500,
# 未分类 2000 (no SKU) + 500 - 500 (OLD-SKU, not in the catalogue), 烘焙 1000; 饮品 fully refunded.
EXPECTED = {"net": 5500, "gross": 8000, "refunded": 2500, "orders": 4, "days": 3, "aov": 1375, "imported": 2,
            "categories": [("蛋奶", 2500), ("未分类", 2000), ("烘焙", 1000)]}
# Everyone else also sees the ¥99 purchase at the other store (its own order and day).
EXPECTED_ALL = {"net": 15400, "gross": 17900, "orders": 5, "days": 4, "aov": 3080, "imported": 3}


@dataclass
class History:
    member: object
    first: Order  # EGG + 2 MILK, the milk refunded
    second: Order  # BREAD
    home_group: Group
    other_group: Group
    days_ago: dict


def _paid(actor, member, store, items):
    order = orders.place_order(actor, member=member, items=items, fulfilment="pickup", store=store)
    payments.start_payment(actor, order, "offline")
    order.refresh_from_db()
    return order


def shop(actor, store):
    for code, name, category in (("EGG", "土鸡蛋", "蛋奶"), ("MILK", "鲜牛奶", "饮品"), ("BREAD", "全麦面包", "烘焙")):
        sku = catalog.create_product(actor, name=name, category=category,
                                     skus=[{"code": code, "spec": "1份", "price_fen": 1000}]).skus.get()
        stock.receive(actor, sku, store, 100)


def build(actor, store, other_store, make_member) -> History:
    shop(actor, store)
    alice = make_member(store, name="林晓雯", tags=["宝妈"])
    first = _paid(actor, alice, store, [{"sku": "EGG", "quantity": 1}, {"sku": "MILK", "quantity": 2}])
    refunds.refund_order(actor, first, reason="坏了", lines=[{"sku": "MILK", "quantity": 2}])
    second = _paid(actor, alice, store, [{"sku": "BREAD", "quantity": 1}])
    # Two other households buy eggs with milk: milk is what goes with alice's eggs.
    for name in ("王芳", "李娜"):
        _paid(actor, make_member(store, name=name), store,
              [{"sku": "EGG", "quantity": 1}, {"sku": "MILK", "quantity": 1}])
    now = clock.now()
    days_ago = {"imp1": 45, "imp1_refund": 40, "loose": 20, "other": 10}
    rows = [("IMP-1", "imp1", "EGG", 1500, store), ("IMP-1", "imp1", "OLD-SKU", 500, store),
            ("IMP-1", "imp1_refund", "OLD-SKU", -500, store), ("", "loose", "", 2000, None),
            ("X-1", "other", "EGG", 9900, other_store)]
    for n, (order_no, when, sku, amount, where) in enumerate(rows):
        Transaction.objects.create(member=alice, occurred_at=now - dt.timedelta(days=days_ago[when]),
                                   amount_fen=amount, order_no=order_no, sku=sku, store=where,
                                   source="import", source_ref=f"imp-{n}")
    home_group = Group.objects.create(name="静安宝妈群", store=store)
    other_group = Group.objects.create(name="朝阳吃货群", store=other_store)
    Membership.objects.create(group=home_group, member=alice, role="admin", joined_at=now - dt.timedelta(days=30))
    Membership.objects.create(group=other_group, member=alice, joined_at=now - dt.timedelta(days=5))
    events = [(home_group, "join", 30), (home_group, "message", 3), (home_group, "message", 2),
              (home_group, "reaction", 1), (home_group, "order", 1), (other_group, "message", 1)]
    for n, (group, kind, ago) in enumerate(events):
        GroupEvent.objects.create(source="test", event_id=f"e{n}", group=group, member=alice, kind=kind,
                                  occurred_at=now - dt.timedelta(days=ago, hours=n),
                                  amount_fen=1000 if kind == "order" else 0)
    check_in(actor, alice.pk)
    _coupons(alice, now)
    _referrals(actor, alice, make_member, store, now)
    _scores(alice, store, other_store)
    return History(alice, first, second, home_group, other_group, days_ago)


def _coupons(member, now):
    template = CouponTemplate.objects.create(name="满50减5", kind="threshold", amount_fen=500, threshold_fen=5000)
    day = dt.timedelta(days=1)
    for n, (status, until, discount) in enumerate([("available", now + 3 * day, 0), ("available", now + 30 * day, 0),
                                                   ("used", now + 30 * day, 500), ("used", now + 30 * day, 300),
                                                   ("expired", now - day, 0)]):
        Coupon.objects.create(template=template, member=member, code=f"C{n:05d}", source="manual", ref=f"t{n}",
                              issued_at=now - 10 * day, valid_from=now - 10 * day, valid_until=until,
                              status=status, discount_fen=discount)


def _referrals(actor, member, make_member, store, now):
    for n, status in enumerate(["rewarded", "qualified", "pending"]):
        friend = make_member(store, name=f"好友{n}")
        first_order = _paid(actor, friend, store, [{"sku": "BREAD", "quantity": 1}]) if status != "pending" else None
        referral = Referral.objects.create(referrer=member, referee=friend, code="ALICE1", status=status,
                                           attributed_at=now, order=first_order)
        if status == "rewarded":
            ReferralReward.objects.create(referral=referral, side="referrer", member=member, kind="points",
                                          points=500, ref=f"rw{n}", created_at=now)


def _scores(member, store, other_store):
    today = clock.local_date()
    older = RfmRun.objects.create(as_of=today - dt.timedelta(days=30), engine="duckdb", time_zone="Asia/Shanghai",
                                  members=10)
    newer = RfmRun.objects.create(as_of=today, engine="duckdb", time_zone="Asia/Shanghai", members=10)
    home = RfmRun.objects.create(as_of=today, store=store, engine="duckdb", time_zone="Asia/Shanghai", members=4)
    for run, cell, r in ((older, "at_risk", 2), (newer, "champions", 5), (home, "loyal", 4)):
        RfmScore.objects.create(run=run, member=member, recency_days=0, frequency=3, monetary_fen=5500,
                                r_score=r, f_score=4, m_score=3, fm_score=4, cell=cell)
    fit = {"time_unit": "week", "customers": 10, "r": 0.2, "alpha": 4.0, "a": 0.8, "b": 2.4, "log_likelihood": -9.0,
           "gg_p": 6.0, "gg_q": 4.0, "gg_v": 15.0, "gg_customers": 8, "gg_log_likelihood": -20.0}
    home_run = ClvRun.objects.create(calibration_end=today, store=store, **fit)
    other_run = ClvRun.objects.create(calibration_end=today, store=other_store, **fit)  # newest
    for run, clv, risk in ((home_run, 48000, "medium"), (other_run, 51000, "low")):
        MemberValue.objects.create(run=run, member=member, frequency=2, recency=6.0, age=7.0, days_since_last=0,
                                   monetary_fen=2500, p_alive=0.62, expected_purchases=1.35,
                                   expected_avg_spend_fen=2600, clv_12m_fen=clv, churn_risk=risk, value_decile=2)
