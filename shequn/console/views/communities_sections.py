"""What the group page shows of a group's activation work: posts, polls, activities, timeline and costs."""

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shequn.communities import selectors
from shequn.communities.models import Poll, Post
from shequn.communities.polls import poll_results

from ..forms.communities_content import ActivityForm, PollForm, PostForm

POSTS_SHOWN, POLLS_SHOWN, ACTIVITIES_SHOWN, COSTS_SHOWN = 15, 5, 10, 50
COST_KINDS = {"red_packet": _("红包"), "red_packet_refund": _("红包退回"), "activity": _("活动")}


def recent_posts(group) -> list[Post]:
    """Scheduled and published posts (polls have their own section), with reply counts and, for
    Q&A, how long the first admin answer took."""
    posts = list(selectors.group_posts(group, include_scheduled=True).exclude(kind=Post.Kind.POLL)
                 .select_related("author_member").annotate(replies_n=Count("replies"))
                 .order_by("-id")[:POSTS_SHOWN])
    for post in posts:
        post.answer_minutes = None
        if post.answered_at and post.published_at:
            post.answer_minutes = max(0, round((post.answered_at - post.published_at).total_seconds() / 60))
    return posts


def recent_polls(group) -> list[dict]:
    now = timezone.now()
    polls = Poll.objects.filter(post__group=group).select_related("post").order_by("-id")[:POLLS_SHOWN]
    shown = []
    for poll in polls:
        rows = poll_results(poll)
        shown.append({"poll": poll, "rows": rows, "closed": poll.deadline <= now,
                      "voters": poll.votes.values("member_id").distinct().count()})
    return shown


def cost_ledger(group) -> dict:
    rows, total = selectors.group_costs(group)
    return {"rows": [{"row": r, "label": COST_KINDS.get(r.kind, r.kind)} for r in rows[:COSTS_SHOWN]],
            "total": total, "count": rows.count()}


def timeline_page(group, before=None, skip: int = 0) -> dict:
    items = selectors.group_timeline(group, before=before, skip=skip)
    for item in items:
        member = item["member"]
        item["who"] = (member.name or member.member_no) if member else ""
    more, ties = "", 0
    if len(items) == selectors.TIMELINE_PAGE:
        last = items[-1]["at"]
        more, ties = last.isoformat(), sum(1 for i in items if i["at"] == last)
        if before is not None and last == before:
            ties += skip  # the whole page shared the previous page's last time
    return {"timeline": items, "timeline_more": more, "timeline_skip": ties}


def content_context(group, forms: dict) -> dict:
    context = {
        "posts": recent_posts(group), "polls": recent_polls(group),
        "activities": selectors.group_activities(group)[:ACTIVITIES_SHOWN], "costs": cost_ledger(group),
        "post_form": forms.get("post_form") or PostForm(), "poll_form": forms.get("poll_form") or PollForm(),
        "activity_form": forms.get("activity_form") or ActivityForm(),
    }
    context.update(timeline_page(group))
    return context
