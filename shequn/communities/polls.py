"""Polls: a poll post with 2–10 options, single or multiple choice, and a deadline."""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, NotFound, ValidationProblem

from .errors import GroupArchived
from .events import record_event
from .groups import check_acting_for, check_group_scope
from .membership import _current_or_403
from .models import Group, Poll, PollOption, PollVote, Post

MIN_OPTIONS, MAX_OPTIONS = 2, 10


class InvalidPoll(ValidationProblem):
    type, title = "invalid-poll", "Invalid poll"


class InvalidVote(ValidationProblem):
    type, title = "invalid-vote", "Invalid vote"


class PollClosed(Conflict):
    type, title = "poll-closed", "Poll closed"


class PollNotFound(NotFound):
    type, title = "poll-not-found", "Poll not found"


def create_poll(actor: Actor, group: Group, *, title: str, options: list[str], multiple: bool = False,
                deadline: dt.datetime) -> Poll:
    check_group_scope(actor, group)
    title = (title or "").strip()
    if not title or len(title) > 100:
        raise InvalidPoll("A poll needs a title of at most 100 characters.", field="title")
    texts = [(o or "").strip() for o in options]
    if not MIN_OPTIONS <= len(texts) <= MAX_OPTIONS:
        raise InvalidPoll(f"A poll has {MIN_OPTIONS} to {MAX_OPTIONS} options.", field="options")
    if any(not t or len(t) > 100 for t in texts):
        raise InvalidPoll("Every option needs a text of at most 100 characters.", field="options")
    if len(set(texts)) != len(texts):
        raise InvalidPoll("Options must differ.", field="options")
    if deadline is None or timezone.is_naive(deadline) or deadline <= timezone.now():
        raise InvalidPoll("The deadline must be a future time with a time zone.", field="deadline")
    if group.status != Group.Status.ACTIVE:
        raise GroupArchived(f"{group.name} is archived.", group_id=group.pk)
    with transaction.atomic():
        post = Post.objects.create(group=group, kind=Post.Kind.POLL, title=title, author_staff=actor.label[:150],
                                   published_at=timezone.now())
        poll = Poll.objects.create(post=post, multiple=bool(multiple), deadline=deadline)
        PollOption.objects.bulk_create(PollOption(poll=poll, text=t, position=i) for i, t in enumerate(texts))
        audit.record(actor, "poll.created", poll, store_id=group.store_id,
                     after={"group": group.pk, "title": title, "options": texts, "multiple": bool(multiple)})
        outbox.emit("post.published", "group", group.pk, post_id=post.pk, kind=Post.Kind.POLL)
    return poll


def get_poll(actor: Actor, poll_id: int) -> Poll:
    poll = (Poll.objects.select_related("post__group").filter(pk=poll_id).first() if 0 < poll_id < 2**63 else None)
    if poll is None or (actor.store_ids is not None and poll.post.group.store_id not in actor.store_ids):
        raise PollNotFound(f"No poll {poll_id}.")
    return poll


def vote(actor: Actor, poll: Poll, member, option_ids: list[int]) -> list[PollVote]:
    """Cast or replace the member's vote."""
    check_acting_for(actor, member)
    group = poll.post.group
    check_group_scope(actor, group)
    chosen = list(dict.fromkeys(option_ids or []))
    if not chosen:
        raise InvalidVote("Choose at least one option.", field="option_ids")
    if not poll.multiple and len(chosen) != 1:
        raise InvalidVote("This poll takes exactly one option.", field="option_ids")
    valid = set(poll.options.values_list("pk", flat=True))
    if not set(chosen) <= valid:
        raise InvalidVote("An option does not belong to this poll.", field="option_ids")
    _current_or_403(group, member)
    with transaction.atomic():
        Poll.objects.select_for_update().get(pk=poll.pk)  # one vote change at a time per poll
        if poll.deadline <= timezone.now():
            raise PollClosed("This poll is closed.", poll_id=poll.pk)
        PollVote.objects.filter(poll=poll, member=member).delete()
        votes = PollVote.objects.bulk_create(PollVote(poll=poll, option_id=o, member=member) for o in chosen)
        record_event(group.pk, "poll_vote", event_id=f"vote:{poll.pk}:{member.pk}", member_id=member.pk,
                     payload={"poll_id": poll.pk, "option_ids": chosen})
        outbox.emit("poll.voted", "group", group.pk, poll_id=poll.pk, member_id=member.pk, option_ids=chosen)
    return votes


def poll_results(poll: Poll) -> list[dict]:
    """Votes per option; pct is the share of voters who chose it (multi-choice shares add up above 100)."""
    voters = PollVote.objects.filter(poll=poll).values("member_id").distinct().count()
    rows = []
    for option in poll.options.all():
        votes = option.votes.count()
        rows.append({"option_id": option.pk, "text": option.text, "votes": votes,
                     "pct": round(100 * votes / voters, 1) if voters else 0.0})
    return rows
