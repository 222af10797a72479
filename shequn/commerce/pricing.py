"""Prices of an order: list price → member/channel price → coupons → points as cash → delivery fee.

Pure functions over small records so the rules can be tested over random carts (see the property
tests). No step can take a total below zero: coupons are capped at the goods total and points at a
share of what is left after coupons."""

from dataclasses import dataclass, field

from .models import CommerceSettings, Sku


@dataclass
class PricedLine:
    sku_id: int
    code: str
    product_id: int
    category_id: int | None
    quantity: int
    list_price_fen: int
    unit_price_fen: int

    @property
    def total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


@dataclass
class Discount:
    """A coupon's effect on an order: its amount and how it splits over the lines it applies to."""

    source: str  # "coupon"
    ref: str  # coupon id
    amount_fen: int
    line_shares: dict[int, int] = field(default_factory=dict)  # line index → fen
    label: str = ""


def member_price(sku: Sku, tier_code: str, tier_discount_permille: int, tier_prices: dict[str, int]) -> int:
    """会员价: the explicit price for the tier, else the tier's discount (95折 → 950‰), never above list."""
    if tier_code in tier_prices:
        return min(sku.price_fen, tier_prices[tier_code])
    permille = min(max(tier_discount_permille, 1), 1000)
    return max(1, min(sku.price_fen, (sku.price_fen * permille + 500) // 1000))


def allocate(amount_fen: int, weights: list[int]) -> list[int]:
    """Split an amount over weights in proportion, whole fen, largest remainder; sums exactly."""
    total = sum(weights)
    if amount_fen <= 0 or total <= 0:
        return [0] * len(weights)
    if amount_fen > total:
        raise ValueError("cannot allocate more than the weights")
    shares = [amount_fen * w // total for w in weights]
    rest = amount_fen - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(amount_fen * weights[i] % total), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def points_offset(requested: int, payable_fen: int, balance: int, settings: CommerceSettings) -> tuple[int, int]:
    """积分抵现: (points used, fen offset). Uses whole-fen multiples only, at most the configured share of
    what is payable, never more than the member holds."""
    if requested <= 0 or payable_fen <= 0:
        return 0, 0
    per_yuan = max(settings.points_per_yuan, 1)
    cap_fen = payable_fen * min(settings.points_offset_max_percent, 100) // 100
    usable = min(requested, balance)
    fen = min(usable * 100 // per_yuan, cap_fen)
    points = -(-fen * per_yuan // 100)  # ceil: the points that buy `fen`
    while points > usable and fen > 0:
        fen -= 1
        points = -(-fen * per_yuan // 100)
    return (points, fen) if fen > 0 else (0, 0)


def delivery_fee(goods_fen: int, settings: CommerceSettings) -> int:
    if settings.free_delivery_from_fen and goods_fen >= settings.free_delivery_from_fen:
        return 0
    return settings.delivery_fee_fen


def settings_row() -> CommerceSettings:
    row = CommerceSettings.objects.order_by("pk").first()
    return row or CommerceSettings.objects.create()
