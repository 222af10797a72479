"""Polls: single and multiple choice, replacing a vote, the deadline, results."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.errors import NotAGroupMember
from shequn.communities.models import GroupEvent, Poll, PollVote
from shequn.communities.polls import InvalidPoll, InvalidVote, PollClosed

pytestmark = pytest.mark.django_db


def make_poll(actor, group, multiple=False):
    return services.create_poll(actor, group, title="周末活动选哪个？", options=["烘焙", "亲子绘画", "读书会"],
                                multiple=multiple, deadline=timezone.now() + dt.timedelta(days=1))


def test_single_choice_counts_and_replaces(system_actor, group, joined):
    poll = make_poll(system_actor, group)
    a, b, c = (o.pk for o in poll.options.all())
    m1, m2 = joined(), joined()
    services.vote(system_actor, poll, m1, [a])
    services.vote(system_actor, poll, m2, [a])
    services.vote(system_actor, poll, m2, [b])  # changes her mind
    results = services.poll_results(poll)
    assert [(r["option_id"], r["votes"], r["pct"]) for r in results] == [(a, 1, 50.0), (b, 1, 50.0), (c, 0, 0.0)]
    assert GroupEvent.objects.filter(kind="poll_vote").count() == 2
    with pytest.raises(InvalidVote):
        services.vote(system_actor, poll, m1, [a, b])
    with pytest.raises(InvalidVote):
        services.vote(system_actor, poll, m1, [])


def test_multiple_choice(system_actor, group, joined):
    poll = make_poll(system_actor, group, multiple=True)
    a, b, c = (o.pk for o in poll.options.all())
    m1, m2 = joined(), joined()
    services.vote(system_actor, poll, m1, [a, b])
    services.vote(system_actor, poll, m2, [b])
    assert [(r["votes"], r["pct"]) for r in services.poll_results(poll)] == [(1, 50.0), (2, 100.0), (0, 0.0)]


def test_options_of_another_poll_are_refused(system_actor, group, joined):
    poll, other = make_poll(system_actor, group), make_poll(system_actor, group)
    with pytest.raises(InvalidVote):
        services.vote(system_actor, poll, joined(), [other.options.first().pk])
    assert not PollVote.objects.exists()


def test_after_the_deadline_the_poll_is_closed(system_actor, group, joined):
    poll = make_poll(system_actor, group)
    Poll.objects.filter(pk=poll.pk).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    poll.refresh_from_db()
    with pytest.raises(PollClosed):
        services.vote(system_actor, poll, joined(), [poll.options.first().pk])


def test_only_group_members_vote(system_actor, group, member):
    poll = make_poll(system_actor, group)
    with pytest.raises(NotAGroupMember):
        services.vote(system_actor, poll, member, [poll.options.first().pk])


@pytest.mark.parametrize("options, deadline_delta", [
    (["只有一个"], 1), (["同", "同"], 1), (["a", ""], 1), ([str(i) for i in range(11)], 1), (["a", "b"], -1),
])
def test_bad_polls_are_refused(system_actor, group, options, deadline_delta):
    with pytest.raises(InvalidPoll):
        services.create_poll(system_actor, group, title="t", options=options,
                             deadline=timezone.now() + dt.timedelta(hours=deadline_delta))
    assert not Poll.objects.exists()
