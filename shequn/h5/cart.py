"""购物车: the member's cart, kept in the session as {sku code: quantity}, and its quote.

The quote runs the order core's own pricing steps (member/tier price → coupons → points as cash →
delivery fee) so the checkout page shows exactly the breakdown `orders.place_order` will fix on the order."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequn.commerce import orders, pricing
from shequn.commerce.coupons import engine as coupon_engine
from shequn.commerce.coupons import redemption
from shequn.commerce.coupons.errors import CouponNotApplicable
from shequn.commerce.coupons.models import Coupon
from shequn.commerce.coupons.selectors import member_coupons
from shequn.commerce.models import Order, Sku
from shequn.core.errors import ValidationProblem
from shequn.loyalty.models import LoyaltyAccount

SESSION_KEY = "shop_cart"
MAX_LINES = 20
MAX_QUANTITY = 99
COUPONS_SHOWN = 30


class InvalidCart(ValidationProblem):
    type, title = "invalid-cart", "Invalid cart change"


def parse_quantity(raw, *, allow_zero: bool = False) -> int:
    text = str(raw if raw is not None else "").strip()
    low = 0 if allow_zero else 1
    if not text.isdigit() or not low <= int(text) <= MAX_QUANTITY:
        raise InvalidCart(_("数量须为 %(low)s 到 %(high)s 之间的整数。") % {"low": low, "high": MAX_QUANTITY},
                          field="quantity")
    return int(text)


def items(session) -> dict[str, int]:
    """The cart as stored; anything malformed (an old or tampered session) is dropped."""
    raw = session.get(SESSION_KEY)
    if not isinstance(raw, dict):
        return {}
    return {code: qty for code, qty in raw.items()
            if isinstance(code, str) and isinstance(qty, int) and not isinstance(qty, bool)
            and 1 <= qty <= MAX_QUANTITY}


def _save(session, cart: dict[str, int]) -> None:
    session[SESSION_KEY] = cart  # a new dict each time, so the session notices the change


def _sellable(code: str) -> Sku:
    sku = Sku.objects.select_related("product").filter(code=str(code or "").strip()).first()
    if sku is None or not (sku.is_active and sku.product.is_active):
        raise InvalidCart(_("该商品已下架或不存在。"), type="not-on-sale", field="sku")
    return sku


def add(session, code: str, quantity: int) -> int:
    """Add to the cart; returns the quantity of that SKU now in it."""
    sku = _sellable(code)
    cart = items(session)
    if sku.code not in cart and len(cart) >= MAX_LINES:
        raise InvalidCart(_("购物车最多放 %(n)s 种商品，请先结算或删除一些。") % {"n": MAX_LINES}, field="sku")
    total = cart.get(sku.code, 0) + quantity
    if total > MAX_QUANTITY:
        raise InvalidCart(_("每种商品一次最多买 %(n)s 件。") % {"n": MAX_QUANTITY}, field="quantity")
    cart[sku.code] = total
    _save(session, cart)
    return total


def update(session, code: str, quantity: int) -> None:
    """Set the quantity of a SKU already in the cart; 0 removes it."""
    cart = items(session)
    if code not in cart:
        raise InvalidCart(_("购物车里没有这件商品。"), field="sku")
    if quantity == 0:
        cart.pop(code)
    else:
        cart[code] = quantity
    _save(session, cart)


def remove(session, code: str) -> None:
    cart = items(session)
    cart.pop(code, None)
    _save(session, cart)


def clear(session) -> None:
    session.pop(SESSION_KEY, None)


def count(session) -> int:
    return sum(items(session).values())


@dataclass
class QuoteLine:
    sku: Sku
    quantity: int
    list_price_fen: int
    unit_price_fen: int

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity

    @property
    def list_total_fen(self) -> int:
        return self.list_price_fen * self.quantity


@dataclass
class CouponOffer:
    """One of my coupons at checkout: what it is, and what it alone would take off this cart."""

    coupon: Coupon
    rule: str
    alone_fen: int  # 0: does not apply to this cart
    why_not: str = ""
    chosen: bool = False


@dataclass
class Quote:
    """The order as it would be placed now: 商品金额 − 会员优惠 − 优惠券 − 积分抵扣 + 运费 = 应付."""

    lines: list[QuoteLine]
    unavailable: list[str] = field(default_factory=list)  # SKU codes no longer on sale
    tier_code: str = ""
    subtotal_fen: int = 0
    member_discount_fen: int = 0
    coupons: list[CouponOffer] = field(default_factory=list)
    coupon_ids: list[int] = field(default_factory=list)  # the coupons this quote (and the order) uses
    coupon_discount_fen: int = 0
    coupon_error: str = ""
    points_balance: int = 0
    points_max: int = 0  # what this order could take
    points_max_fen: int = 0
    points_used: int = 0
    points_offset_fen: int = 0
    delivery_fee_fen: int = 0
    free_delivery_from_fen: int = 0
    total_fen: int = 0

    @property
    def goods_fen(self) -> int:
        return self.subtotal_fen - self.member_discount_fen

    @property
    def count(self) -> int:
        return sum(line.quantity for line in self.lines)


def skus_for(codes) -> dict[str, Sku]:
    return {s.code: s for s in Sku.objects.select_related("product", "product__category")
            .prefetch_related("tier_prices").filter(code__in=list(codes))}


def _offers(member, priced) -> list[CouponOffer]:
    offers = []
    for coupon in member_coupons(member, "available").filter(status=Coupon.Status.AVAILABLE)[:COUPONS_SHOWN]:
        terms = redemption.terms_of(coupon)
        try:
            alone = sum(d.amount_fen for d in redemption.preview(member, [coupon.pk], priced))
        except CouponNotApplicable as problem:
            offers.append(CouponOffer(coupon, coupon_engine.describe(terms), 0, problem.detail))
        else:
            offers.append(CouponOffer(coupon, coupon_engine.describe(terms), alone))
    return offers


def _apply_coupons(result: "Quote", member, priced, coupon_ids) -> None:
    """The chosen coupons (None: the best set for this cart, as a first suggestion)."""
    result.coupons = _offers(member, priced)
    if coupon_ids is None:
        chosen, discounts = redemption.best_for(member, priced)
        ids = [c.pk for c in chosen]
    else:
        offered = {o.coupon.pk for o in result.coupons}
        ids = [i for i in dict.fromkeys(coupon_ids) if i in offered]
        try:
            discounts = redemption.preview(member, ids, priced)
        except CouponNotApplicable as problem:
            result.coupon_error, ids, discounts = problem.detail, [], []
    result.coupon_ids = ids
    result.coupon_discount_fen = sum(d.amount_fen for d in discounts)
    for offer in result.coupons:
        offer.chosen = offer.coupon.pk in ids


def quote(member, cart: dict[str, int], *, fulfilment: str = Order.Fulfilment.PICKUP,
          use_points: bool = False, coupon_ids: list[int] | None = None) -> Quote:
    """Price the cart for this member: the given coupons (None: the best ones), and with use_points as
    many points as the order may take."""
    found = skus_for(cart)
    on_sale = {code: qty for code, qty in cart.items()
               if code in found and found[code].is_active and found[code].product.is_active}
    result = Quote(lines=[], unavailable=[code for code in cart if code not in on_sale])
    if not on_sale:
        return result
    tier_code, priced = orders.price_lines(member.pk, [orders.Item(c, q) for c, q in on_sale.items()], found)
    result.tier_code = tier_code
    result.lines = [QuoteLine(found[p.code], p.quantity, p.list_price_fen, p.unit_price_fen) for p in priced]
    result.subtotal_fen = sum(line.list_total_fen for line in result.lines)
    goods = sum(line.total_fen for line in result.lines)
    result.member_discount_fen = result.subtotal_fen - goods
    _apply_coupons(result, member, priced, coupon_ids)
    payable = goods - result.coupon_discount_fen
    settings = pricing.settings_row()
    account = LoyaltyAccount.objects.filter(member_id=member.pk).only("points_balance").first()
    result.points_balance = account.points_balance if account else 0
    result.points_max, result.points_max_fen = pricing.points_offset(result.points_balance, payable,
                                                                     result.points_balance, settings)
    if use_points:
        result.points_used, result.points_offset_fen = result.points_max, result.points_max_fen
    if fulfilment == Order.Fulfilment.DELIVERY:
        result.delivery_fee_fen = pricing.delivery_fee(payable, settings)
    result.free_delivery_from_fen = settings.free_delivery_from_fen
    result.total_fen = payable - result.points_offset_fen + result.delivery_fee_fen
    return result
