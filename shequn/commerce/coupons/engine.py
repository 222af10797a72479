"""The coupon pricing engine: a pure function from priced lines and coupon terms to discounts.

Rules (see docs/commerce-coupons.md):
- Stacking: at most one non-stackable coupon per order; stackable ones combine with each other and with
  that one; never two coupons of the same template.
- Scope: all goods, some categories or some SKUs. Thresholds (满减) and minimum spend are measured on the
  in-scope lines at member/channel price, before any coupon.
- Order of application: free item (免费商品) first, then fixed (立减) and threshold (满减) amounts, then
  percent (折扣) on what is left of the in-scope goods — so a 85折 never discounts money another coupon
  already took off, and the member cannot stack percentages on full price. Within a step narrower scopes go
  first and capped percents after uncapped ones (see _order_key), so a set of coupons always gives the same
  discount, however it is listed.
- Each discount is capped at what is left of its in-scope goods and split over those lines in proportion
  to what is left on each (whole fen, sums exactly), so no line ever goes below zero.
"""

from dataclasses import dataclass, field
from itertools import combinations

from shequn.core.money import format_fen

from ..pricing import Discount, PricedLine, allocate
from .errors import CouponNotApplicable

FIXED, PERCENT, THRESHOLD, FREE_ITEM = "fixed", "percent", "threshold", "free_item"
_PHASE = {FREE_ITEM: 0, FIXED: 1, THRESHOLD: 1, PERCENT: 2}


@dataclass(frozen=True)
class CouponTerms:
    """What the engine needs to know about one coupon."""

    coupon_id: int
    template_id: int
    name: str
    kind: str
    amount_fen: int = 0
    percent: int = 0  # 85 = pay 85%
    max_discount_fen: int = 0  # 0 = no cap
    threshold_fen: int = 0
    min_spend_fen: int = 0
    free_sku_code: str = ""
    stackable: bool = False
    category_ids: frozenset[int] | None = None  # None: not limited by category
    sku_codes: frozenset[str] | None = None  # None: not limited by SKU
    extra: dict = field(default_factory=dict, compare=False)

    def covers(self, line: PricedLine) -> bool:
        if self.category_ids is not None and line.category_id not in self.category_ids:
            return False
        return self.sku_codes is None or line.code in self.sku_codes

    @property
    def label(self) -> str:
        return self.name


def describe(terms: CouponTerms) -> str:
    """The coupon's rule in the words a member reads on it: 满99减20, 85折, 立减10 …"""
    if terms.kind == THRESHOLD:
        return f"满{_yuan(terms.threshold_fen)}减{_yuan(terms.amount_fen)}"
    if terms.kind == FIXED:
        return f"立减{_yuan(terms.amount_fen)}"
    if terms.kind == PERCENT:
        text = f"{terms.percent // 10 if terms.percent % 10 == 0 else terms.percent}折"
        return text + (f"(最多减{_yuan(terms.max_discount_fen)})" if terms.max_discount_fen else "")
    return f"免费送 {terms.free_sku_code}"


def _yuan(fen: int) -> str:
    return f"{fen // 100}" if fen % 100 == 0 else f"{fen // 100}.{fen % 100:02d}".rstrip("0")


def check_stacking(coupons: list[CouponTerms]) -> None:
    templates: set[int] = set()
    for terms in coupons:
        if terms.template_id in templates:
            raise CouponNotApplicable(f"「{terms.name}」同一种券每单只能用一张。", reason="same-template",
                                      coupon_id=terms.coupon_id)
        templates.add(terms.template_id)
    single = [t for t in coupons if not t.stackable]
    if len(single) > 1:
        raise CouponNotApplicable(f"「{single[0].name}」和「{single[1].name}」都不可叠加，每单只能用其中一张。",
                                  reason="not-stackable", coupon_id=single[1].coupon_id)


def apply(lines: list[PricedLine], coupons: list[CouponTerms]) -> list[Discount]:
    """Discounts of these coupons on these lines, in the order they apply; raises CouponNotApplicable."""
    check_stacking(coupons)
    left = [line.total_fen for line in lines]
    ordered = sorted(coupons, key=_order_key)
    discounts = []
    for terms in ordered:
        scope = [i for i, line in enumerate(lines) if terms.covers(line)]
        if not scope:
            raise CouponNotApplicable(f"「{terms.name}」不适用于购物车里的商品。", reason="out-of-scope",
                                      coupon_id=terms.coupon_id)
        _check_spend(terms, sum(lines[i].total_fen for i in scope))
        shares = _shares(terms, lines, scope, left)
        amount = sum(shares.values())
        if amount <= 0:
            raise CouponNotApplicable(f"「{terms.name}」适用的商品已没有可优惠的金额。", reason="nothing-left",
                                      coupon_id=terms.coupon_id)
        for index, fen in shares.items():
            left[index] -= fen
        discounts.append(Discount(source="coupon", ref=str(terms.coupon_id), amount_fen=amount,
                                  line_shares=shares, label=f"{terms.name} {describe(terms)}"))
    return discounts


def _order_key(t: CouponTerms) -> tuple:
    """Free item, then amounts, then percent; within a step narrower scopes first (a category coupon is not
    starved by a whole-store one) and capped percents after uncapped ones; then by the terms themselves, so
    a set gives the same discount however it is listed and whichever coupon of a template is used."""
    scope = 0 if t.sku_codes is not None else 1 if t.category_ids is not None else 2
    return (_PHASE.get(t.kind, 9), scope, bool(t.max_discount_fen), t.percent, t.max_discount_fen, -t.amount_fen,
            t.threshold_fen, t.min_spend_fen, tuple(sorted(t.sku_codes or ())),
            tuple(sorted(t.category_ids or (), key=lambda c: (c is None, c or 0))), t.free_sku_code, t.coupon_id)


def _check_spend(terms: CouponTerms, base_fen: int) -> None:
    need = max(terms.min_spend_fen, terms.threshold_fen if terms.kind == THRESHOLD else 0)
    if base_fen < need:
        rule = describe(terms) if terms.kind == THRESHOLD else f"满{_yuan(need)}可用"
        raise CouponNotApplicable(f"{rule}：还差 {format_fen(need - base_fen)}", reason="below-threshold",
                                  coupon_id=terms.coupon_id, short_fen=need - base_fen)


def _shares(terms: CouponTerms, lines: list[PricedLine], scope: list[int], left: list[int]) -> dict[int, int]:
    if terms.kind == FREE_ITEM:
        match = [i for i in scope if lines[i].code == terms.free_sku_code]
        if not match:
            raise CouponNotApplicable(f"「{terms.name}」：把 {terms.free_sku_code} 加入购物车才能免费领取。",
                                      reason="free-item-missing", coupon_id=terms.coupon_id)
        index = match[0]
        return {index: min(lines[index].unit_price_fen, left[index])}
    room = sum(left[i] for i in scope)
    if terms.kind == PERCENT:
        amount = room * (100 - terms.percent) // 100
        if terms.max_discount_fen:
            amount = min(amount, terms.max_discount_fen)
    else:
        amount = terms.amount_fen
    amount = min(amount, room)
    split = allocate(amount, [left[i] for i in scope])
    return {i: fen for i, fen in zip(scope, split, strict=True) if fen}


def _value(lines: list[PricedLine], coupons: list[CouponTerms]) -> int | None:
    try:
        return sum(d.amount_fen for d in apply(lines, coupons))
    except CouponNotApplicable:
        return None


def best_set(lines: list[PricedLine], candidates: list[CouponTerms], *, max_single: int = 6,
             max_stackable: int = 6) -> tuple[list[CouponTerms], list[Discount]]:
    """The set with the largest total discount the rules allow: none or one non-stackable coupon with any
    subset of the stackable ones, one coupon per template (the first given of each).

    A coupon that cannot apply on its own cannot apply in any set either (scope, thresholds and the free
    item do not depend on other coupons; what is left only shrinks), so only those are combined; of them
    the `max_single` and `max_stackable` most valuable alone are tried — at most (1+6)·2⁶ = 448 sets."""
    first: dict[int, CouponTerms] = {}
    for terms in candidates:
        first.setdefault(terms.template_id, terms)
    alone = {t.coupon_id: _value(lines, [t]) or 0 for t in first.values()}
    usable = sorted((t for t in first.values() if alone[t.coupon_id]), key=lambda t: -alone[t.coupon_id])
    singles = [t for t in usable if not t.stackable][:max_single]
    stackable = [t for t in usable if t.stackable][:max_stackable]
    best_value, best = 0, []
    for single in [None, *singles]:
        for size in range(len(stackable) + 1):
            for combo in combinations(stackable, size):
                chosen = ([single] if single else []) + list(combo)
                value = _value(lines, chosen) if chosen else 0
                if value and value > best_value:
                    best_value, best = value, chosen
    return best, apply(lines, best) if best else []
