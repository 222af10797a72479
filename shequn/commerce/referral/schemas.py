import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field


class ReferralLinkOut(Schema):
    member_id: int
    code: str
    path: str
    url: str
    qr_svg_url: str


class AttributeIn(Schema):
    member_id: int = Field(..., gt=0, description="The new member (referee)")
    code: str = Field(..., min_length=1, max_length=12, description="The referrer's code")
    device_id: str = Field("", max_length=64)
    ip: str | None = Field(None, max_length=45)
    clicked_at: dt.datetime | None = Field(None, description="When the link was opened, if known")


class ReferralOut(Schema):
    id: int
    referrer_id: int
    referee_id: int
    code: str
    status: str
    hold_reasons: list[str]
    device_id: str
    network: str
    attributed_at: dt.datetime
    order_no: str | None
    qualified_at: dt.datetime | None
    release_after: dt.datetime | None
    rewarded_at: dt.datetime | None
    void_reason: str
    reviewed_by: str
    review_note: str


class ReferralPage(Schema):
    items: list[ReferralOut]
    next_cursor: str | None


class ReviewIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class ReferralSettingsIn(Schema):
    reward_kind: Literal["points", "coupon"] | None = None
    referrer_points: int | None = None
    referee_points: int | None = None
    referrer_coupon_template_id: int | None = None
    referee_coupon_template_id: int | None = None
    signup_window_days: int | None = None
    first_order_window_days: int | None = None
    hold_days: int | None = None
    burst_limit: int | None = None
    burst_window_minutes: int | None = None


class ReferralSettingsOut(Schema):
    reward_kind: str
    referrer_points: int
    referee_points: int
    referrer_coupon_template_id: int | None
    referee_coupon_template_id: int | None
    signup_window_days: int
    first_order_window_days: int
    hold_days: int
    burst_limit: int
    burst_window_minutes: int


class ReferrerRow(Schema):
    referrer_id: int
    name: str
    member_no: str
    referrals: int
    first_orders: int
    conversion_pct: int
    rewarded: int
    held: int
    void: int
    points_paid: int


class DistributorIn(Schema):
    member_id: int = Field(..., gt=0)
    upline_id: int | None = Field(None, gt=0, description="The distributor who recruited them")
    note: str = Field("", max_length=200)


class DistributorOut(Schema):
    id: int
    member_id: int
    member_no: str
    name: str
    upline_id: int | None
    status: str
    applied_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str
    pending_fen: int
    available_fen: int
    frozen_fen: int
    withdrawn_fen: int


class DistributorPage(Schema):
    items: list[DistributorOut]
    next_cursor: str | None


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=200)


class RatesIn(Schema):
    level_rates_permille: list[int] | None = Field(None, description="‰ per level; at most two levels")
    min_withdrawal_fen: int | None = None


class RuleIn(Schema):
    level_rates_permille: list[int]
    category: str | None = Field(None, max_length=40, description="Category name")
    sku: str | None = Field(None, max_length=40, description="SKU code")


class DistributionSettingsOut(Schema):
    level_rates_permille: list[int]
    min_withdrawal_fen: int
    rules: list[dict]


class EntryOut(Schema):
    id: int
    kind: str
    pending_delta: int
    available_delta: int
    frozen_delta: int
    withdrawn_delta: int
    order_no: str | None
    withdrawal_id: int | None
    note: str
    created_at: dt.datetime


class EntryPage(Schema):
    items: list[EntryOut]
    next_cursor: str | None


class WithdrawalIn(Schema):
    amount_fen: int


class WithdrawalOut(Schema):
    id: int
    distributor_id: int
    member_id: int
    amount_fen: int
    status: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decided_by: str
    reference: str
    note: str


class WithdrawalPage(Schema):
    items: list[WithdrawalOut]
    next_cursor: str | None


class PayoutIn(Schema):
    reference: str = Field(..., min_length=1, max_length=64, description="The transfer reference (转账流水号)")
    note: str = Field("", max_length=200)


class RejectIn(Schema):
    note: str = Field("", max_length=200)


class DistributorRow(Schema):
    distributor_id: int
    member_id: int
    name: str
    member_no: str
    upline_id: int | None
    team_size: int
    orders_referred: int
    sales_referred_fen: int
    level1_fen: int
    level2_fen: int
    pending_fen: int
    available_fen: int
    frozen_fen: int
    withdrawn_fen: int


def referral_out(r) -> dict:
    return {"id": r.pk, "referrer_id": r.referrer_id, "referee_id": r.referee_id, "code": r.code,
            "status": r.status, "hold_reasons": r.hold_reasons, "device_id": r.device_id, "network": r.network,
            "attributed_at": r.attributed_at, "order_no": r.order.order_no if r.order_id else None,
            "qualified_at": r.qualified_at, "release_after": r.release_after, "rewarded_at": r.rewarded_at,
            "void_reason": r.void_reason, "reviewed_by": r.reviewed_by, "review_note": r.review_note}


def distributor_out(d) -> dict:
    return {"id": d.pk, "member_id": d.member_id, "member_no": d.member.member_no, "name": d.member.name,
            "upline_id": d.upline_id, "status": d.status, "applied_at": d.applied_at, "decided_at": d.decided_at,
            "decided_by": d.decided_by, "pending_fen": d.pending_fen, "available_fen": d.available_fen,
            "frozen_fen": d.frozen_fen, "withdrawn_fen": d.withdrawn_fen}


def entry_out(e) -> dict:
    return {"id": e.pk, "kind": e.kind, "pending_delta": e.pending_delta, "available_delta": e.available_delta,
            "frozen_delta": e.frozen_delta, "withdrawn_delta": e.withdrawn_delta,
            "order_no": e.commission.order.order_no if e.commission_id else None, "withdrawal_id": e.withdrawal_id,
            "note": e.note, "created_at": e.created_at}


def withdrawal_out(w) -> dict:
    return {"id": w.pk, "distributor_id": w.distributor_id, "member_id": w.distributor.member_id,
            "amount_fen": w.amount_fen, "status": w.status, "requested_at": w.requested_at,
            "decided_at": w.decided_at, "decided_by": w.decided_by, "reference": w.reference, "note": w.note}
