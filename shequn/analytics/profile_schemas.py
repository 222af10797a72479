"""Response schema of GET /api/v1/analytics/members/{id}/profile (会员 360 画像). Money in fen."""

import datetime as dt

from ninja import Schema


class ProfileMemberOut(Schema):
    id: int
    member_no: str
    name: str
    home_store_code: str | None
    joined_at: dt.datetime
    tags: list[str]


class PurchasesOut(Schema):
    net_spend_fen: int
    gross_fen: int
    refunded_fen: int
    orders: int
    purchase_days: int
    aov_fen: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None
    days_since_last: int | None
    imported_orders: int


class MonthOut(Schema):
    month: str  # YYYY-MM, local
    spend_fen: int
    orders: int


class CategoryOut(Schema):
    name: str
    spend_fen: int
    share: float


class RecentOrderOut(Schema):
    order_no: str
    occurred_at: dt.datetime
    amount_fen: int
    refunded_fen: int
    source: str
    store_name: str
    order_id: int | None
    status: str


class GroupOut(Schema):
    group_id: int
    name: str
    store_name: str
    role: str
    joined_at: dt.datetime
    left_at: dt.datetime | None
    interactions: int
    orders: int
    last_interaction_at: dt.datetime | None


class InteractionOut(Schema):
    at: dt.datetime
    kind: str
    label: str
    where: str
    amount_fen: int | None
    points: int | None


class PointsOut(Schema):
    balance: int
    earned_total: int
    redeemed: int
    expired: int
    tier_code: str
    tier_name: str
    checkins: int
    last_checkin: dt.date | None
    checkin_streak: int


class CouponsOut(Schema):
    held: int
    expiring: int
    used: int
    saved_fen: int
    expired: int


class ReferralsOut(Schema):
    invited: int
    converted: int
    pending: int
    reward_points: int
    reward_coupons: int
    is_distributor: bool
    commission_fen: int


class RfmScoreOut(Schema):
    cell: str
    cell_label: str
    r: int
    f: int
    m: int
    recency_days: int
    frequency: int
    monetary_fen: int


class RfmOut(Schema):
    scope: str  # overall | home_store
    run_id: int | None  # None: no run of this scope yet
    as_of: dt.date | None
    score: RfmScoreOut | None  # None: the run did not score this member (no net spend by then)


class ValueOut(Schema):
    run_id: int
    calibration_end: dt.date
    horizon_days: int
    clv_12m_fen: int
    expected_purchases: float  # within horizon_days
    p_alive: float
    churn_risk: str
    value_decile: int | None


class RecommendationOut(Schema):
    sku: str
    product_id: int
    name: str
    spec: str
    category: str
    price_fen: int
    member_price_fen: int
    reason: str  # together | popular
    score: float


class MemberProfileOut(Schema):
    member: ProfileMemberOut
    scoped: bool  # figures limited to the caller's stores
    purchases: PurchasesOut
    months: list[MonthOut]
    categories: list[CategoryOut]
    recent_orders: list[RecentOrderOut]
    groups: list[GroupOut]
    timeline: list[InteractionOut]
    points: PointsOut
    coupons: CouponsOut
    referrals: ReferralsOut
    rfm: list[RfmOut]
    value: ValueOut | None  # None: no lifetime-value run has scored this member
    recommendations: list[RecommendationOut]
