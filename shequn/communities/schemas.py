import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from .models import Group, Membership

GROUP_NAME = Field(..., min_length=1, max_length=60)


class GroupIn(Schema):
    name: str = GROUP_NAME
    store_code: str = Field(..., min_length=1, max_length=20)
    capacity: int = Field(200, ge=1, le=Group.MAX_CAPACITY)
    dimension: str | None = Field(None, max_length=32, description="Dimension code")
    description: str = Field("", max_length=200)
    rules_text: str = Field("", max_length=5000, description="群规; becomes rules version 1")
    admin_member_ids: list[int] = Field(default_factory=list, max_length=20,
                                        description="The first becomes owner (群主), the others admins")
    external_chat_id: str = Field("", max_length=100)
    topic_calendar: dict[str, str] = Field(default_factory=dict, description='Weekday "0"-"6" to topic')


class GroupPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    capacity: int | None = Field(None, ge=1, le=Group.MAX_CAPACITY)
    dimension: str | None = Field(None, max_length=32)
    description: str | None = Field(None, max_length=200)
    external_chat_id: str | None = Field(None, max_length=100)
    topic_calendar: dict[str, str] | None = None


class GroupOut(Schema):
    id: int
    name: str
    capacity: int
    member_count: int
    store_code: str
    dimension: str | None
    status: str
    description: str
    external_chat_id: str
    topic_calendar: dict
    overflow_of: int | None
    created_at: dt.datetime


class GroupPage(Schema):
    items: list[GroupOut]
    next_cursor: str | None


class MembershipOut(Schema):
    id: int
    group_id: int
    member_id: int
    member_no: str
    name: str
    phone_masked: str
    role: str
    is_seed: bool
    rules_version: int | None
    invited_by: int | None
    joined_at: dt.datetime
    left_at: dt.datetime | None
    leave_reason: str


class MembershipPage(Schema):
    items: list[MembershipOut]
    next_cursor: str | None


class JoinIn(Schema):
    member_id: int = Field(..., gt=0)
    accepted_rules_version: int | None = Field(None, ge=1)


class JoinOut(Schema):
    group_id: int
    group_name: str
    membership_id: int
    created: bool


class RemoveIn(Schema):
    reason: Literal[tuple(r for r in Membership.LeaveReason.values if r != "left")]  # type: ignore[valid-type]
    note: str = Field("", max_length=200)


class RoleIn(Schema):
    role: Literal["owner", "admin", "kol", "member"]


class SeedIn(Schema):
    is_seed: bool = True


class RulesIn(Schema):
    text: str = Field(..., min_length=1, max_length=5000)


class RulesOut(Schema):
    group_id: int
    version: int
    text: str
    created_by: str
    created_at: dt.datetime


class BlacklistIn(Schema):
    member_id: int = Field(..., gt=0)
    reason: str = Field(..., min_length=1, max_length=200)


class BlacklistOut(Schema):
    member_id: int
    member_no: str
    name: str
    reason: str
    created_by: str
    created_at: dt.datetime


class ReportIn(Schema):
    reporter_id: int = Field(..., gt=0)
    offender_id: int = Field(..., gt=0)
    reason: Literal["ads", "poaching", "spam", "other"]
    note: str = Field("", max_length=500)


class ReportOut(Schema):
    id: int
    group_id: int
    reporter_id: int
    offender_id: int
    reason: str
    note: str
    status: str
    reviewed_by: str
    reviewed_at: dt.datetime | None
    points_entry_id: int | None
    created_at: dt.datetime


class ReportPage(Schema):
    items: list[ReportOut]
    next_cursor: str | None


class ReviewIn(Schema):
    valid: bool


class SlotIn(Schema):
    group_id: int = Field(..., gt=0)
    store_code: str | None = Field(None, max_length=20)
    tier_code: str | None = Field(None, max_length=20)


class EntryCodeIn(Schema):
    name: str = Field(..., min_length=1, max_length=60)
    group_ids: list[int] = Field(default_factory=list, max_length=100)
    overflow: Literal["reject", "create"] = "reject"
    routing: Literal["order", "attributes"] = "order"
    slots: list[SlotIn] | None = Field(None, max_length=100,
                                       description="Attribute routing: groups with an optional store and tier")


class EntryCodeCreated(Schema):
    code: str
    url: str
    qr_svg_url: str


class EntryCodeSlotOut(Schema):
    group_id: int
    group_name: str
    member_count: int
    capacity: int
    store_code: str | None
    tier_code: str


class EntryCodeOut(Schema):
    code: str
    name: str
    url: str
    qr_svg_url: str
    qr_png_url: str
    overflow: str
    routing: str
    is_active: bool
    overflow_count: int
    groups: list[EntryCodeSlotOut]
    created_at: dt.datetime


class EntryCodeJoinIn(Schema):
    member_id: int = Field(..., gt=0)
    accepted_rules_version: int | None = Field(None, ge=1)


class EntryCodeJoinOut(Schema):
    group_id: int
    group_name: str
    created: bool


class InviteLinkIn(Schema):
    member_id: int = Field(..., gt=0)
    group_id: int | None = Field(None, gt=0)


class InviteLinkOut(Schema):
    code: str
    url: str
    inviter_id: int
    group_id: int | None


class InviterStatsOut(Schema):
    member_id: int
    invited: int
    still_in: int
    active_30d: int
    links: int


class MatrixColumn(Schema):
    dimension: str | None
    dimension_name: str
    groups: list[GroupOut]


def group_out(group: Group) -> dict:
    return {"id": group.pk, "name": group.name, "capacity": group.capacity, "member_count": group.member_count,
            "store_code": group.store.code, "dimension": group.dimension.code if group.dimension else None,
            "status": group.status, "description": group.description, "external_chat_id": group.external_chat_id,
            "topic_calendar": group.topic_calendar, "overflow_of": group.overflow_of_id,
            "created_at": group.created_at}


def membership_out(m: Membership) -> dict:
    return {"id": m.pk, "group_id": m.group_id, "member_id": m.member_id, "member_no": m.member.member_no,
            "name": m.member.name, "phone_masked": m.member.phone_masked or "", "role": m.role,
            "is_seed": m.is_seed, "rules_version": m.rules_version, "invited_by": m.invited_by_id,
            "joined_at": m.joined_at, "left_at": m.left_at, "leave_reason": m.leave_reason}


class DimensionIn(Schema):
    code: str = Field(..., min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(..., min_length=1, max_length=50)
    kind: Literal["region", "interest", "tier", "lifecycle", "other"] = "other"
    sort: int = Field(0, ge=0, le=32767)


class DimensionOut(Schema):
    code: str
    name: str
    kind: str
    sort: int


class EntryCodePatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60)
    is_active: bool | None = None


class EntryCodePreviewOut(Schema):
    group_id: int | None
    group_name: str | None
    rules_version: int | None
    rules_text: str
    already_member: bool
    can_join: bool
