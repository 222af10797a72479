"""RFM runs in the database: save a scored frame as one RfmRun with its RfmScore rows, and read runs back —
cells, movement since the previous run of the same scope, a cell's members, a member's latest cells.

One run per local day and scope (overall, or one store's home members): running a day again replaces that
run's scores in place (same id). Movement is always computed when read, against whichever run of the same
scope is the latest with an earlier `as_of` at that moment, so it never goes stale when a day is re-run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, QuerySet, Sum
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, NotFound, ValidationProblem

from .cells import CELLS
from .models import RfmRun, RfmScore

if TYPE_CHECKING:
    import pandas as pd

SCORE_COLUMNS = ("member_id", "recency_days", "frequency", "monetary_fen", "r_score", "f_score", "m_score",
                 "fm_score", "cell")
# Each cell's mean R + FM over the (R, FM) squares it covers (docs/analytics-rfm.md): a move to a cell with a
# higher level is an upgrade, to a lower one a downgrade; equal levels are neither.
CELL_LEVEL = {"champions": 9.5, "loyal": 8.0, "potential_loyalist": 7.0, "cannot_lose": 6.5, "new": 6.0,
              "need_attention": 6.0, "promising": 5.0, "at_risk": 5.0, "about_to_sleep": 4.5,
              "hibernating": 10 / 3, "lost": 2.0}
CELL_ORDER = sorted(CELLS, key=lambda cell: -CELL_LEVEL[cell])  # most valuable first (stable for ties)


class RunInProgress(Conflict):
    type = "rfm-run-in-progress"


class UnknownCell(ValidationProblem):
    type = "unknown-rfm-cell"


def save_run(actor: Actor, frame: pd.DataFrame, *, as_of: dt.date, store, engine: str, time_zone: str,
             batch: int = 5000) -> RfmRun:
    """Store the scores of `compute_rfm` as the run of (`as_of`, `store`) in one transaction, replacing the
    scores of an earlier computation of the same day and scope; audit entry and `analytics.rfm_scored`."""
    store_id = store.pk if store is not None else None
    try:
        with transaction.atomic():
            run = RfmRun.objects.select_for_update().filter(as_of=as_of, store_id=store_id).first()
            replaced = run is not None
            if replaced:
                RfmScore.objects.filter(run=run).delete()
                RfmRun.objects.filter(pk=run.pk).update(engine=engine, time_zone=time_zone, members=len(frame),
                                                        created_at=timezone.now())
                run.refresh_from_db()
            else:
                run = RfmRun.objects.create(as_of=as_of, store_id=store_id, engine=engine, time_zone=time_zone,
                                            members=len(frame))
            _insert_scores(run, frame, batch)
            audit.record(actor, "analytics.rfm_run", run, store_id=store_id,
                         after={"as_of": as_of.isoformat(), "engine": engine, "members": len(frame),
                                "replaced": replaced})
            outbox.emit("analytics.rfm_scored", "rfm_run", run.pk, store_id=store_id, as_of=as_of.isoformat(),
                        members=len(frame))
    except IntegrityError as exc:  # the same day and scope created at the same moment by another run
        raise RunInProgress("这一天的 RFM 正在由另一个任务计算，请稍后刷新查看。") from exc
    return run


def _insert_scores(run: RfmRun, frame: pd.DataFrame, batch: int) -> None:
    """executemany in batches, converting one batch at a time: a million members stay cheap in memory."""
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(RfmScore._meta.db_table)} ({quote('run_id')}, "
           + ", ".join(quote(c) for c in SCORE_COLUMNS) + ") VALUES (" + ", ".join(["%s"] * 10) + ")")
    with connection.cursor() as cursor:
        for start in range(0, len(frame), batch):
            part = frame.iloc[start:start + batch]
            columns = [part[c].tolist() for c in SCORE_COLUMNS]
            cursor.executemany(sql, [(run.pk, *row) for row in zip(*columns, strict=True)])


def runs_visible_to(actor: Actor) -> QuerySet[RfmRun]:
    """Newest day first; a store manager sees the runs of their stores only (not the overall runs)."""
    runs = RfmRun.objects.select_related("store").order_by("-as_of", "-id")
    return runs.filter(store_id__in=actor.store_ids) if actor.scoped else runs


def get_run(actor: Actor, run_id: int) -> RfmRun:
    run = runs_visible_to(actor).filter(pk=run_id).first() if 0 < run_id < 2**63 else None
    if run is None:
        raise NotFound(f"没有编号为 {run_id} 的 RFM 分析批次。", type="rfm-run-not-found")
    return run


def previous_run(run: RfmRun) -> RfmRun | None:
    """The latest run of the same scope with an earlier as_of."""
    return (RfmRun.objects.filter(store_id=run.store_id, as_of__lt=run.as_of).select_related("store")
            .order_by("-as_of").first())


def cell_rows(run: RfmRun) -> list[dict[str, Any]]:
    """Every cell, most valuable first: members, share of the run, average net spend (fen, rounded)."""
    found = {row["cell"]: row for row in RfmScore.objects.filter(run=run).order_by().values("cell")
             .annotate(n=Count("id"), spend=Sum("monetary_fen"))}
    rows = []
    for cell in CELL_ORDER:
        n = found.get(cell, {}).get("n", 0)
        spend = found.get(cell, {}).get("spend") or 0
        rows.append({"cell": cell, "label": str(CELLS[cell]), "members": n,
                     "share": round(n / run.members, 4) if run.members else 0.0,
                     "avg_monetary_fen": (int(spend) + n // 2) // n if n else 0})
    return rows


def movement_rows(run: RfmRun, previous: RfmRun | None) -> list[dict[str, Any]]:
    """Members per (from_cell, to_cell) since `previous`; from_cell None: not scored then (new or back),
    to_cell None: no longer scored. Largest flows first, like `rfm.movement` on the two frames.

    One join of the two runs' scores; the members no longer scored are the previous run's cell counts minus
    those found in the join. Cached under both runs' computation times, so re-running either day (which
    renews its `created_at`) is never answered from the cache."""
    if previous is None:
        return []
    key = f"rfm-movement:{run.pk}:{run.created_at.timestamp()}:{previous.pk}:{previous.created_at.timestamp()}"
    flows = cache.get(key)
    if flows is None:
        flows = _flows(run, previous)
        cache.set(key, flows, timeout=7 * 24 * 3600)
    return [{"from_cell": a, "to_cell": b, "members": n, "direction": direction(a, b)} for a, b, n in flows]


def _flows(run: RfmRun, previous: RfmRun) -> list[tuple[str | None, str | None, int]]:
    table = connection.ops.quote_name(RfmScore._meta.db_table)
    into = (f"SELECT p.cell, c.cell, COUNT(*) FROM {table} c LEFT JOIN {table} p "
            f"ON p.run_id = %s AND p.member_id = c.member_id WHERE c.run_id = %s GROUP BY p.cell, c.cell")
    with connection.cursor() as cursor:
        cursor.execute(into, [previous.pk, run.pk])
        flows = [(a, b, int(n)) for a, b, n in cursor.fetchall()]
    stayed: dict[str, int] = {}
    for a, _, n in flows:
        if a is not None:
            stayed[a] = stayed.get(a, 0) + n
    before = RfmScore.objects.filter(run=previous).order_by().values_list("cell").annotate(n=Count("id"))
    flows += [(cell, None, n - stayed.get(cell, 0)) for cell, n in before if n > stayed.get(cell, 0)]
    flows.sort(key=lambda f: (-f[2], f[0] or "", f[1] or ""))
    return flows


def direction(from_cell: str | None, to_cell: str | None) -> str:
    """up / down / same, or "in" (newly scored) / "out" (no longer scored)."""
    if from_cell is None:
        return "in"
    if to_cell is None:
        return "out"
    if CELL_LEVEL[to_cell] == CELL_LEVEL[from_cell]:
        return "same"
    return "up" if CELL_LEVEL[to_cell] > CELL_LEVEL[from_cell] else "down"


@dataclass
class CellPage:
    total: int
    page: int
    page_size: int
    scores: list[RfmScore]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def cell_members(run: RfmRun, cell: str | None = None, *, page: int = 1, page_size: int = 50) -> CellPage:
    """A cell's members (every member of the run when `cell` is None), biggest net spend first."""
    if page < 1 or not 1 <= page_size <= 1000:
        raise ValidationProblem("页码从 1 开始，每页 1–1000 条。", type="bad-page")
    scores = cell_scores(run, cell)
    start = (page - 1) * page_size
    return CellPage(scores.count(), page, page_size, list(scores[start:start + page_size]))


def cell_scores(run: RfmRun, cell: str | None = None) -> QuerySet[RfmScore]:
    """A cell's scores (the whole run when `cell` is None) with their members, biggest net spend first."""
    if cell is not None and cell not in CELLS:
        raise UnknownCell(f"没有 RFM 客群 {cell!r}，可选：{', '.join(CELLS)}。", cell=cell)
    scores = RfmScore.objects.filter(run=run).select_related("member", "member__home_store")
    if cell is not None:
        scores = scores.filter(cell=cell)
    return scores.order_by("-monetary_fen", "member_id")


def member_cells(actor: Actor, member_id: int) -> list[RfmScore]:
    """A member's score in the latest run of each scope the actor can see that scored them (overall first)."""
    scores = (RfmScore.objects.filter(member_id=member_id, run__in=runs_visible_to(actor))
              .select_related("run", "run__store").order_by("-run__as_of", "-run_id"))
    latest: dict[int | None, RfmScore] = {}
    for score in scores:
        latest.setdefault(score.run.store_id, score)
    return sorted(latest.values(), key=lambda s: (s.run.store_id is not None, s.run.store.code if s.run.store else ""))
