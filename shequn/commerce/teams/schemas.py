import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field


class DealIn(Schema):
    title: str = Field(..., min_length=1, max_length=60)
    sku: str = Field(..., min_length=1, max_length=40)
    store_code: str = Field(..., min_length=1, max_length=32, description="Stock location and pickup store")
    team_price_fen: int = Field(..., ge=1, description="拼团价, below the list price")
    team_size: int = Field(..., ge=2, le=50, description="N members make a team")
    hours: int = Field(24, ge=1, le=168, description="A team must fill within this many hours of opening")
    starts_at: dt.datetime
    ends_at: dt.datetime
    per_member_limit: int = Field(1, ge=1, le=99, description="Units one member may hold in this deal")


class DealStatusIn(Schema):
    status: Literal["active", "paused"]


class DealOut(Schema):
    id: int
    title: str
    sku: str
    product_name: str
    store_code: str
    list_price_fen: int
    team_price_fen: int
    team_size: int
    hours: int
    per_member_limit: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    teams_forming: int
    teams_complete: int
    teams_failed: int


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None


class SeatIn(Schema):
    member_id: int = Field(..., ge=1)
    quantity: int = Field(1, ge=1, le=99)


class SeatOut(Schema):
    id: int
    member_id: int
    member_name: str
    quantity: int
    status: str
    order_id: int
    order_no: str
    order_status: str
    total_fen: int
    pay_by: dt.datetime
    refund_no: str


class TeamOut(Schema):
    id: int
    code: str
    deal_id: int
    title: str
    leader_member_id: int
    status: str
    size: int
    seats_taken: int
    seats_left: int
    opened_at: dt.datetime
    expires_at: dt.datetime
    seconds_left: int
    share_url: str
    seats: list[SeatOut]


class TeamPage(Schema):
    items: list[TeamOut]
    next_cursor: str | None


class JoinOut(Schema):
    team: TeamOut
    seat: SeatOut
