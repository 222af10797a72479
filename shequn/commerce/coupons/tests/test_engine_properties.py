"""Property: over random carts, tier prices, coupon sets and points offsets, no combination ever makes a total
negative or cheaper than the rules allow, and every refusal names a rule that really was broken."""

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shequn.commerce import orders, pricing, stock
from shequn.commerce.coupons import engine
from shequn.commerce.coupons.engine import CouponTerms
from shequn.commerce.coupons.errors import CouponNotApplicable
from shequn.commerce.models import CommerceSettings

CATEGORIES = (1, 2, 3, None)


@st.composite
def carts(draw):
    count = draw(st.integers(1, 6))
    tier_code = draw(st.sampled_from(["", "silver", "gold"]))
    permille = draw(st.integers(800, 1000))
    lines = []
    for i in range(count):
        list_price = draw(st.integers(1, 50_000))
        tier_prices = draw(st.dictionaries(st.sampled_from(["silver", "gold"]), st.integers(1, 60_000), max_size=2))
        unit = pricing.member_price(SimpleNamespace(price_fen=list_price), tier_code, permille, tier_prices)
        if draw(st.booleans()):  # a channel price (flash sale, group buy) when lower
            unit = min(unit, draw(st.integers(1, list_price)))
        lines.append(pricing.PricedLine(sku_id=i + 1, code=f"S{i}", product_id=i + 1,
                                        category_id=draw(st.sampled_from(CATEGORIES)), quantity=draw(st.integers(1, 5)),
                                        list_price_fen=list_price, unit_price_fen=unit))
    return lines


@st.composite
def coupon_sets(draw, codes):
    result = []
    for i in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from([engine.FIXED, engine.PERCENT, engine.THRESHOLD, engine.FREE_ITEM]))
        amount = draw(st.integers(1, 30_000))
        scope = draw(st.sampled_from(["all", "categories", "skus"]))
        result.append(CouponTerms(
            coupon_id=i + 1, template_id=draw(st.integers(1, 6)), name=f"券{i}", kind=kind, amount_fen=amount,
            percent=draw(st.integers(1, 99)), max_discount_fen=draw(st.sampled_from([0, 500, 5_000])),
            threshold_fen=amount + draw(st.integers(0, 60_000)) if kind == engine.THRESHOLD else 0,
            min_spend_fen=draw(st.sampled_from([0, 0, 1_000, 20_000])),
            free_sku_code=draw(st.sampled_from([*codes, "MISSING"])) if kind == engine.FREE_ITEM else "",
            stackable=draw(st.booleans()),
            category_ids=frozenset(draw(st.sets(st.sampled_from(CATEGORIES), min_size=1)))
            if scope == "categories" else None,
            sku_codes=frozenset(draw(st.sets(st.sampled_from([*codes, "OTHER"]), min_size=1)))
            if scope == "skus" else None))
    return result


def _scope(terms, lines):
    return [i for i, line in enumerate(lines) if terms.covers(line)]


def _base(terms, lines):
    return sum(lines[i].total_fen for i in _scope(terms, lines))


def _refusal_is_justified(exc: CouponNotApplicable, coupons, lines) -> None:
    reason = exc.extra["reason"]
    if reason == "same-template":
        assert len({c.template_id for c in coupons}) < len(coupons)
        return
    if reason == "not-stackable":
        assert sum(not c.stackable for c in coupons) > 1
        return
    terms = next(c for c in coupons if c.coupon_id == exc.extra["coupon_id"])
    scope = _scope(terms, lines)
    if reason == "out-of-scope":
        assert not scope
    elif reason == "below-threshold":
        need = max(terms.min_spend_fen, terms.threshold_fen)
        assert _base(terms, lines) < need and exc.extra["short_fen"] == need - _base(terms, lines)
    elif reason == "free-item-missing":
        assert all(lines[i].code != terms.free_sku_code for i in scope)
    else:
        assert reason == "nothing-left"


def _check_discounts(discounts, coupons, lines) -> None:
    by_id = {c.coupon_id: c for c in coupons}
    assert sorted(int(d.ref) for d in discounts) == sorted(by_id)
    assert sum(not c.stackable for c in coupons) <= 1
    assert len({c.template_id for c in coupons}) == len(coupons)
    taken = [0] * len(lines)
    for d in discounts:
        terms = by_id[int(d.ref)]
        scope = _scope(terms, lines)
        assert d.amount_fen > 0 and sum(d.line_shares.values()) == d.amount_fen
        assert all(fen > 0 and index in scope for index, fen in d.line_shares.items())
        assert d.amount_fen <= _base(terms, lines)  # never more than its in-scope goods
        assert _base(terms, lines) >= max(terms.min_spend_fen, terms.threshold_fen)
        if terms.kind in (engine.FIXED, engine.THRESHOLD):
            assert d.amount_fen <= terms.amount_fen
        elif terms.kind == engine.PERCENT:
            assert d.amount_fen <= _base(terms, lines) * (100 - terms.percent) // 100
            assert not terms.max_discount_fen or d.amount_fen <= terms.max_discount_fen
        else:
            (index,) = d.line_shares
            assert lines[index].code == terms.free_sku_code and d.amount_fen <= lines[index].unit_price_fen
        for index, fen in d.line_shares.items():
            taken[index] += fen
    assert all(t <= line.total_fen for t, line in zip(taken, lines, strict=True))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_no_coupon_set_breaks_the_rules(data):
    lines = data.draw(carts())
    coupons = data.draw(coupon_sets([line.code for line in lines]))
    try:
        discounts = engine.apply(lines, coupons)
    except CouponNotApplicable as exc:
        _refusal_is_justified(exc, coupons, lines)
        return
    _check_discounts(discounts, coupons, lines)
    goods = sum(line.total_fen for line in lines)
    coupon_fen = sum(d.amount_fen for d in discounts)
    assert 0 <= coupon_fen <= goods

    row = CommerceSettings(points_per_yuan=data.draw(st.integers(1, 1000)),
                           points_offset_max_percent=data.draw(st.integers(0, 100)),
                           delivery_fee_fen=data.draw(st.sampled_from([0, 600])),
                           free_delivery_from_fen=data.draw(st.sampled_from([0, 9900])))
    balance = data.draw(st.integers(0, 10**6))
    requested = data.draw(st.integers(0, 10**6))
    used, offset = pricing.points_offset(requested, goods - coupon_fen, balance, row)
    assert 0 <= used <= min(balance, requested)
    assert 0 <= offset <= (goods - coupon_fen) * min(row.points_offset_max_percent, 100) // 100
    fee = pricing.delivery_fee(goods - coupon_fen, row)
    total = goods - coupon_fen - offset + fee
    assert total >= fee >= 0

    shares = orders._line_discounts(lines, discounts, offset)
    assert sum(shares) == coupon_fen + offset
    assert all(0 <= s <= line.total_fen for s, line in zip(shares, lines, strict=True))


@pytest.mark.django_db
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_placed_orders_always_add_up(system_actor, make_sku, make_member, store, data):
    """Through the real order core: total == subtotal - member discount - coupons - points + delivery ≥ 0."""
    from shequn.commerce.coupons import services
    from shequn.commerce.models import Order, Sku
    from shequn.loyalty import points

    member = make_member(store=store)
    n = data.draw(st.integers(1, 3))
    prices = [data.draw(st.integers(1, 20_000)) for _ in range(n)]
    skus = []
    for i, price in enumerate(prices):
        code = f"P{member.pk}-{i}"
        if not Sku.objects.filter(code=code).exists():
            stock.receive(system_actor, make_sku(code, price, quantity=0), stock.default_location(), 50)
        skus.append(Sku.objects.get(code=code))
    kinds = data.draw(st.lists(st.sampled_from(["fixed", "percent", "threshold"]), max_size=3))
    coupon_ids = []
    for j, kind in enumerate(kinds):
        amount = data.draw(st.integers(1, 30_000))
        template = services.create_template(
            system_actor, name=f"券{j}", kind=kind, amount_fen=amount, percent=data.draw(st.integers(1, 99)),
            threshold_fen=amount + data.draw(st.integers(0, 20_000)), valid_days=7, stackable=j > 0)
        coupon_ids.append(services.claim(system_actor, template, member).pk)
    balance = data.draw(st.integers(0, 50_000))
    if balance:
        points.earn(system_actor, member.pk, balance, source="gift", ref=f"gift:{member.pk}")
    items = [{"sku": s.code, "quantity": data.draw(st.integers(1, 3))} for s in skus]
    try:
        order = orders.place_order(system_actor, member=member, items=items, fulfilment="delivery",
                                   coupon_ids=coupon_ids, points=data.draw(st.integers(0, 50_000)))
    except CouponNotApplicable:
        assume(False)
        return
    order = Order.objects.get(pk=order.pk)
    assert order.total_fen == (order.subtotal_fen - order.member_discount_fen - order.coupon_discount_fen
                               - order.points_offset_fen + order.delivery_fee_fen) >= 0
    assert order.coupon_discount_fen == sum(order.coupons.values_list("discount_fen", flat=True))
    assert sum(ln.paid_fen for ln in order.lines.all()) == order.total_fen - order.delivery_fee_fen


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_best_set_is_the_best_allowed_subset(data):
    """best_set against brute force over every subset of up to 5 coupons."""
    from dataclasses import replace
    from itertools import combinations

    lines = data.draw(carts())
    # coupons of one template share its terms: distinct templates, plus perhaps a second coupon of the first
    coupons = [replace(c, template_id=c.coupon_id) for c in data.draw(coupon_sets([line.code for line in lines]))]
    if coupons and data.draw(st.booleans()):
        coupons.append(replace(coupons[0], coupon_id=99))
    best, discounts = engine.best_set(lines, coupons)
    optimum = 0
    for size in range(1, len(coupons) + 1):
        for subset in combinations(coupons, size):
            try:
                optimum = max(optimum, sum(d.amount_fen for d in engine.apply(lines, list(subset))))
            except CouponNotApplicable:
                pass
    assert sum(d.amount_fen for d in discounts) == optimum
    if best:
        _check_discounts(discounts, best, lines)
