"""Dashboard figures for the actor's stores."""

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from shequn.core.actor import Actor
from shequn.core.clock import local_date, start_of_local_day
from shequn.loyalty import selectors as loyalty
from shequn.loyalty.models import PointsEntry
from shequn.members.selectors import members_visible_to

ACTIVE_DAYS = 30
FLOW_DAYS = 30


def member_cards(actor: Actor) -> dict:
    members = members_visible_to(actor)
    today = local_date()
    week_start = start_of_local_day(today - dt.timedelta(days=today.weekday()))
    since = timezone.now() - dt.timedelta(days=ACTIVE_DAYS)
    recent_points = PointsEntry.objects.filter(member_id=OuterRef("pk"), created_at__gte=since)
    active = members.filter(Q(last_active_at__gte=since) | Exists(recent_points))
    return {
        "total": members.count(),
        "new_this_week": members.filter(joined_at__gte=week_start).count(),
        "active": active.count(),
        "outstanding_points": loyalty.outstanding_points(actor.store_ids),
    }


def tier_chart(actor: Actor) -> list[dict]:
    return [{"name": row["name"], "value": row["count"]}
            for row in loyalty.tier_distribution(actor.store_ids)]


def points_chart(actor: Actor, days: int = FLOW_DAYS) -> dict:
    """Daily issued/redeemed/expired for the last `days` local days, zero-filled."""
    flow = loyalty.points_flow(days, actor.store_ids)
    by_day = {row["day"]: row for row in flow["daily"]}
    today = local_date()
    labels = [str(today - dt.timedelta(days=n)) for n in range(days - 1, -1, -1)]
    series = {key: [by_day.get(day, {}).get(key, 0) for day in labels]
              for key in ("issued", "redeemed", "expired")}
    return {"days": labels, **series,
            "totals": {k: flow[k] for k in ("issued", "redeemed", "expired")}}
