"""Time helpers: UTC in the database, local dates per store time zone."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def local_date(tz_name: str | None = None, at: dt.datetime | None = None) -> dt.date:
    tz = ZoneInfo(tz_name or settings.TIME_ZONE)
    return (at or now()).astimezone(tz).date()


def start_of_local_day(day: dt.date, tz_name: str | None = None) -> dt.datetime:
    tz = ZoneInfo(tz_name or settings.TIME_ZONE)
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)
