"""Group health: daily metrics per group per local day, computed set-based and upserted.

Each figure comes from one aggregate query over all the groups at once (GROUP BY group),
per store time zone, so a thousand groups cost the same handful of queries as one.
Recomputing a day gives the same row: the computation is idempotent."""

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from .models import Group, GroupCost, GroupDailyMetric, GroupEvent, Membership, Post

ACTIVE_KINDS = (GroupEvent.Kind.MESSAGE, GroupEvent.Kind.REPLY, GroupEvent.Kind.REACTION, GroupEvent.Kind.POLL_VOTE)
INTERACTION_KINDS = ACTIVE_KINDS + (GroupEvent.Kind.ACTIVITY_SIGNUP, GroupEvent.Kind.ACTIVITY_CHECKIN,
                                    GroupEvent.Kind.RED_PACKET_GRAB)
METRIC_FIELDS = ("members", "joins", "leaves", "active_members_7d", "messages", "interactions",
                 "answer_seconds_avg", "orders", "sales_fen", "red_packet_fen")
ACTIVE_WINDOW = dt.timedelta(days=7)
CHUNK = 900


SALES_KINDS = (GroupEvent.Kind.ORDER, GroupEvent.Kind.REFUND)  # refunds carry negative amounts


def _day_bounds(day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    tz = ZoneInfo(tz_name)
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def _by_group(qs, **aggregates) -> dict[int, dict]:
    return {row.pop("group_id"): row for row in qs.values("group_id").annotate(**aggregates)}


def _groups_by_time_zone(day: dt.date, group_ids) -> dict[str, list[int]]:
    qs = Group.objects.all()
    if group_ids is not None:
        qs = qs.filter(pk__in=list(group_ids))
    zones: dict[str, list[int]] = defaultdict(list)
    for pk, tz_name, created_at, archived_at in qs.values_list("pk", "store__timezone", "created_at",
                                                                "archived_at"):
        tz_name = tz_name or settings.TIME_ZONE
        start, end = _day_bounds(day, tz_name)
        if created_at < end and (archived_at is None or archived_at >= start):
            zones[tz_name].append(pk)
    return zones


def _metrics_for(day: dt.date, tz_name: str, ids: list[int]) -> list[GroupDailyMetric]:
    start, end = _day_bounds(day, tz_name)
    members = Membership.objects.filter(group_id__in=ids)
    events = GroupEvent.objects.filter(group_id__in=ids)
    headcount = _by_group(members.filter(joined_at__lt=end).filter(Q(left_at__isnull=True) | Q(left_at__gte=end)),
                          n=Count("id"))
    joins = _by_group(members.filter(joined_at__gte=start, joined_at__lt=end), n=Count("id"))
    leaves = _by_group(members.filter(left_at__gte=start, left_at__lt=end), n=Count("id"))
    active = _by_group(events.filter(occurred_at__gte=end - ACTIVE_WINDOW, occurred_at__lt=end,
                                     kind__in=ACTIVE_KINDS, member_id__isnull=False),
                       n=Count("member_id", distinct=True))
    today = _by_group(events.filter(occurred_at__gte=start, occurred_at__lt=end),
                      messages=Count("id", filter=Q(kind=GroupEvent.Kind.MESSAGE)),
                      interactions=Count("id", filter=Q(kind__in=INTERACTION_KINDS)),
                      orders=Count("id", filter=Q(kind=GroupEvent.Kind.ORDER)),
                      sales=Sum("amount_fen", filter=Q(kind__in=SALES_KINDS)))  # net of refunds
    costs = _by_group(GroupCost.objects.filter(group_id__in=ids, created_at__gte=start, created_at__lt=end,
                                               kind__in=("red_packet", "red_packet_refund")),
                      fen=Sum("amount_fen"))
    answer_times: dict[int, list[float]] = defaultdict(list)
    for group_id, asked, created, answered in Post.objects.filter(
            group_id__in=ids, kind=Post.Kind.QUESTION, answered_at__gte=start, answered_at__lt=end,
    ).values_list("group_id", "published_at", "created_at", "answered_at"):
        answer_times[group_id].append(max(0.0, (answered - (asked or created)).total_seconds()))
    rows = []
    for gid in ids:
        t = today.get(gid, {})
        waits = answer_times.get(gid)
        rows.append(GroupDailyMetric(
            group_id=gid, day=day,
            members=headcount.get(gid, {}).get("n", 0), joins=joins.get(gid, {}).get("n", 0),
            leaves=leaves.get(gid, {}).get("n", 0), active_members_7d=active.get(gid, {}).get("n", 0),
            messages=t.get("messages", 0), interactions=t.get("interactions", 0),
            answer_seconds_avg=round(sum(waits) / len(waits)) if waits else None,
            orders=t.get("orders", 0), sales_fen=t.get("sales") or 0,
            red_packet_fen=costs.get(gid, {}).get("fen") or 0))
    return rows


def compute_daily_metrics(day: dt.date, group_ids=None) -> int:
    """Compute and upsert one local day's metrics for the given groups (all when None); rows written."""
    written = 0
    for tz_name, ids in _groups_by_time_zone(day, group_ids).items():
        for start in range(0, len(ids), CHUNK):
            rows = _metrics_for(day, tz_name, ids[start:start + CHUNK])
            GroupDailyMetric.objects.bulk_create(rows, update_conflicts=True, unique_fields=["group", "day"],
                                                 update_fields=list(METRIC_FIELDS))
            written += len(rows)
    return written


def local_today(now: dt.datetime | None = None) -> dt.date:
    return timezone.localdate(now or timezone.now())


def metrics_series(group: Group, days: int = 30, *, today: dt.date | None = None) -> list[dict]:
    """The last `days` local days ending today, zero-filled where nothing was computed."""
    today = today or local_today()
    first = today - dt.timedelta(days=days - 1)
    stored = {m.day: m for m in GroupDailyMetric.objects.filter(group=group, day__gte=first, day__lte=today)}
    series = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        m = stored.get(day)
        row = {"day": day}
        row.update({f: (getattr(m, f) if m else (None if f == "answer_seconds_avg" else 0)) for f in METRIC_FIELDS})
        series.append(row)
    return series


def dead_groups(days: int = 14, threshold: int = 5, *, now: dt.datetime | None = None) -> list[dict]:
    """Active groups older than `days` with fewer than `threshold` interactions over the last `days` days."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=days)
    counts = _by_group(GroupEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=now,
                                                 kind__in=INTERACTION_KINDS), n=Count("id"))
    dead = []
    for group in Group.objects.filter(status=Group.Status.ACTIVE, created_at__lt=since).select_related("dimension"):
        n = counts.get(group.pk, {}).get("n", 0)
        if n < threshold:
            dead.append({"group": group, "interactions": n})
    return dead
