"""Checks of raw input shared by services: each raises the caller's own problem type naming the field."""

import datetime as dt

from django.utils import timezone

from .errors import Problem


def whole_number(value, field: str, low: int, high: int, error: type[Problem]) -> int:
    """An int (never a bool) between low and high inclusive."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise error(f"{field} must be a whole number between {low} and {high}.", field=field)
    return value


def aware_datetime(value, field: str, error: type[Problem]) -> dt.datetime:
    """A datetime that carries its time zone."""
    if not isinstance(value, dt.datetime) or timezone.is_naive(value):
        raise error(f"{field} must be a date and time with a time zone.", field=field)
    return value
