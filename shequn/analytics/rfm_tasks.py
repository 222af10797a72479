"""Nightly RFM (每晚 RFM): score yesterday (local day) overall and for every store, so the console always has
yesterday's cells and the movement since the day before. Checked every hour: a scope is scored once its
yesterday has begun, and scored again only when transactions of that day or earlier arrived since (late
imports, refunds); otherwise nothing is done."""

import datetime as dt
import logging

from django.conf import settings
from django.tasks import task

from shequn.core import clock
from shequn.core.scheduler import every
from shequn.stores.models import Store

from .models import RfmRun, Transaction

log = logging.getLogger("shequn.analytics")


def scopes_due(now: dt.datetime | None = None) -> list[tuple[dt.date, Store | None]]:
    """(as_of, store) pairs (stores, not warehouses) whose yesterday has no run, or has transactions
    recorded after its run."""
    now = now or clock.now()
    due = []
    for store in [None, *Store.objects.filter(kind=Store.Kind.STORE).order_by("code")]:
        zone = store.timezone if store else settings.TIME_ZONE
        as_of = clock.local_date(zone, now) - dt.timedelta(days=1)
        run = RfmRun.objects.filter(as_of=as_of, store=store).first()
        if run is None or _changed_since(run, store, clock.start_of_local_day(as_of + dt.timedelta(days=1), zone)):
            due.append((as_of, store))
    return due


def _changed_since(run: RfmRun, store: Store | None, day_end: dt.datetime) -> bool:
    late = Transaction.objects.filter(created_at__gt=run.created_at, occurred_at__lt=day_end)
    if store is not None:
        late = late.filter(member__home_store=store)
    return late.exists()


def score_due(now: dt.datetime | None = None, engine: str = "duckdb") -> list[int]:
    """Score every due scope on one fresh snapshot; returns the run ids. One failing store does not stop
    the others (it is logged and tried again at the next check)."""
    from .rfm import run_rfm
    from .snapshot import write_snapshot

    due = scopes_due(now)
    if not due:
        return []
    snapshot = write_snapshot() if engine == "duckdb" else None
    done = []
    for as_of, store in due:
        try:
            done.append(run_rfm(engine, as_of, store.code if store else None, snapshot=snapshot)["run_id"])
        except Exception:
            log.exception("nightly RFM of %s for %s failed", as_of, store.code if store else "all stores")
    return done


@every("analytics.rfm_nightly", dt.timedelta(hours=1))
@task()
def rfm_nightly() -> int:
    return len(score_due())
