"""Group content: text, image, link and product cards, Q&A questions and topic challenges, with replies.

A post with scheduled_at in the future stays unpublished until publish_due_posts runs past that time.
The first staff or group-admin reply to a question is its answer: answered_at is set once.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import NotFound, ValidationProblem

from .errors import GroupArchived
from .events import record_event
from .groups import check_acting_for, check_group_scope
from .membership import _current_or_403
from .models import Group, Membership, Post, Reply

MAX_BODY = 5000
MAX_SCHEDULE_AHEAD = dt.timedelta(days=90)
ADMIN_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


class InvalidPost(ValidationProblem):
    type, title = "invalid-post", "Invalid post"


class PostNotFound(NotFound):
    type, title = "post-not-found", "Post not found"


def _clean_fields(kind: str, title: str, body: str, url: str, image_url: str, product_ref: str) -> dict:
    if kind not in Post.Kind.values or kind == Post.Kind.POLL:
        raise InvalidPost("kind must be text, image, link, product, question or challenge "
                          "(polls are created as polls).", field="kind")
    fields = {"title": (title or "").strip(), "body": (body or "").strip(), "url": (url or "").strip(),
              "image_url": (image_url or "").strip(), "product_ref": (product_ref or "").strip()}
    limits = {"title": 100, "body": MAX_BODY, "url": 200, "image_url": 300, "product_ref": 64}
    for name, limit in limits.items():
        if len(fields[name]) > limit:
            raise InvalidPost(f"{name} has at most {limit} characters.", field=name)
    required = {"text": "body", "question": "body", "challenge": "title", "image": "image_url", "link": "url",
                "product": "product_ref"}[kind]
    if not fields[required]:
        raise InvalidPost(f"A {kind} post needs {required}.", field=required)
    for name in ("url", "image_url"):
        if fields[name] and not fields[name].startswith(("https://", "http://", "/")):
            raise InvalidPost(f"{name} must be an http(s) address.", field=name)
    return fields


def publish_post(actor: Actor, group: Group, *, kind: str, title: str = "", body: str = "", url: str = "",
                 image_url: str = "", product_ref: str = "", scheduled_at: dt.datetime | None = None,
                 author_member=None) -> Post:
    check_group_scope(actor, group)
    fields = _clean_fields(kind, title, body, url, image_url, product_ref)
    now = timezone.now()
    if scheduled_at is not None:
        if timezone.is_naive(scheduled_at):
            raise InvalidPost("scheduled_at needs a time zone.", field="scheduled_at")
        if scheduled_at > now + MAX_SCHEDULE_AHEAD:
            raise InvalidPost("A post can be scheduled at most 90 days ahead.", field="scheduled_at")
    if group.status != Group.Status.ACTIVE:
        raise GroupArchived(f"{group.name} is archived.", group_id=group.pk)
    if author_member is None and actor.kind == "member":
        raise InvalidPost("A member post names its author.", field="author_member")
    if author_member is not None:
        check_acting_for(actor, author_member)
        _current_or_403(group, author_member)
    publish_now = scheduled_at is None or scheduled_at <= now
    with transaction.atomic():
        post = Post.objects.create(
            group=group, kind=kind, **fields, author_member=author_member,
            author_staff="" if author_member else actor.label[:150], scheduled_at=scheduled_at,
            published_at=now if publish_now else None)
        audit.record(actor, "post.created", post, store_id=group.store_id,
                     after={"group": group.pk, "kind": kind, "scheduled_at": scheduled_at.isoformat()
                            if scheduled_at else None})
        if publish_now:
            _published(post)
    return post


def _published(post: Post) -> None:
    if post.author_member_id:
        record_event(post.group_id, "message", event_id=f"post:{post.pk}", member_id=post.author_member_id,
                     occurred_at=post.published_at, payload={"post_id": post.pk, "kind": post.kind})
    outbox.emit("post.published", "group", post.group_id, post_id=post.pk, kind=post.kind)


def publish_due_posts(now: dt.datetime | None = None) -> int:
    """Publish scheduled posts whose time has come. Returns how many."""
    now = now or timezone.now()
    published = 0
    due = Post.objects.filter(published_at__isnull=True, scheduled_at__lte=now).values_list("pk", flat=True)
    for pk in due:
        with transaction.atomic():
            post = Post.objects.select_for_update().get(pk=pk)
            if post.published_at is not None:
                continue
            post.published_at = now
            post.save(update_fields=["published_at"])
            audit.record(SYSTEM, "post.published", post, after={"published_at": now.isoformat()})
            _published(post)
            published += 1
    return published


def get_post(actor: Actor, post_id: int) -> Post:
    post = (Post.objects.select_related("group").filter(pk=post_id).first() if 0 < post_id < 2**63 else None)
    if post is None or (actor.store_ids is not None and post.group.store_id not in actor.store_ids):
        raise PostNotFound(f"No post {post_id}.")
    return post


def reply_to_post(actor: Actor, post: Post, *, body: str, member=None, staff_label: str = "") -> Reply:
    body = (body or "").strip()
    if not body:
        raise InvalidPost("A reply needs a body.", field="body")
    if len(body) > MAX_BODY:
        raise InvalidPost(f"body has at most {MAX_BODY} characters.", field="body")
    group = post.group
    check_group_scope(actor, group)
    if post.published_at is None:
        raise PostNotFound(f"No post {post.pk}.")
    by_admin = member is None
    if member is not None:
        check_acting_for(actor, member)
        by_admin = _current_or_403(group, member).role in ADMIN_ROLES
    elif actor.kind == "member":
        raise InvalidPost("A member reply names the member.", field="member")
    staff = "" if member is not None else (staff_label.strip() or actor.label)[:150]
    with transaction.atomic():
        locked = Post.objects.select_for_update().get(pk=post.pk)
        is_answer = locked.kind == Post.Kind.QUESTION and by_admin and locked.answered_at is None
        reply = Reply.objects.create(post=locked, member=member, staff=staff, body=body, is_answer=is_answer)
        if is_answer:
            locked.answered_at = reply.created_at
            locked.answered_by = staff or (member.name or f"#{member.pk}")[:150]
            locked.save(update_fields=["answered_at", "answered_by"])
            post.answered_at, post.answered_by = locked.answered_at, locked.answered_by
        record_event(group.pk, "reply", event_id=f"reply:{reply.pk}", member_id=member.pk if member else None,
                     occurred_at=reply.created_at, by_admin=by_admin,
                     payload={"post_id": post.pk, "is_answer": is_answer})
        audit.record(actor, "post.replied", reply, store_id=group.store_id,
                     after={"post": post.pk, "is_answer": is_answer})
        outbox.emit("post.replied", "group", group.pk, post_id=post.pk, reply_id=reply.pk, is_answer=is_answer)
    return reply
