"""Active-hour heatmap: interactions by weekday × hour in local time, and the best slots to post."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils import timezone

from .health import INTERACTION_KINDS
from .models import Group, GroupEvent

BEST_SLOTS = 3


def heatmap(groups, days: int = 90, *, now: dt.datetime | None = None, tz_name: str | None = None) -> dict:
    """groups: one Group or an iterable of groups/ids. Returns {grid: 7×24 (Monday first), best, total, days}."""
    if isinstance(groups, Group):
        tz_name = tz_name or groups.store.timezone
        ids = [groups.pk]
    else:
        ids = [g.pk if isinstance(g, Group) else int(g) for g in groups]
    tz = ZoneInfo(tz_name or settings.TIME_ZONE)
    now = now or timezone.now()
    rows = (GroupEvent.objects
            .filter(group_id__in=ids, kind__in=INTERACTION_KINDS, occurred_at__gte=now - dt.timedelta(days=days),
                    occurred_at__lt=now)
            .annotate(wd=ExtractIsoWeekDay("occurred_at", tzinfo=tz), hour=ExtractHour("occurred_at", tzinfo=tz))
            .values("wd", "hour").annotate(n=Count("id")).order_by())
    grid = [[0] * 24 for _ in range(7)]
    for row in rows:
        grid[row["wd"] - 1][row["hour"]] += row["n"]
    slots = sorted(((grid[w][h], w, h) for w in range(7) for h in range(24) if grid[w][h]),
                   key=lambda s: (-s[0], s[1], s[2]))
    best = [{"weekday": w, "hour": h, "count": n} for n, w, h in slots[:BEST_SLOTS]]
    return {"grid": grid, "best": best, "total": sum(map(sum, grid)), "days": days}
