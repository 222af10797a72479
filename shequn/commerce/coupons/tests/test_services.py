import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import orders, payments, refunds
from shequn.commerce.coupons import redemption, selectors, services
from shequn.commerce.coupons.errors import (
    CouponLimitReached,
    CouponNotApplicable,
    CouponNotIssuable,
    CouponSoldOut,
    InvalidCouponTemplate,
)
from shequn.commerce.coupons.models import Coupon, CouponTemplate
from shequn.commerce.models import Order, StockLevel
from shequn.core import outbox
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _order(actor, member, store, sku, quantity=3, coupons=(), **kwargs):
    return orders.place_order(actor, member=member, items=[{"sku": sku.code, "quantity": quantity}],
                              fulfilment="pickup", store=store, coupon_ids=[c.pk for c in coupons], **kwargs)


@pytest.mark.parametrize("kwargs, field", [
    ({"name": ""}, "name"),
    ({"kind": "bogus"}, "kind"),
    ({"kind": "fixed", "amount_fen": 0}, "amount_fen"),
    ({"kind": "fixed", "amount_fen": True}, "amount_fen"),
    ({"kind": "threshold", "amount_fen": 2000, "threshold_fen": 1000}, "threshold_fen"),
    ({"kind": "percent", "percent": 100}, "percent"),
    ({"kind": "percent", "percent": 0}, "percent"),
    ({"kind": "free_item", "free_sku_code": "NOPE"}, "free_sku_code"),
    ({"scope": "categories", "categories": ["不存在"]}, "categories"),
    ({"scope": "skus", "sku_codes": []}, "sku_codes"),
    ({"valid_days": 0}, "valid_days"),
    ({"validity": "window", "valid_from": None, "valid_until": None}, "valid_from"),
    ({"total_quantity": 0}, "total_quantity"),
    ({"auto_issue": "sometimes"}, "auto_issue"),
    ({"stackable": "yes"}, "stackable"),
])
def test_bad_templates_are_refused_and_nothing_written(make_template, kwargs, field):
    with pytest.raises(InvalidCouponTemplate) as err:
        make_template(**kwargs)
    assert err.value.extra["field"] == field
    assert not CouponTemplate.objects.exists()


def test_window_must_be_in_the_future(make_template):
    now = timezone.now()
    with pytest.raises(InvalidCouponTemplate):
        make_template(validity="window", valid_from=now - dt.timedelta(days=9), valid_until=now - dt.timedelta(days=1))
    template = make_template(validity="window", valid_from=now, valid_until=now + dt.timedelta(days=3))
    assert template.valid_until > now


def test_claim_respects_the_per_member_limit_and_the_stock(system_actor, make_template, make_member, store):
    template = make_template(per_member_limit=2, total_quantity=3)
    a, b = make_member(store=store), make_member(store=store)
    first, second = services.claim(system_actor, template, a), services.claim(system_actor, template, a)
    assert first.ref == "claim:1" and second.ref == "claim:2"
    with pytest.raises(CouponLimitReached):
        services.claim(system_actor, template, a)
    services.claim(system_actor, template, b)
    with pytest.raises(CouponSoldOut):
        services.claim(system_actor, template, b)
    template.refresh_from_db()
    assert (template.remaining, template.issued_count) == (0, 3)
    assert Coupon.objects.count() == 3
    assert first.valid_until - first.valid_from == dt.timedelta(days=30)


def test_paused_or_unclaimable_templates_issue_nothing(system_actor, make_template, member):
    template = make_template()
    services.set_status(system_actor, template, "paused")
    with pytest.raises(CouponNotIssuable) as err:
        services.claim(system_actor, template, member)
    assert err.value.extra["reason"] == "paused"
    hidden = make_template(claimable=False)
    with pytest.raises(CouponNotIssuable):
        services.claim(system_actor, hidden, member)
    assert not Coupon.objects.exists()
    services.set_status(system_actor, template, "active")
    assert services.claim(system_actor, template, member).status == "available"


def test_issue_is_idempotent_per_ref(system_actor, make_template, member):
    template = make_template(per_member_limit=1)
    first = services.issue(system_actor, template, member, "referral", "ref:42")
    assert services.issue(system_actor, template, member, "referral", "ref:42").pk == first.pk
    second = services.issue(system_actor, template, member, "referral", "ref:43")  # rewards are not claims
    assert second.pk != first.pk
    with pytest.raises(InvalidCouponTemplate):
        services.issue(system_actor, template, member, "claim", "x")
    template.refresh_from_db()
    assert template.issued_count == 2


@pytest.mark.parametrize("chunk", [1, 2, 200])
def test_grant_skips_members_at_their_limit_and_a_retry_gives_nothing_twice(system_actor, make_template,
                                                                              make_member, store, chunk):
    template = make_template(per_member_limit=1, total_quantity=3)
    members = [make_member(store=store) for _ in range(4)]
    services.claim(system_actor, template, members[0])
    result = services.grant(system_actor, template, members, ref="双11", chunk=chunk)
    assert result == {"issued": 2, "already": 0, "over_limit": 1, "sold_out": 1, "held_out": 0}
    again = services.grant(system_actor, template, members[:3], ref="双11", chunk=chunk)
    assert again == {"issued": 0, "already": 2, "over_limit": 1, "sold_out": 0, "held_out": 0}
    assert Coupon.objects.count() == 3


def test_new_member_coupon_through_the_outbox(system_actor, make_template, make_member, store):
    make_template(name="新人券", kind="fixed", amount_fen=500, auto_issue="new_member", claimable=False)
    member = make_member(store=store)
    outbox.drain()
    outbox.drain()
    coupons = Coupon.objects.filter(member=member)
    assert [(c.source, c.template.name) for c in coupons] == [("new_member", "新人券")]
    assert services.issue_new_member(member) == 0


def test_birthday_coupons_once_a_year(system_actor, make_template, make_member, store):
    make_template(name="生日券", kind="percent", percent=80, auto_issue="birthday", claimable=False)
    born = make_member(store=store, birthday=dt.date(1990, 2, 29 - 1))
    leap = make_member(store=store, birthday=dt.date(1992, 2, 29))
    make_member(store=store, birthday=dt.date(1990, 3, 1))
    assert services.issue_birthday(dt.date(2027, 2, 28)) == 2
    assert services.issue_birthday(dt.date(2027, 2, 28)) == 0
    assert {c.member_id for c in Coupon.objects.all()} == {born.pk, leap.pk}
    assert set(Coupon.objects.values_list("ref", flat=True)) == {"birthday:2027"}


def test_coupon_applies_to_the_order_and_follows_payment(system_actor, make_template, member, store, sku):
    coupon = services.claim(system_actor, make_template(campaign="双11"), member)
    order = _order(system_actor, member, store, sku, quantity=3, coupons=[coupon])  # 3 × 39.90 = 119.70
    assert (order.coupon_discount_fen, order.total_fen) == (2000, 11970 - 2000)
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_id, coupon.discount_fen) == ("locked", order.pk, 2000)
    assert sum(order.lines.values_list("discount_fen", flat=True)) == 2000
    payments.start_payment(system_actor, order, "offline")
    coupon.refresh_from_db()
    assert coupon.status == "used" and coupon.used_at is not None
    report = selectors.cost_report(campaign="双11")
    assert report[0]["used"] == 1 and report[0]["discount_fen"] == 2000 and report[0]["sales_fen"] == 9970


def test_below_threshold_says_how_much_is_missing_and_writes_nothing(system_actor, make_template, member, store,
                                                                     sku):
    coupon = services.claim(system_actor, make_template(), member)
    with pytest.raises(CouponNotApplicable) as err:
        _order(system_actor, member, store, sku, quantity=2, coupons=[coupon])  # 79.80 < 99
    assert err.value.detail == "满99减20：还差 ¥19.20"
    assert err.value.status == 422
    assert not Order.objects.exists()
    assert StockLevel.objects.get(sku=sku, store=store).reserved == 0
    coupon.refresh_from_db()
    assert coupon.status == "available"


def test_someone_elses_or_used_or_expired_coupons_are_refused(system_actor, make_template, make_member, member,
                                                              store, sku):
    template = make_template(kind="fixed", amount_fen=100, per_member_limit=5)
    theirs = services.claim(system_actor, template, make_member(store=store))
    with pytest.raises(CouponNotApplicable) as err:
        _order(system_actor, member, store, sku, coupons=[theirs])
    assert err.value.extra["reason"] == "not-yours"
    mine = services.claim(system_actor, template, member)
    _order(system_actor, member, store, sku, coupons=[mine])
    with pytest.raises(CouponNotApplicable) as err:
        _order(system_actor, member, store, sku, coupons=[mine])
    assert err.value.extra["reason"] == "locked"
    old = services.claim(system_actor, template, member)
    Coupon.objects.filter(pk=old.pk).update(valid_until=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(CouponNotApplicable) as err:
        _order(system_actor, member, store, sku, coupons=[old])
    assert err.value.extra["reason"] == "expired"
    with pytest.raises(CouponNotApplicable):
        _order(system_actor, member, store, sku, coupons=[mine, old, mine])


def test_two_non_stackable_coupons_are_refused(system_actor, make_template, member, store, sku):
    a = services.claim(system_actor, make_template(kind="fixed", amount_fen=100, name="A"), member)
    b = services.claim(system_actor, make_template(kind="fixed", amount_fen=200, name="B"), member)
    c = services.claim(system_actor, make_template(kind="percent", percent=90, name="C", stackable=True), member)
    with pytest.raises(CouponNotApplicable) as err:
        _order(system_actor, member, store, sku, coupons=[a, b])
    assert err.value.extra["reason"] == "not-stackable"
    order = _order(system_actor, member, store, sku, quantity=3, coupons=[c, b])
    # fixed first: 11970 - 200 = 11770, then 9折 on what is left: 1177
    assert order.coupon_discount_fen == 200 + 1177


def test_cancel_gives_coupons_back_and_an_ended_one_expires(system_actor, make_template, member, store, sku):
    template = make_template(kind="fixed", amount_fen=500, per_member_limit=2)
    keep, lapse = services.claim(system_actor, template, member), services.claim(system_actor, template, member)
    first = _order(system_actor, member, store, sku, coupons=[keep])
    orders.cancel_order(system_actor, first)
    keep.refresh_from_db()
    assert (keep.status, keep.order_id, keep.discount_fen, keep.returned_count) == ("available", None, 0, 1)
    second = _order(system_actor, member, store, sku, coupons=[lapse])
    Coupon.objects.filter(pk=lapse.pk).update(valid_until=timezone.now() - dt.timedelta(minutes=1))
    orders.cancel_order(system_actor, second)
    lapse.refresh_from_db()
    assert lapse.status == "expired" and lapse.order_id is None
    assert AuditEntry.objects.filter(action="coupons.returned").count() == 2


def test_full_refund_returns_the_coupon_partial_does_not(system_actor, make_template, member, store, sku):
    template = make_template(kind="fixed", amount_fen=500, per_member_limit=2, campaign="春季")
    one, two = services.claim(system_actor, template, member), services.claim(system_actor, template, member)
    partial = _order(system_actor, member, store, sku, quantity=2, coupons=[one])
    payments.start_payment(system_actor, partial, "offline")
    refunds.refund_order(system_actor, partial, reason="少一件", lines=[{"sku": sku.code, "quantity": 1}])
    one.refresh_from_db()
    assert one.status == "used"
    full = _order(system_actor, member, store, sku, quantity=2, coupons=[two])
    payments.start_payment(system_actor, full, "offline")
    assert selectors.cost_report(campaign="春季")[0]["used"] == 2
    refunds.refund_order(system_actor, full, reason="不要了")
    two.refresh_from_db()
    assert (two.status, two.order_id) == ("available", None)
    report = selectors.cost_report(campaign="春季")[0]
    assert (report["issued"], report["used"], report["discount_fen"]) == (2, 1, 500)
    partial.refresh_from_db()
    assert report["sales_fen"] == partial.paid_fen - partial.refunded_fen


def test_free_item_and_scoped_coupons(system_actor, make_template, make_sku, member, store, sku):
    egg = make_sku("EGG-6", 1290, quantity=10)
    free = services.claim(system_actor, make_template(kind="free_item", free_sku_code="EGG-6", stackable=True),
                          member)
    berries_only = services.claim(system_actor, make_template(kind="percent", percent=50, scope="skus",
                                                              sku_codes=["BERRY-500"]), member)
    order = orders.place_order(system_actor, member=member, fulfilment="pickup", store=store,
                               items=[{"sku": "EGG-6", "quantity": 2}, {"sku": sku.code, "quantity": 1}],
                               coupon_ids=[berries_only.pk, free.pk])
    assert order.coupon_discount_fen == 1290 + 1995  # 5折 of ¥39.90, the half fen stays with the member's bill
    lines = {ln.sku_id: ln for ln in order.lines.all()}
    assert lines[egg.pk].discount_fen == 1290 and lines[sku.pk].discount_fen == 1995


def test_preview_and_best_for_choose_the_largest_allowed_set(system_actor, make_template, member, store, sku):
    from shequn.commerce.orders import Item, _skus, price_lines

    small = services.claim(system_actor, make_template(kind="fixed", amount_fen=300, name="立减3"), member)
    big = services.claim(system_actor, make_template(name="满99减20"), member)
    stack = services.claim(system_actor, make_template(kind="fixed", amount_fen=100, name="叠加1", stackable=True),
                           member)
    items = [Item(sku.code, 3)]
    _, lines = price_lines(member.pk, items, _skus(items))
    chosen, discounts = redemption.best_for(member, lines)
    assert {c.pk for c in chosen} == {big.pk, stack.pk}
    assert sum(d.amount_fen for d in discounts) == 2100
    assert [d.amount_fen for d in redemption.preview(member, [small.pk], lines)] == [300]
    assert Coupon.objects.filter(status="available").count() == 3


def test_void_and_expiry(system_actor, make_template, member):
    template = make_template(per_member_limit=3)
    a, b = services.claim(system_actor, template, member), services.claim(system_actor, template, member)
    services.void(system_actor, a, reason="发错了")
    Coupon.objects.filter(pk=b.pk).update(valid_until=timezone.now())
    assert services.expire_due() == 1
    assert dict(Coupon.objects.values_list("pk", "status")) == {a.pk: "void", b.pk: "expired"}
    assert {c.pk for c in selectors.member_coupons(member, "expired")} == {a.pk, b.pk}
    assert not selectors.member_coupons(member, "available").exists()


def test_check_coupons_recomputes_counts_and_fixes_them(system_actor, make_template, make_member, member, store,
                                                        sku):
    template = make_template(kind="fixed", amount_fen=300, per_member_limit=2, total_quantity=10)
    services.claim(system_actor, template, member)
    services.grant(system_actor, template, [member, make_member(store=store)], ref="g")
    services.issue(system_actor, template, member, "referral", "r1")  # not counted against the limit
    coupon = services.claim(system_actor, make_template(kind="fixed", amount_fen=100, name="B"), member)
    orders.place_order(system_actor, member=member, items=[{"sku": sku.code, "quantity": 1}], fulfilment="pickup",
                       store=store, coupon_ids=[coupon.pk])
    assert services.check_coupons() == []
    CouponTemplate.objects.filter(pk=template.pk).update(issued_count=1, remaining=9)
    problems = services.check_coupons(fix=True)
    assert [p["kind"] for p in problems] == ["coupon_template"] and problems[0]["coupons"] == 4
    assert services.check_coupons() == []
    template.refresh_from_db()
    assert (template.issued_count, template.remaining) == (4, 6)
