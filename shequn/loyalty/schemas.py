import datetime as dt
from typing import Annotated

from ninja import Schema
from pydantic import Field


class PointsIn(Schema):
    points: int = Field(..., gt=0, le=10_000_000)
    reason: str = Field(..., min_length=1, max_length=200)


class PointsOut(Schema):
    entry_id: int
    balance: int


class LedgerEntryOut(Schema):
    id: int
    kind: str
    points: int
    balance_after: int
    reason: str
    source: str
    created_at: dt.datetime


class LedgerPage(Schema):
    items: list[LedgerEntryOut]
    next_cursor: str | None


class CheckInOut(Schema):
    points_awarded: int
    streak: int


class PurchaseIn(Schema):
    amount_fen: int = Field(..., gt=0, le=10_000_000_000, description="Amount paid, in fen (分)")
    ref: str = Field(..., min_length=1, max_length=100, description="Order or receipt number")
    occurred_at: dt.datetime | None = None
    store_code: str | None = None


class PurchaseOut(Schema):
    points_awarded: int
    balance: int
    tier: str


class TierOut(Schema):
    code: str
    name: str
    rank: int
    min_spend_fen: int | None
    min_orders: int | None
    min_growth: int | None
    discount_permille: int
    points_multiplier_pct: int
    birthday_gift: str
    exclusive_service: bool


class BulkGrantIn(Schema):
    member_ids: list[Annotated[int, Field(gt=0, lt=2**63)]] = Field(..., min_length=1, max_length=200_000)
    points: int = Field(..., gt=0, le=1_000_000)
    reason: str = Field(..., min_length=1, max_length=200)


class BulkGrantOut(Schema):
    id: int
    status: str
    total: int
    granted: int
    points: int
    reason: str
