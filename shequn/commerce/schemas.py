"""Request and response shapes of the commerce core API (products, stock, orders, payments, reports)."""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from .catalog import MAX_PRICE_FEN, MAX_TAGS
from .orders import MAX_LINES, MAX_QUANTITY
from .stock import MAX_MOVE

SKU_CODE = Field(..., min_length=1, max_length=40, description="SKU code, e.g. BERRY-500")
PRICE = Field(..., ge=1, le=MAX_PRICE_FEN, description="Price in fen (分)")
TAGS = Field(default_factory=list, max_length=MAX_TAGS)


# Catalog


class ProductIn(Schema):
    """The short form: one product with one SKU and its opening stock."""

    sku: str = SKU_CODE
    name: str = Field(..., min_length=1, max_length=100)
    price_fen: int = PRICE
    stock: int = Field(0, ge=0, le=MAX_MOVE, description="Opening stock at store_code (or the central warehouse)")
    store_code: str | None = Field(None, max_length=32)
    category: str = Field("", max_length=40, description="Scenario category, e.g. 早餐")
    tags: list[str] = TAGS


class SkuIn(Schema):
    code: str = SKU_CODE
    spec: str = Field("", max_length=60, description="e.g. 500g, 6 枚装")
    price_fen: int = PRICE
    member_prices: dict[str, int] = Field(default_factory=dict, description="会员价: tier code → fen")


class CatalogProductIn(Schema):
    """The full form: a product with one or more SKUs and member prices."""

    name: str = Field(..., min_length=1, max_length=100)
    skus: list[SkuIn] = Field(..., min_length=1, max_length=50)
    category: str = Field("", max_length=40)
    tags: list[str] = TAGS
    description: str = Field("", max_length=2000)
    image_url: str = Field("", max_length=300)


class ProductPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    category: str | None = Field(None, max_length=40, description="Empty text removes the category")
    tags: list[str] | None = Field(None, max_length=MAX_TAGS)
    description: str | None = Field(None, max_length=2000)
    image_url: str | None = Field(None, max_length=300)
    is_active: bool | None = Field(None, description="false takes the product off sale")


class PricesIn(Schema):
    """Replace the list price and the member prices; tiers left out lose their explicit price."""

    price_fen: int = PRICE
    member_prices: dict[str, int] = Field(default_factory=dict)


class StockLocationOut(Schema):
    store_code: str
    store_name: str
    on_hand: int
    reserved: int
    available: int


class SkuOut(Schema):
    sku: str
    product_id: int
    name: str
    spec: str
    price_fen: int
    member_prices: dict[str, int]
    stock_available: int
    category: str | None
    tags: list[str]
    description: str
    image_url: str
    is_active: bool
    stock_by_location: list[StockLocationOut]


class ProductSkuOut(Schema):
    sku: str
    spec: str
    price_fen: int
    member_prices: dict[str, int]
    stock_available: int
    is_active: bool


class CatalogProductOut(Schema):
    id: int
    name: str
    category: str | None
    tags: list[str]
    description: str
    image_url: str
    is_active: bool
    skus: list[ProductSkuOut]
    created_at: dt.datetime


class ProductPage(Schema):
    items: list[CatalogProductOut]
    next_cursor: str | None


# Stock


class ReceiptIn(Schema):
    sku: str = SKU_CODE
    store_code: str = Field(..., min_length=1, max_length=32)
    quantity: int = Field(..., ge=1, le=MAX_MOVE)
    reason: str = Field("", max_length=200)


class AdjustmentIn(Schema):
    sku: str = SKU_CODE
    store_code: str = Field(..., min_length=1, max_length=32)
    delta: int = Field(..., ge=-MAX_MOVE, le=MAX_MOVE, description="Non-zero: + found, - lost or damaged")
    reason: str = Field(..., min_length=1, max_length=200)


class StockEntryOut(Schema):
    id: int
    sku: str
    store_code: str
    kind: str
    on_hand_delta: int
    reserved_delta: int
    on_hand_after: int
    reserved_after: int
    ref: str
    reason: str
    actor: str
    created_at: dt.datetime


class StockEntryPage(Schema):
    items: list[StockEntryOut]
    next_cursor: str | None


# Orders


class ItemIn(Schema):
    sku: str = SKU_CODE
    quantity: int = Field(..., ge=1, le=MAX_QUANTITY)


class OrderIn(Schema):
    member_id: int = Field(..., gt=0)
    items: list[ItemIn] = Field(..., min_length=1, max_length=MAX_LINES)
    fulfilment: Literal["pickup", "delivery"]
    store_code: str | None = Field(None, max_length=32, description="Where the stock comes from / pickup store")
    pickup_point_id: int | None = Field(None, gt=0, description="自提点 (then stock comes from its store)")
    coupon_ids: list[int] = Field(default_factory=list, max_length=10)
    points: int = Field(0, ge=0, le=100_000_000, description="Points to use as cash (capped by the settings)")
    referrer_id: int | None = Field(None, gt=0)
    address: str = Field("", max_length=200)
    note: str = Field("", max_length=200)


class OrderLineOut(Schema):
    id: int
    sku: str
    product_name: str
    spec: str
    quantity: int
    list_price_fen: int
    unit_price_fen: int
    discount_fen: int
    paid_fen: int
    refunded_quantity: int
    refunded_fen: int


class PaymentOut(Schema):
    provider: str
    transaction_id: str
    amount_fen: int
    status: str
    paid_at: dt.datetime


class RefundOut(Schema):
    refund_no: str
    order_id: int
    order_no: str
    amount_fen: int
    points_returned: int
    reason: str
    status: str
    lines: list[dict]
    created_at: dt.datetime


class OrderOut(Schema):
    id: int
    order_no: str
    status: str
    member_id: int
    store_code: str
    fulfilment: str
    pickup_point_id: int | None
    channel: str
    channel_ref: str
    subtotal_fen: int
    member_discount_fen: int
    coupon_discount_fen: int
    points_used: int
    points_offset_fen: int
    delivery_fee_fen: int
    total_fen: int
    paid_fen: int
    refunded_fen: int
    payment_method: str
    pickup_code: str
    created_at: dt.datetime
    expires_at: dt.datetime
    paid_at: dt.datetime | None


class OrderDetailOut(OrderOut):
    address: str
    note: str
    cancel_reason: str
    referrer_id: int | None
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None


class PayIn(Schema):
    method: Literal["offline", "sandbox", "wechat"]


class PayOut(OrderOut):
    checkout: dict | None = None


class CancelIn(Schema):
    reason: str = Field("", max_length=100)


class RefundLineIn(Schema):
    line_id: int | None = Field(None, gt=0)
    sku: str | None = Field(None, max_length=40)
    quantity: int = Field(..., ge=1, le=MAX_QUANTITY)


class RefundIn(Schema):
    amount_fen: int | None = Field(None, ge=1, description="Omit with lines to refund their paid share")
    reason: str = Field(..., min_length=1, max_length=200)
    lines: list[RefundLineIn] = Field(default_factory=list, max_length=MAX_LINES)
    refund_no: str = Field("", max_length=40, description="Your refund number; a repeat returns the first refund")


class PickupVerifyIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, description="The member's 8-digit pickup code")
    store_code: str | None = Field(None, max_length=32)
    pickup_point_id: int | None = Field(None, gt=0)


# Reports and settings


class HotProductOut(Schema):
    rank: int
    product_id: int
    name: str
    category: str | None
    quantity: int
    sales_fen: int
    orders: int
    share: float = Field(..., description="Share of the period's net sales, 0-1")
    cumulative_share: float
    is_hot: bool = Field(..., description="Inside the products that make the first 80% of sales (爆品)")


class HotProductsOut(Schema):
    date_from: dt.date
    date_to: dt.date = Field(..., description="Inclusive, in Asia/Shanghai")
    store: str | None
    total_fen: int
    total_quantity: int
    product_count: int
    hot_count: int
    items: list[HotProductOut]


class SettingsIn(Schema):
    points_per_yuan: int = Field(..., ge=1, le=10_000, description="Points worth ¥1 when used as cash")
    points_offset_max_percent: int = Field(..., ge=0, le=100, description="At most this share of an order")
    unpaid_timeout_minutes: int = Field(..., ge=1, le=1440)
    complete_after_days: int = Field(..., ge=1, le=60)
    delivery_fee_fen: int = Field(..., ge=0, le=100_000)
    free_delivery_from_fen: int = Field(..., ge=0, le=MAX_PRICE_FEN, description="0: delivery is never free")


class SettingsOut(SettingsIn):
    updated_at: dt.datetime
