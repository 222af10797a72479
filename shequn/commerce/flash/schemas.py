import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field


class SaleIn(Schema):
    title: str = Field(..., min_length=1, max_length=60)
    sku: str = Field(..., min_length=1, max_length=40)
    store_code: str = Field(..., min_length=1, max_length=32, description="Where the stock comes from")
    flash_price_fen: int = Field(..., ge=1, description="秒杀价, below the list price")
    quantity: int = Field(..., ge=1, le=100_000, description="Allotment, covered by the store's available stock")
    per_member_limit: int = Field(1, ge=1, le=99)
    starts_at: dt.datetime
    ends_at: dt.datetime


class SaleStats(Schema):
    paid: int
    pending: int
    given_back: int
    buyers: int
    orders: int


class SaleOut(Schema):
    id: int
    title: str
    sku: str
    product_name: str
    store_code: str
    list_price_fen: int
    flash_price_fen: int
    quantity: int
    remaining: int
    per_member_limit: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    phase: str
    stats: SaleStats


class SalePage(Schema):
    items: list[SaleOut]
    next_cursor: str | None


class BuyIn(Schema):
    member_id: int = Field(..., ge=1)
    quantity: int = Field(1, ge=1, le=99)
    fulfilment: Literal["pickup", "delivery"] = "pickup"
    address: str = Field("", max_length=200)


class BuyOut(Schema):
    sale_id: int
    order_id: int
    order_no: str
    status: str
    quantity: int
    total_fen: int
    pay_by: dt.datetime
    remaining: int


class BuyerOut(Schema):
    member_id: int
    name: str
    member_no: str
    units: int
    paid: int
    orders: int
    cancelled: int
