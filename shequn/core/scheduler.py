"""Periodic jobs: the worker enqueues each registered task when it is due.

A conditional update on ScheduledRun makes sure that several workers sharing a
database enqueue a due job once.
"""

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from .models import ScheduledRun

log = logging.getLogger("shequn.scheduler")


@dataclass(frozen=True)
class Periodic:
    name: str
    every: dt.timedelta
    enqueue: Callable[[], object]


_registry: dict[str, Periodic] = {}


def every(name: str, interval: dt.timedelta) -> Callable:
    """Register a django task to be enqueued every `interval`."""

    def register(task):
        _registry[name] = Periodic(name, interval, task.enqueue)
        return task

    return register


def _claim(job: Periodic, now: dt.datetime) -> bool:
    with transaction.atomic():
        row = ScheduledRun.objects.filter(name=job.name).first()
        if row is None:
            try:
                with transaction.atomic():
                    ScheduledRun.objects.create(name=job.name, last_run_at=now)
                return True
            except IntegrityError:
                return False
        if row.last_run_at + job.every > now:
            return False
        return bool(ScheduledRun.objects.filter(name=job.name, last_run_at=row.last_run_at)
                    .update(last_run_at=now))


def tick(now: dt.datetime | None = None) -> list[str]:
    """Enqueue every due job once; returns the names enqueued."""
    now = now or timezone.now()
    enqueued = []
    for job in list(_registry.values()):
        if _claim(job, now):
            job.enqueue()
            enqueued.append(job.name)
    return enqueued


def run_forever(stop: threading.Event, poll_seconds: float = 5.0) -> None:
    while not stop.is_set():
        try:
            close_old_connections()
            names = tick()
            if names:
                log.info("enqueued %s", ", ".join(names))
        except Exception:  # keep the scheduler alive; the error is logged
            log.exception("scheduler tick failed")
        stop.wait(poll_seconds)
