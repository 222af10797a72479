"""Posts: kinds, scheduling, replies and Q&A answer time."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.errors import NotAGroupMember
from shequn.communities.models import GroupEvent, Post
from shequn.communities.posts import InvalidPost
from shequn.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def joined(system_actor, group, make_member, store):
    def add(role="member"):
        m = make_member(store=store)
        services.join_group(system_actor, group, m, accepted_rules_version=None)
        if role != "member":
            services.set_role(system_actor, group, m, role)
        return m
    return add


def test_text_post_is_published_now(system_actor, group):
    post = services.publish_post(system_actor, group, kind="text", body="周一早餐分享")
    assert post.published_at is not None and post.author_staff == "test"
    assert OutboxEvent.objects.filter(topic="post.published").count() == 1


@pytest.mark.parametrize("kind, fields", [
    ("text", {}), ("image", {"body": "图"}), ("link", {"body": "x"}), ("product", {"title": "t"}),
    ("link", {"url": "javascript:alert(1)"}), ("poll", {"title": "t"}), ("video", {"body": "x"}),
])
def test_incomplete_posts_are_refused(system_actor, group, kind, fields):
    with pytest.raises(InvalidPost):
        services.publish_post(system_actor, group, kind=kind, **fields)
    assert not Post.objects.exists()


def test_scheduled_post_waits_for_its_time(system_actor, group):
    at = timezone.now() + dt.timedelta(hours=2)
    post = services.publish_post(system_actor, group, kind="link", url="https://example.com/a", scheduled_at=at)
    assert post.published_at is None
    assert services.publish_due_posts() == 0
    assert services.publish_due_posts(now=at + dt.timedelta(seconds=1)) == 1
    post.refresh_from_db()
    assert post.published_at is not None
    assert services.publish_due_posts(now=at + dt.timedelta(minutes=5)) == 0


def test_schedule_too_far_ahead_is_refused(system_actor, group):
    with pytest.raises(InvalidPost):
        services.publish_post(system_actor, group, kind="text", body="x",
                              scheduled_at=timezone.now() + dt.timedelta(days=91))


def test_member_question_answered_once_by_staff(system_actor, group, joined):
    asker, other = joined(), joined()
    question = services.publish_post(system_actor, group, kind="question", body="奶粉怎么选？", author_member=asker)
    assert GroupEvent.objects.filter(kind="message", member=asker).count() == 1
    services.reply_to_post(system_actor, question, body="我也想知道", member=other)
    question.refresh_from_db()
    assert question.answered_at is None
    answer = services.reply_to_post(system_actor, question, body="看月龄", staff_label="店长小王")
    question.refresh_from_db()
    assert answer.is_answer and question.answered_at == answer.created_at and question.answered_by == "店长小王"
    second = services.reply_to_post(system_actor, question, body="补充", staff_label="小李")
    question.refresh_from_db()
    assert not second.is_answer and question.answered_by == "店长小王"
    replies = GroupEvent.objects.filter(kind="reply").order_by("id")
    assert [(e.member_id, e.by_admin) for e in replies] == [(other.pk, False), (None, True), (None, True)]


def test_group_admin_reply_answers_a_question(system_actor, group, joined):
    admin, asker = joined("admin"), joined()
    question = services.publish_post(system_actor, group, kind="question", body="几点开门？", author_member=asker)
    reply = services.reply_to_post(system_actor, question, body="9点", member=admin)
    question.refresh_from_db()
    assert reply.is_answer and question.answered_at is not None


def test_outsiders_cannot_post_or_reply(system_actor, group, member):
    with pytest.raises(NotAGroupMember):
        services.publish_post(system_actor, group, kind="question", body="?", author_member=member)
    post = services.publish_post(system_actor, group, kind="text", body="hi")
    with pytest.raises(NotAGroupMember):
        services.reply_to_post(system_actor, post, body="hello", member=member)


def test_empty_reply_is_refused(system_actor, group):
    post = services.publish_post(system_actor, group, kind="text", body="hi")
    with pytest.raises(InvalidPost):
        services.reply_to_post(system_actor, post, body="  ")


def test_periodic_jobs_publish_posts_every_minute_and_expire_red_packets_every_5(system_actor, group):
    from shequn.communities import tasks
    from shequn.core.scheduler import _registry

    assert _registry["communities.publish_due_posts"].every == dt.timedelta(minutes=1)
    assert _registry["communities.expire_red_packets"].every == dt.timedelta(minutes=5)
    post = services.publish_post(system_actor, group, kind="text", body="x",
                                 scheduled_at=timezone.now() + dt.timedelta(seconds=1))
    Post.objects.filter(pk=post.pk).update(scheduled_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.publish_due_posts.call() == 1
    assert tasks.expire_red_packets.call() == 0


def test_a_member_posts_only_as_themselves(group, joined):
    from shequn.accounts.actors import member_actor
    from shequn.communities.errors import NotYourself

    me, other = joined(), joined()
    as_me = member_actor(me.pk, "127.0.0.1")
    with pytest.raises(InvalidPost):
        services.publish_post(as_me, group, kind="text", body="hi")
    with pytest.raises(NotYourself):
        services.publish_post(as_me, group, kind="text", body="hi", author_member=other)
    post = services.publish_post(as_me, group, kind="question", body="几点开门？", author_member=me)
    assert post.author_member_id == me.pk and post.author_staff == ""
