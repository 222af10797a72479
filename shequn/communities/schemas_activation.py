"""Request and response shapes for posts, polls, activities and red packets."""

import datetime as dt
from typing import Literal

from ninja import Schema
from pydantic import Field

from .models import Activity, Poll, Post, RedPacket
from .red_packets import MAX_COUNT, MAX_TOTAL_FEN

# Red packets


class RedPacketIn(Schema):
    total_fen: int = Field(..., ge=1, le=MAX_TOTAL_FEN, description="Total in fen (at most 200000 = ¥2,000)")
    count: int = Field(..., ge=1, le=MAX_COUNT, description="Number of shares; at most one fen less than total")
    mode: Literal["random", "fixed"]
    greeting: str = Field("", max_length=60)
    expires_in_minutes: int = Field(24 * 60, ge=1, le=7 * 24 * 60)


class RedPacketCreated(Schema):
    id: int
    group_id: int
    total_fen: int
    count: int
    mode: str
    expires_at: dt.datetime


class GrabIn(Schema):
    member_id: int


class GrabOut(Schema):
    amount_fen: int
    red_packet_id: int
    member_id: int
    grabbed_at: dt.datetime


class RedPacketOut(Schema):
    id: int
    group_id: int
    mode: str
    total_fen: int
    count: int
    remaining_fen: int
    remaining_count: int
    refunded_fen: int
    greeting: str
    status: str
    expires_at: dt.datetime
    created_by: str
    created_at: dt.datetime
    grabs: list[GrabOut] | None = None


def red_packet_out(packet: RedPacket, with_grabs: bool = False) -> dict:
    out = {f: getattr(packet, f) for f in ("id", "group_id", "mode", "total_fen", "count", "remaining_fen",
                                           "remaining_count", "refunded_fen", "greeting", "status", "expires_at",
                                           "created_by", "created_at")}
    if with_grabs:
        out["grabs"] = [grab_out(g) for g in packet.grabs.order_by("id")]
    return out


def grab_out(grab) -> dict:
    return {"amount_fen": grab.amount_fen, "red_packet_id": grab.red_packet_id, "member_id": grab.member_id,
            "grabbed_at": grab.created_at}


class RedPacketPage(Schema):
    items: list[RedPacketOut]
    next_cursor: str | None


# Posts


class PostIn(Schema):
    kind: Literal["text", "image", "link", "product", "question", "challenge"] = "text"
    title: str = Field("", max_length=100)
    body: str = Field("", max_length=5000)
    url: str = Field("", max_length=200)
    image_url: str = Field("", max_length=300)
    product_ref: str = Field("", max_length=64)
    scheduled_at: dt.datetime | None = Field(None, description="Publish later (at most 90 days ahead)")
    author_member_id: int | None = Field(None, description="A member posting, e.g. a question; else staff")


class ReplyIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)
    member_id: int | None = Field(None, description="The replying member; empty for a staff reply")


class AnswerIn(Schema):
    body: str = Field(..., min_length=1, max_length=5000)


class ReplyOut(Schema):
    id: int
    post_id: int
    member_id: int | None
    staff: str
    body: str
    is_answer: bool
    created_at: dt.datetime


def reply_out(reply) -> dict:
    return {"id": reply.pk, "post_id": reply.post_id, "member_id": reply.member_id, "staff": reply.staff,
            "body": reply.body, "is_answer": reply.is_answer, "created_at": reply.created_at}


class PostOut(Schema):
    id: int
    group_id: int
    kind: str
    title: str
    body: str
    url: str
    image_url: str
    product_ref: str
    author_member_id: int | None
    author_staff: str
    scheduled_at: dt.datetime | None
    published_at: dt.datetime | None
    answered_at: dt.datetime | None
    answered_by: str
    answer_seconds: int | None = Field(None, description="Questions: seconds from publishing to the first answer")
    poll_id: int | None
    reply_count: int
    replies: list[ReplyOut] | None = None


def post_out(post: Post, with_replies: bool = False) -> dict:
    out = {f: getattr(post, f) for f in ("id", "group_id", "kind", "title", "body", "url", "image_url",
                                         "product_ref", "author_member_id", "author_staff", "scheduled_at",
                                         "published_at", "answered_at", "answered_by")}
    out["answer_seconds"] = (int((post.answered_at - post.published_at).total_seconds())
                             if post.answered_at and post.published_at else None)
    out["poll_id"] = Poll.objects.filter(post=post).values_list("pk", flat=True).first()
    replies = list(post.replies.order_by("id"))
    out["reply_count"] = len(replies)
    if with_replies:
        out["replies"] = [reply_out(r) for r in replies]
    return out


class PostPage(Schema):
    items: list[PostOut]
    next_cursor: str | None


# Polls


class PollIn(Schema):
    title: str = Field(..., min_length=1, max_length=100)
    options: list[str] = Field(..., min_length=2, max_length=10)
    multiple: bool = False
    deadline: dt.datetime


class VoteIn(Schema):
    member_id: int
    option_ids: list[int] = Field(..., min_length=1, max_length=10)


class PollResult(Schema):
    option_id: int
    text: str
    votes: int
    pct: float


class PollOut(Schema):
    id: int
    post_id: int
    group_id: int
    title: str
    multiple: bool
    deadline: dt.datetime
    closed: bool
    voters: int
    results: list[PollResult]


class VoteOut(Schema):
    poll_id: int
    member_id: int
    option_ids: list[int]


# Activities


class ActivityIn(Schema):
    store_code: str = Field(..., min_length=1, max_length=20)
    group_id: int | None = None
    title: str = Field(..., min_length=1, max_length=100)
    kind: Literal["online", "in_store"] = "in_store"
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int = Field(30, ge=1, le=10_000)
    location: str = Field("", max_length=200)
    description: str = Field("", max_length=5000)


class ActivityOut(Schema):
    id: int
    store_code: str
    group_id: int | None
    title: str
    kind: str
    location: str
    description: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    signup_count: int
    checkin_token: str
    created_by: str


def activity_out(activity: Activity) -> dict:
    out = {f: getattr(activity, f) for f in ("id", "group_id", "title", "kind", "location", "description",
                                             "starts_at", "ends_at", "capacity", "signup_count", "checkin_token",
                                             "created_by")}
    out["store_code"] = activity.store.code
    return out


class ActivityPage(Schema):
    items: list[ActivityOut]
    next_cursor: str | None


class SignupIn(Schema):
    member_id: int


class CheckInIn(Schema):
    token: str = Field(..., min_length=1, max_length=32)
    member_id: int


class SignupOut(Schema):
    activity_id: int
    member_id: int
    signed_up_at: dt.datetime
    checked_in_at: dt.datetime | None


def signup_out(signup) -> dict:
    return {"activity_id": signup.activity_id, "member_id": signup.member_id, "signed_up_at": signup.signed_up_at,
            "checked_in_at": signup.checked_in_at}


class AttendanceRow(Schema):
    member_id: int
    member_no: str
    name: str
    phone_masked: str
    signed_up_at: dt.datetime
    checked_in_at: dt.datetime | None


class AttendanceOut(Schema):
    activity_id: int
    capacity: int
    signed_up: int
    checked_in: int
    rows: list[AttendanceRow]
