"""Group activation over HTTP: posts and Q&A, polls, activities with check-in, red packets."""

import datetime as dt

from django.utils import timezone
from ninja import Query, Router, Schema

from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member
from shequn.stores.selectors import store_by_code

from . import activities, polls, posts, selectors, services
from .models import ActivitySignup, Post
from .schemas_activation import (
    ActivityIn,
    ActivityOut,
    ActivityPage,
    AnswerIn,
    AttendanceOut,
    CheckInIn,
    GrabIn,
    GrabOut,
    PollIn,
    PollOut,
    PostIn,
    PostOut,
    PostPage,
    RedPacketCreated,
    RedPacketIn,
    RedPacketOut,
    RedPacketPage,
    ReplyIn,
    ReplyOut,
    SignupIn,
    SignupOut,
    VoteIn,
    VoteOut,
    activity_out,
    grab_out,
    post_out,
    red_packet_out,
    reply_out,
    signup_out,
)

router = Router(tags=["group-activation"])

VIEW, MANAGE = "communities.view", "communities.manage"


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


class PostFilters(Page):
    include_scheduled: bool = False
    kind: str = ""


class ActivityFilters(Page):
    store: str = ""
    group_id: int | None = None


# Red packets


@router.post("/groups/{int:group_id}/red-packets", response={201: RedPacketCreated},
             summary="Send a red packet to a group (Idempotency-Key required)")
@idempotent(required=True)
def create_red_packet(request, group_id: int, payload: RedPacketIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    packet = services.create_red_packet(actor, group, total_fen=payload.total_fen, count=payload.count,
                                        mode=payload.mode, greeting=payload.greeting,
                                        expires_in=dt.timedelta(minutes=payload.expires_in_minutes))
    return 201, {"id": packet.pk, "group_id": group.pk, "total_fen": packet.total_fen, "count": packet.count,
                 "mode": packet.mode, "expires_at": packet.expires_at}


@router.get("/groups/{int:group_id}/red-packets", response=RedPacketPage, summary="A group's red packets")
def list_red_packets(request, group_id: int, page: Query[Page]):
    require(request.auth, VIEW)
    group = selectors.get_group(request.auth, group_id)
    rows, next_cursor = paginate(selectors.group_red_packets(group), page.cursor, page.limit)
    return {"items": [red_packet_out(p) for p in rows], "next_cursor": next_cursor}


@router.get("/red-packets/{int:red_packet_id}", response=RedPacketOut, summary="A red packet with its grabs")
def get_red_packet(request, red_packet_id: int):
    require(request.auth, VIEW)
    return red_packet_out(selectors.get_red_packet(request.auth, red_packet_id), with_grabs=True)


@router.post("/red-packets/{int:red_packet_id}/grab", response={201: GrabOut},
             summary="A group member grabs a share")
@idempotent()
def grab(request, red_packet_id: int, payload: GrabIn):
    actor = request.auth
    require(actor, MANAGE)
    member = get_member(actor, payload.member_id)
    return 201, grab_out(services.grab_red_packet(actor, red_packet_id, member))


# Posts and replies


@router.post("/groups/{int:group_id}/posts", response={201: PostOut},
             summary="Publish a post now, or schedule it with scheduled_at")
@idempotent()
def create_post(request, group_id: int, payload: PostIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    author = get_member(actor, payload.author_member_id) if payload.author_member_id else None
    post = services.publish_post(actor, group, kind=payload.kind, title=payload.title, body=payload.body,
                                 url=payload.url, image_url=payload.image_url, product_ref=payload.product_ref,
                                 scheduled_at=payload.scheduled_at, author_member=author)
    return 201, post_out(post)


@router.get("/groups/{int:group_id}/posts", response=PostPage,
            summary="A group's published posts, newest first (include_scheduled for pending ones too)")
def list_posts(request, group_id: int, filters: Query[PostFilters]):
    require(request.auth, VIEW)
    group = selectors.get_group(request.auth, group_id)
    qs = selectors.group_posts(group, include_scheduled=filters.include_scheduled, kind=filters.kind)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [post_out(p) for p in rows], "next_cursor": next_cursor}


@router.get("/posts/{int:post_id}", response=PostOut, summary="A post with its replies")
def get_post(request, post_id: int):
    require(request.auth, VIEW)
    return post_out(posts.get_post(request.auth, post_id), with_replies=True)


@router.post("/posts/{int:post_id}/replies", response={201: ReplyOut},
             summary="Reply as a member (member_id) or as staff")
@idempotent()
def reply(request, post_id: int, payload: ReplyIn):
    actor = request.auth
    require(actor, MANAGE)
    post = posts.get_post(actor, post_id)
    member = get_member(actor, payload.member_id) if payload.member_id else None
    return 201, reply_out(services.reply_to_post(actor, post, body=payload.body, member=member))


@router.post("/posts/{int:post_id}/answer", response={201: ReplyOut},
             summary="Staff answer to a question (the first one sets answered_at)")
@idempotent()
def answer(request, post_id: int, payload: AnswerIn):
    actor = request.auth
    require(actor, MANAGE)
    post = posts.get_post(actor, post_id)
    if post.kind != Post.Kind.QUESTION:
        raise posts.InvalidPost("Only questions take answers; reply instead.", field="post")
    return 201, reply_out(services.reply_to_post(actor, post, body=payload.body))


# Polls


def _poll_out(poll) -> dict:
    results = services.poll_results(poll)
    voters = poll.votes.values("member_id").distinct().count()
    return {"id": poll.pk, "post_id": poll.post_id, "group_id": poll.post.group_id, "title": poll.post.title,
            "multiple": poll.multiple, "deadline": poll.deadline, "closed": poll.deadline <= timezone.now(),
            "voters": voters, "results": results}


@router.post("/groups/{int:group_id}/polls", response={201: PollOut}, summary="Create a poll")
@idempotent()
def create_poll(request, group_id: int, payload: PollIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    poll = services.create_poll(actor, group, title=payload.title, options=payload.options,
                                multiple=payload.multiple, deadline=payload.deadline)
    return 201, _poll_out(poll)


@router.get("/polls/{int:poll_id}", response=PollOut, summary="A poll with its results")
def get_poll(request, poll_id: int):
    require(request.auth, VIEW)
    return _poll_out(polls.get_poll(request.auth, poll_id))


@router.post("/polls/{int:poll_id}/votes", response={201: VoteOut},
             summary="Cast a member's vote (a second vote replaces the first)")
@idempotent()
def cast_vote(request, poll_id: int, payload: VoteIn):
    actor = request.auth
    require(actor, MANAGE)
    poll = polls.get_poll(actor, poll_id)
    member = get_member(actor, payload.member_id)
    votes = services.vote(actor, poll, member, payload.option_ids)
    return 201, {"poll_id": poll.pk, "member_id": member.pk, "option_ids": [v.option_id for v in votes]}


# Activities


@router.post("/activities", response={201: ActivityOut}, summary="Create an online or in-store activity")
@idempotent()
def create_activity(request, payload: ActivityIn):
    actor = request.auth
    require(actor, MANAGE)
    store = store_by_code(actor, payload.store_code)
    group = selectors.get_group(actor, payload.group_id) if payload.group_id else None
    activity = services.create_activity(
        actor, store=store, title=payload.title, starts_at=payload.starts_at, ends_at=payload.ends_at,
        capacity=payload.capacity, kind=payload.kind, group=group, location=payload.location,
        description=payload.description)
    return 201, activity_out(activity)


@router.get("/activities", response=ActivityPage, summary="Activities, newest first")
def list_activities(request, filters: Query[ActivityFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.activities_visible_to(actor, store_code=filters.store, group_id=filters.group_id)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [activity_out(a) for a in rows], "next_cursor": next_cursor}


@router.get("/activities/{int:activity_id}", response=ActivityOut, summary="One activity")
def get_activity(request, activity_id: int):
    require(request.auth, VIEW)
    return activity_out(activities.get_activity(request.auth, activity_id))


@router.post("/activities/{int:activity_id}/signups", response={200: SignupOut, 201: SignupOut},
             summary="Sign a member up (201), or return the existing signup (200)")
@idempotent()
def sign_up(request, activity_id: int, payload: SignupIn):
    actor = request.auth
    require(actor, MANAGE)
    activity = activities.get_activity(actor, activity_id)
    member = get_member(actor, payload.member_id)
    existed = ActivitySignup.objects.filter(activity=activity, member=member).exists()
    signup = services.sign_up(actor, activity, member)
    return (200 if existed else 201), signup_out(signup)


@router.post("/activities/check-in", response=SignupOut, summary="Check a member in with the activity's QR token")
@idempotent()
def check_in(request, payload: CheckInIn):
    actor = request.auth
    require(actor, MANAGE)
    member = get_member(actor, payload.member_id)
    return 200, signup_out(services.check_in_activity(actor, payload.token, member))


@router.get("/activities/{int:activity_id}/attendance", response=AttendanceOut,
            summary="Who signed up and who came")
def attendance(request, activity_id: int):
    require(request.auth, VIEW)
    activity = activities.get_activity(request.auth, activity_id)
    rows = services.attendance(activity)
    return {"activity_id": activity.pk, "capacity": activity.capacity, "signed_up": len(rows),
            "checked_in": sum(1 for r in rows if r["checked_in_at"]), "rows": rows}
