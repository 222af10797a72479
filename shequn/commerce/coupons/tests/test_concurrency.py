"""PostgreSQL, real threads and connections: claims never exceed a template's stock or a member's limit, and
one coupon is never used by two orders."""

import pytest

from shequn.commerce import orders
from shequn.commerce.coupons import services
from shequn.commerce.coupons.errors import CouponLimitReached, CouponNotApplicable, CouponSoldOut
from shequn.commerce.coupons.models import Coupon, CouponHolding, CouponTemplate
from shequn.commerce.models import Order, StockLevel
from shequn.core.tests.threads import bulk_members, run_together, spread

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 30  # PostgreSQL allows 100 connections shared by everybody


def _members(store, n):
    return bulk_members(store, n, "领券会员")


def test_100_claims_of_a_30_coupon_template(system_actor, store):
    template = services.create_template(system_actor, name="限量30张", kind="fixed", amount_fen=500, valid_days=7,
                                        total_quantity=30)
    members = _members(store, 100)

    results = spread(members, lambda m: services.claim(system_actor, template.pk, m))

    issued = [r for r in results if isinstance(r, Coupon)]
    sold_out = [r for r in results if isinstance(r, CouponSoldOut)]
    assert len(issued) == 30 and len(sold_out) == 70, [r for r in results if not isinstance(r, (Coupon,
                                                                                               CouponSoldOut))][:3]
    template.refresh_from_db()
    assert (template.remaining, template.issued_count) == (0, 30)
    assert Coupon.objects.filter(template=template).count() == 30
    assert Coupon.objects.filter(template=template).values("member").distinct().count() == 30
    assert services.check_coupons() == []


def test_one_member_claiming_in_20_threads_gets_one(system_actor, member):
    template = services.create_template(system_actor, name="每人限1张", kind="fixed", amount_fen=500, valid_days=7,
                                        per_member_limit=1)

    results = run_together(20, lambda _: services.claim(system_actor, template.pk, member), timeout=60)

    assert sum(isinstance(r, Coupon) for r in results) == 1
    assert sum(isinstance(r, CouponLimitReached) for r in results) == 19, results
    assert Coupon.objects.filter(template=template, member=member).count() == 1
    assert CouponHolding.objects.get(template=template, member=member).issued == 1
    assert CouponTemplate.objects.get(pk=template.pk).issued_count == 1
    assert services.check_coupons() == []


def test_a_grant_and_the_same_members_claiming_at_once(system_actor, store):
    """Locks are taken template first, then member: no deadlock, and nobody ends up with two."""
    template = services.create_template(system_actor, name="限领1张", kind="fixed", amount_fen=500, valid_days=7,
                                        per_member_limit=1, total_quantity=1000)
    members = _members(store, 60)

    def work(i):
        if i == 0:
            return services.grant(system_actor, template.pk, members, ref="会员日")
        return [_attempt(lambda m=m: services.claim(system_actor, template.pk, m)) for m in members[i - 1::WORKERS - 1]]

    results = run_together(WORKERS, work, timeout=120)
    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    claims = [r for batch in results[1:] for r in batch]
    assert all(isinstance(r, (Coupon, CouponLimitReached)) for r in claims), claims[:3]
    grant = results[0]
    assert grant["issued"] + sum(isinstance(r, Coupon) for r in claims) == 60
    assert grant["issued"] + grant["over_limit"] == 60
    assert Coupon.objects.filter(template=template).values("member").distinct().count() == 60
    assert Coupon.objects.filter(template=template).count() == 60
    assert services.check_coupons() == []


def _attempt(fn):
    try:
        return fn()
    except Exception as exc:  # collected for the test to inspect
        return exc


def test_two_orders_racing_for_one_coupon(system_actor, member, store, make_sku):
    sku = make_sku("RACE-1", 5000, quantity=20)
    template = services.create_template(system_actor, name="立减10", kind="fixed", amount_fen=1000, valid_days=7)
    coupon = services.claim(system_actor, template, member)

    def place(_):
        return orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}],
                                  fulfilment="pickup", store=store, coupon_ids=[coupon.pk])

    for _ in range(3):  # a few rounds: the race is real each time
        results = run_together(8, place, timeout=60)
        placed = [r for r in results if isinstance(r, Order)]
        refused = [r for r in results if isinstance(r, CouponNotApplicable)]
        assert len(placed) == 1 and len(refused) == 7, results
        coupon.refresh_from_db()
        assert coupon.status == "locked" and coupon.order_id == placed[0].pk
        assert Order.objects.get(pk=placed[0].pk).coupon_discount_fen == 1000
        orders.cancel_order(system_actor, placed[0])  # the coupon comes back for the next round
        coupon.refresh_from_db()
        assert coupon.status == "available"
    level = StockLevel.objects.get(sku=sku, store=store)
    assert (level.on_hand, level.reserved) == (20, 0)
    assert Order.objects.filter(coupons__isnull=False).count() == 0
    assert services.check_coupons() == []
