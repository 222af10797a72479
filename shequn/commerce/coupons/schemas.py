import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from .engine import describe
from .models import Coupon, CouponTemplate

MAX_GRANT = 10_000


class TemplateIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    kind: Literal["fixed", "percent", "threshold", "free_item"]
    amount_fen: int = Field(0, ge=0, description="fixed / threshold: fen off")
    percent: int = Field(0, ge=0, le=99, description="percent: 85 = 85折 (pay 85%)")
    max_discount_fen: int = Field(0, ge=0, description="percent: cap in fen, 0 = none")
    threshold_fen: int = Field(0, ge=0, description="threshold (满减): spend at least this on in-scope goods")
    free_sku_code: str = Field("", max_length=40, description="free_item: the SKU given free (one unit)")
    scope: Literal["all", "categories", "skus"] = "all"
    categories: list[str] = Field(default_factory=list, max_length=50, description="category names")
    sku_codes: list[str] = Field(default_factory=list, max_length=200)
    min_spend_fen: int = Field(0, ge=0)
    validity: Literal["window", "days"] = "days"
    valid_from: dt.datetime | None = None
    valid_until: dt.datetime | None = None
    valid_days: int = Field(0, ge=0, le=3650, description="days: valid this many days from issue")
    per_member_limit: int = Field(1, ge=0, le=1000, description="claims and grants per member; 0 = no limit")
    total_quantity: int | None = Field(None, ge=1, description="库存; null = unlimited")
    stackable: bool = False
    claimable: bool = True
    auto_issue: Literal["", "new_member", "birthday"] = ""
    campaign: str = Field("", max_length=60, description="the campaign the cost is attributed to")


class TemplateOut(Schema):
    id: int
    name: str
    kind: str
    rule: str
    amount_fen: int
    percent: int
    max_discount_fen: int
    threshold_fen: int
    free_sku_code: str
    scope: str
    scope_category_ids: list[int]
    scope_sku_codes: list[str]
    min_spend_fen: int
    validity: str
    valid_from: dt.datetime | None
    valid_until: dt.datetime | None
    valid_days: int
    per_member_limit: int
    total_quantity: int | None
    remaining: int | None
    issued_count: int
    stackable: bool
    claimable: bool
    auto_issue: str
    campaign: str
    status: str
    created_at: dt.datetime
    used: int = 0
    discount_fen: int = 0


class TemplatePage(Schema):
    items: list[TemplateOut]
    next_cursor: str | None


class GrantIn(Schema):
    member_ids: list[int] = Field(default_factory=list, max_length=MAX_GRANT)
    member_nos: list[str] = Field(default_factory=list, max_length=MAX_GRANT)
    tag: str = Field("", max_length=50, description="every member with this tag")
    tier: str = Field("", max_length=20, description="every member of this tier code")
    ref: str = Field("", max_length=80, description="grant reference; defaults to the Idempotency-Key")
    holdout_percent: int = Field(0, ge=0, le=50, description="对照组: share of the members (0–50%) kept out at "
                                 "random and recorded, so the coupon's uplift can be measured; 0 = none")


class GrantOut(Schema):
    template_id: int
    ref: str
    members: int
    issued: int
    already: int
    over_limit: int
    sold_out: int
    held_out: int = 0


class ClaimIn(Schema):
    member_id: int = Field(..., gt=0)


class VoidIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


class CouponOut(Schema):
    id: int
    code: str
    template_id: int
    name: str
    rule: str
    member_id: int
    source: str
    status: str
    issued_at: dt.datetime
    valid_from: dt.datetime
    valid_until: dt.datetime
    order_no: str | None
    discount_fen: int
    used_at: dt.datetime | None


class CouponPage(Schema):
    items: list[CouponOut]
    next_cursor: str | None


class QuoteItem(Schema):
    sku: str = Field(..., min_length=1, max_length=40)
    quantity: int = Field(..., ge=1, le=999)


class QuoteIn(Schema):
    member_id: int = Field(..., gt=0)
    items: list[QuoteItem] = Field(..., min_length=1, max_length=50)
    coupon_ids: list[int] = Field(default_factory=list, max_length=10)


class DiscountOut(Schema):
    coupon_id: int
    label: str
    amount_fen: int
    line_shares: dict[str, int]


class QuoteOut(Schema):
    goods_fen: int
    discounts: list[DiscountOut]
    coupon_fen: int
    best_coupon_ids: list[int]
    best_coupon_fen: int


class TemplateCost(Schema):
    template_id: int
    name: str
    kind: str
    issued: int
    used: int
    discount_fen: int
    orders: int
    sales_fen: int


class CampaignCost(Schema):
    campaign: str
    issued: int
    used: int
    discount_fen: int
    orders: int
    sales_fen: int
    templates: list[TemplateCost]


def template_out(t: CouponTemplate, usage: dict | None = None) -> dict:
    from .redemption import template_terms

    return {**{f: getattr(t, f) for f in TemplateOut.model_fields if hasattr(t, f)},
            "rule": describe(template_terms(t)), **{k: v for k, v in (usage or {}).items()
                                                     if k in ("used", "discount_fen")}}


def coupon_out(c: Coupon) -> dict:
    from .redemption import template_terms

    return {"id": c.pk, "code": c.code, "template_id": c.template_id, "name": c.template.name,
            "rule": describe(template_terms(c.template)), "member_id": c.member_id, "source": c.source,
            "status": c.status, "issued_at": c.issued_at, "valid_from": c.valid_from, "valid_until": c.valid_until,
            "order_no": c.order.order_no if c.order_id else None, "discount_fen": c.discount_fen,
            "used_at": c.used_at}


def discount_out(d) -> dict:
    return {"coupon_id": int(d.ref), "label": d.label, "amount_fen": d.amount_fen,
            "line_shares": {str(k): v for k, v in d.line_shares.items()}}
