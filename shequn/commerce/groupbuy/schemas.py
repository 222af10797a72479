import datetime as dt

from ninja import Schema
from pydantic import Field

from .leaders import leader_path
from .models import Campaign, CampaignItem, CommissionEntry, Leader, LeaderApplication, LeaderStatement


class ApplicationIn(Schema):
    member_id: int = Field(..., gt=0)
    point_name: str = Field(..., min_length=1, max_length=60, description="自提点名称")
    address: str = Field(..., min_length=1, max_length=200)
    hours: str = Field("", max_length=60, description="e.g. 每天 9:00-20:00")
    store_code: str = Field(..., min_length=1, max_length=32, description="The store that supplies the point")
    note: str = Field("", max_length=200)


class ApplicationOut(Schema):
    id: int
    member_id: int
    member_name: str
    point_name: str
    address: str
    hours: str
    store_code: str
    note: str
    status: str
    reject_reason: str
    decided_by: str
    decided_at: dt.datetime | None
    created_at: dt.datetime


class ApplicationPage(Schema):
    items: list[ApplicationOut]
    next_cursor: str | None


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class LeaderOut(Schema):
    id: int
    code: str
    member_id: int
    member_name: str
    status: str
    pickup_point_id: int
    pickup_point: str
    address: str
    hours: str
    store_code: str
    link: str
    commission_fen: int
    paid_out_fen: int
    owed_fen: int


class LeaderPage(Schema):
    items: list[LeaderOut]
    next_cursor: str | None


class CampaignIn(Schema):
    title: str = Field(..., min_length=1, max_length=80)
    description: str = Field("", max_length=2000)
    starts_at: dt.datetime
    ends_at: dt.datetime
    pickup_date: dt.date
    commission_permille: int = Field(0, ge=0, le=1000, description="Leader commission ‰ of what was paid")
    min_quantity: int = Field(0, ge=0, le=1_000_000, description="成团数量; 0: no minimum")
    store_codes: list[str] = Field(default_factory=list, max_length=200,
                                   description="Stores whose leaders may sell it; empty: all")


class ItemIn(Schema):
    group_price_fen: int = Field(..., gt=0)
    per_member_limit: int | None = Field(None, ge=1, le=999)
    commission_permille: int | None = Field(None, ge=0, le=1000)


class ItemOut(Schema):
    sku: str
    name: str
    spec: str
    list_price_fen: int
    group_price_fen: int
    per_member_limit: int | None
    commission_permille: int


class ProgressOut(Schema):
    sold: int
    min_quantity: int
    reached: bool
    percent: int


class CampaignOut(Schema):
    id: int
    title: str
    description: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    pickup_date: dt.date
    commission_permille: int
    min_quantity: int
    store_codes: list[str]
    items: list[ItemOut]
    progress: ProgressOut
    closed_at: dt.datetime | None


class CampaignPage(Schema):
    items: list[CampaignOut]
    next_cursor: str | None


class OrderItemIn(Schema):
    sku: str = Field(..., min_length=1, max_length=40)
    quantity: int = Field(..., ge=1, le=999)


class GroupBuyOrderIn(Schema):
    leader_code: str = Field(..., min_length=1, max_length=8)
    member_id: int = Field(..., gt=0)
    items: list[OrderItemIn] = Field(..., min_length=1, max_length=50)
    note: str = Field("", max_length=200)


class OrderOut(Schema):
    id: int
    order_no: str
    status: str
    total_fen: int
    paid_fen: int
    refunded_fen: int
    campaign_id: int | None = None
    leader_code: str = ""
    pickup_point: str = ""
    pickup_code: str = ""


class PickupIn(Schema):
    code: str = Field(..., min_length=1, max_length=20, description="The 8-digit pickup code (or the QR's text)")


class SheetLine(Schema):
    sku: str
    product: str
    spec: str
    quantity: int
    unit_price_fen: int
    paid_fen: int


class SheetOrder(Schema):
    order_id: int
    order_no: str
    status: str
    status_label: str
    total_fen: int
    paid_fen: int
    refunded_fen: int
    picked_up: bool
    lines: list[SheetLine]
    created_at: dt.datetime


class SheetMember(Schema):
    member_id: int
    member_no: str
    name: str
    orders: list[SheetOrder]


class PickingRow(Schema):
    item: str
    quantity: int
    picked_up: int
    to_hand_out: int


class SheetTotals(Schema):
    orders: int
    paid_fen: int
    refunded_fen: int
    to_hand_out: int
    handed_out: int


class SheetOut(Schema):
    campaign_id: int
    campaign: str
    pickup_date: dt.date
    leader_code: str
    pickup_point: str
    address: str
    members: list[SheetMember]
    picking: list[PickingRow]
    totals: SheetTotals


class EntryOut(Schema):
    id: int
    kind: str
    amount_fen: int
    base_fen: int
    ref: str
    order_no: str
    statement_id: int | None
    created_at: dt.datetime


class CommissionsOut(Schema):
    leader_code: str
    earned_fen: int
    paid_out_fen: int
    owed_fen: int
    unsettled_fen: int
    entries: list[EntryOut]
    next_cursor: str | None


class PeriodIn(Schema):
    period_start: dt.date
    period_end: dt.date = Field(..., description="Inclusive, in the shop's time zone")


class PayIn(Schema):
    reference: str = Field(..., min_length=1, max_length=64, description="Bank / WeChat transfer reference")
    paid_at: dt.datetime | None = None


class StatementOut(Schema):
    id: int
    leader_id: int
    leader_code: str
    leader_name: str
    period_start: dt.date
    period_end: dt.date
    status: str
    total_fen: int
    entry_count: int
    created_at: dt.datetime
    confirmed_at: dt.datetime | None
    paid_at: dt.datetime | None
    paid_reference: str


class StatementDetailOut(StatementOut):
    entries: list[EntryOut]


def application_out(a: LeaderApplication) -> dict:
    return {"id": a.pk, "member_id": a.member_id, "member_name": a.member.name, "point_name": a.point_name,
            "address": a.address, "hours": a.hours, "store_code": a.store.code, "note": a.note, "status": a.status,
            "reject_reason": a.reject_reason, "decided_by": a.decided_by, "decided_at": a.decided_at,
            "created_at": a.created_at}


def leader_out(leader: Leader) -> dict:
    point = leader.pickup_point
    return {"id": leader.pk, "code": leader.code, "member_id": leader.member_id, "member_name": leader.member.name,
            "status": leader.status, "pickup_point_id": point.pk, "pickup_point": point.name, "address": point.address,
            "hours": point.hours, "store_code": point.store.code, "link": leader_path(leader),
            "commission_fen": leader.commission_fen, "paid_out_fen": leader.paid_out_fen,
            "owed_fen": leader.commission_fen - leader.paid_out_fen}


def item_out(item: CampaignItem) -> dict:
    return {"sku": item.sku.code, "name": item.sku.product.name, "spec": item.sku.spec,
            "list_price_fen": item.sku.price_fen, "group_price_fen": item.group_price_fen,
            "per_member_limit": item.per_member_limit, "commission_permille": item.rate_permille}


def campaign_out(campaign: Campaign, progress: dict) -> dict:
    return {"id": campaign.pk, "title": campaign.title, "description": campaign.description,
            "status": campaign.status, "starts_at": campaign.starts_at, "ends_at": campaign.ends_at,
            "pickup_date": campaign.pickup_date, "commission_permille": campaign.commission_permille,
            "min_quantity": campaign.min_quantity, "store_codes": [s.code for s in campaign.stores.all()],
            "items": [item_out(i) for i in campaign.items.select_related("sku__product")],
            "progress": progress, "closed_at": campaign.closed_at}


def entry_out(e: CommissionEntry) -> dict:
    return {"id": e.pk, "kind": e.kind, "amount_fen": e.amount_fen, "base_fen": e.base_fen, "ref": e.ref,
            "order_no": e.groupbuy_order.order.order_no, "statement_id": e.statement_id, "created_at": e.created_at}


def statement_out(s: LeaderStatement) -> dict:
    return {"id": s.pk, "leader_id": s.leader_id, "leader_code": s.leader.code, "leader_name": s.leader.member.name,
            "period_start": s.period_start, "period_end": s.period_end, "status": s.status, "total_fen": s.total_fen,
            "entry_count": s.entry_count, "created_at": s.created_at, "confirmed_at": s.confirmed_at,
            "paid_at": s.paid_at, "paid_reference": s.paid_reference}
