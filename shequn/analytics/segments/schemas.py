import datetime as dt

from ninja import Field, Schema


class SegmentIn(Schema):
    name: str = Field(..., max_length=60)
    description: str = Field("", max_length=300)
    conditions: list = Field(default_factory=list, description="condition list, see docs/analytics-segments.md")
    stores: list[str] = Field(default_factory=list, description="home store codes; empty = every store you may see")


class PreviewIn(Schema):
    conditions: list = Field(default_factory=list)
    stores: list[str] = Field(default_factory=list)


class MemberBrief(Schema):
    id: int
    member_no: str
    name: str
    store_code: str | None
    tier: str | None


class PreviewOut(Schema):
    count: int
    sample: list[MemberBrief]
    warnings: list[str]


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    conditions: list
    stores: list[str]
    created_by: str
    member_count: int | None
    materialised_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class MaterialiseOut(Schema):
    added: int
    removed: int
    count: int


class SegmentMembersPage(Schema):
    items: list[MemberBrief]
    next_cursor: str | None


class CouponGrantIn(Schema):
    template_id: int
    ref: str = Field("", max_length=80, description="grant reference; defaults to the Idempotency-Key")


class CouponGrantOut(Schema):
    template_id: int
    segment_id: int
    ref: str
    members: int
    issued: int
    already: int
    over_limit: int
    sold_out: int


class TagIn(Schema):
    name: str = Field(..., max_length=50)
    conditions: list | None = Field(None, description="rule conditions; absent for a manual tag")


class TagRuleIn(Schema):
    conditions: list


class TagOut(Schema):
    id: int
    name: str
    members: int
    rule: dict | None


class TagMembersIn(Schema):
    member_ids: list[int] = Field(..., min_length=1, max_length=10_000)


class TagSegmentIn(Schema):
    segment_id: int


class CountOut(Schema):
    changed: int


class EvaluateOut(Schema):
    added: int
    removed: int
    count: int
