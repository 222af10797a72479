import datetime as dt

from ninja import Field, Schema


class EventBatchIn(Schema):
    events: list[dict] = Field(..., description=(
        "Each {event_id, kind, group_id, member_id?, occurred_at, by_admin?, amount_fen?, payload?}; "
        "every item is checked, errors come by index."))
    source: str = "api"


class EventBatchOut(Schema):
    accepted: int
    duplicates: int


class MetricOut(Schema):
    day: dt.date
    members: int
    joins: int
    leaves: int
    active_members_7d: int
    messages: int
    interactions: int
    answer_seconds_avg: int | None
    orders: int
    sales_fen: int
    red_packet_fen: int


class SlotOut(Schema):
    weekday: int = Field(..., description="0 = Monday … 6 = Sunday")
    hour: int
    count: int


class HeatmapOut(Schema):
    grid: list[list[int]] = Field(..., description="7 rows (Monday first) × 24 hours, local time")
    best: list[SlotOut]
    total: int
    days: int


class SuggestionOut(Schema):
    id: int
    kind: str
    status: str
    group_id: int
    group_name: str
    member_id: int | None
    member_name: str | None
    target_group_id: int | None
    reason: str
    decided_by: str
    decided_at: dt.datetime | None
    created_at: dt.datetime


class SuggestionPage(Schema):
    items: list[SuggestionOut]
    next_cursor: str | None


def suggestion_out(s) -> dict:
    return {"id": s.pk, "kind": s.kind, "status": s.status, "group_id": s.group_id, "group_name": s.group.name,
            "member_id": s.member_id, "member_name": s.member.name if s.member_id else None,
            "target_group_id": s.target_group_id, "reason": s.reason, "decided_by": s.decided_by,
            "decided_at": s.decided_at, "created_at": s.created_at}
