"""RFM 分析: recency, frequency and monetary value per member, quintile scores and named cells (客群).

The computation is written once as Ibis expressions and runs unchanged on every engine in `engines`.
Rules (see docs/analytics-rfm.md): days are local calendar days of the run's time zone; a purchase day is a
day with at least one positive transaction; monetary is the net of purchases and refunds, and only members
with positive net spend are scored. A member belongs to their home store. A score is
1 + ⌊5·k/n⌋ where k is how many scored members have a strictly worse value, so equal values share a score."""

import datetime as dt
from pathlib import Path
from typing import Any

import ibis
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import NotFound, PermissionDenied, ValidationProblem
from shequn.core.money import format_fen
from shequn.stores.models import Store

from .cells import CELLS
from .engines import Tables, connect
from .localday import day_number, fixed_offsets, session_zone

COLUMNS = ["member_id", "store_code", "recency_days", "frequency", "monetary_fen",
           "r_score", "f_score", "m_score", "fm_score", "cell"]
INT_COLUMNS = ["member_id", "recency_days", "frequency", "monetary_fen", "r_score", "f_score", "m_score", "fm_score"]


class UnknownStore(NotFound):
    type = "unknown-store"


class BadAsOf(ValidationProblem):
    type = "bad-as-of-date"


def compute_rfm(backend: Any, tables: Tables, *, as_of: dt.date, store_code: str | None = None) -> pd.DataFrame:
    """One row per scored member (columns `COLUMNS`, ordered by member id), from transactions on or
    before `as_of`; `store_code` limits the members (and so the quintiles) to that home store."""
    _check_as_of(as_of)
    stores = tables.stores
    if store_code is not None and backend.execute(stores.filter(stores.code == store_code).count()) == 0:
        raise UnknownStore(f"门店 {store_code!r} 不存在。", store=store_code)
    zone = session_zone(backend)
    offsets = fixed_offsets(backend, tables.transactions, "occurred_at", [zone]) if zone else None
    frame = backend.execute(_rfm_expr(tables, as_of, store_code, offsets[zone] if offsets else None))
    return tidy(frame)


def _rfm_expr(tables: Tables, as_of: dt.date, store_code: str | None, offset: int | None = None):
    """`offset`: the session zone's fixed UTC offset (µs), when local days may be counted in integers."""
    t = tables.transactions
    day = t.occurred_at.date() if offset is None else day_number(t.occurred_at, offset)
    tx = t.select(member_id=t.member_id, day=day, amount_fen=t.amount_fen)
    tx = tx.filter(tx.day <= (as_of if offset is None else as_of.toordinal()))
    days = tx.group_by(["member_id", "day"]).aggregate(amount_fen=tx.amount_fen.sum(),
                                                       bought=(tx.amount_fen > 0).any())
    per_member = days.group_by("member_id").aggregate(
        last_day=days.day.max(where=days.bought), frequency=days.bought.sum(), monetary_fen=days.amount_fen.sum())
    return scored_expr(per_member, tables, as_of, store_code, day_numbers=offset is not None)


def scored_expr(per_member, tables: Tables, as_of: dt.date, store_code: str | None, *, day_numbers: bool):
    """Scores and cells from one row per member (member_id, last_day — a date, or a day ordinal when
    `day_numbers` —, frequency, monetary_fen): members with positive net spend, of `store_code` if given."""
    members, stores = tables.members, tables.stores
    home = members.left_join(stores, members.home_store_id == stores.id).select(
        member_id=members.id, store_code=stores.code)
    if store_code is not None:
        home = home.filter(home.store_code == store_code)
    per_member = per_member.filter(per_member.monetary_fen > 0).join(home, "member_id")
    recency = (as_of.toordinal() - per_member.last_day if day_numbers
               else ibis.literal(as_of).delta(per_member.last_day, unit="day"))
    scored = per_member.mutate(recency_days=recency)
    scored = scored.mutate(r_score=_score(scored, ibis.desc(scored.recency_days)),
                           f_score=_score(scored, scored.frequency), m_score=_score(scored, scored.monetary_fen))
    scored = scored.mutate(fm_score=(scored.f_score + scored.m_score + 1) // 2)
    scored = scored.mutate(cell=_cell(scored.r_score, scored.fm_score))
    return scored.select(*COLUMNS).order_by("member_id")


def _score(table, order):
    """Quintile 1–5; `ibis.rank()` counts the members with a strictly worse value (ties share a rank)."""
    worse = ibis.rank().over(order_by=order)
    scored = table.member_id.count().over(ibis.window())
    return (worse * 5 // scored + 1).cast("int64")


def _cell(r, fm):
    return ibis.cases(
        ((r == 5) & (fm >= 4), "champions"),
        ((r >= 3) & (fm >= 4), "loyal"),
        ((r >= 4) & (fm >= 2), "potential_loyalist"),
        ((r == 5) & (fm == 1), "new"),
        ((r == 4) & (fm == 1), "promising"),
        ((r == 3) & (fm == 3), "need_attention"),
        (r == 3, "about_to_sleep"),
        (fm == 5, "cannot_lose"),
        (fm >= 3, "at_risk"),
        ((r == 1) & (fm == 1), "lost"),
        else_="hibernating",
    )


def _check_as_of(as_of: Any) -> None:
    if not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime):
        raise BadAsOf(f"统计日期必须是日期（YYYY-MM-DD），收到 {as_of!r}。")


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The same dtypes whatever the engine returned, so runs compare equal across engines."""
    frame = frame.reindex(columns=COLUMNS)
    for column in INT_COLUMNS:
        frame[column] = frame[column].astype("int64")
    for column in ("store_code", "cell"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame.reset_index(drop=True)


def movement(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """How many members moved from cell A to cell B between two runs (`from_cell` / `to_cell` None: the
    member was not scored in that run). Columns from_cell, to_cell, members; largest flows first."""
    both = previous[["member_id", "cell"]].merge(current[["member_id", "cell"]], on="member_id", how="outer",
                                                  suffixes=("_from", "_to"))
    both = both.rename(columns={"cell_from": "from_cell", "cell_to": "to_cell"})
    both = both.astype({"from_cell": object, "to_cell": object}).fillna("")
    counts = both.groupby(["from_cell", "to_cell"]).size().reset_index(name="members")
    counts = counts.sort_values(["members", "from_cell", "to_cell"], ascending=[False, True, True])
    counts = counts.replace({"from_cell": {"": None}, "to_cell": {"": None}})
    counts["members"] = counts["members"].astype("int64")
    return counts.reset_index(drop=True)


def run_rfm(engine: str, as_of: dt.date, store: str | None = None, *, actor: Actor = SYSTEM,
            snapshot: Path | str | None = None) -> dict[str, Any]:
    """Score members on `engine`, store the run in the database (replacing an earlier run of the same day
    and scope) and return a summary with the cells and the movement since the latest earlier run of the
    same scope (overall or that store). A store manager may run their own stores only."""
    from .rfm_store import movement_rows, previous_run, save_run

    _check_as_of(as_of)
    found = _scope(actor, store)
    zone = found.timezone if found is not None else settings.TIME_ZONE
    backend, tables = connect(engine, snapshot=snapshot, time_zone=zone)
    try:
        current = compute_rfm(backend, tables, as_of=as_of, store_code=store)
    finally:
        backend.disconnect()
    run = save_run(actor, current, as_of=as_of, store=found, engine=engine, time_zone=zone)
    previous = previous_run(run)
    summary = summarize(current)
    summary.update(run_id=run.pk, as_of=as_of.isoformat(), store=store, engine=engine, time_zone=zone,
                   previous_run_id=previous.pk if previous else None,
                   previous_as_of=previous.as_of.isoformat() if previous else None,
                   movement=movement_rows(run, previous))
    return summary


def _scope(actor: Actor, store: str | None) -> Store | None:
    if store is None:
        if actor.scoped:
            raise PermissionDenied("你只能计算自己负责门店的 RFM，请选择门店。")
        return None
    found = Store.objects.filter(code=store).first()
    if found is None:
        raise UnknownStore(f"门店 {store!r} 不存在。", store=store)
    if actor.scoped and found.pk not in actor.store_ids:
        raise PermissionDenied(f"门店 {store} 不是你负责的门店。")
    return found


def summarize(frame: pd.DataFrame) -> dict[str, Any]:
    """Members and average net spend (fen, rounded) per cell, overall and per home store."""
    return {"members": len(frame), "cells": _cell_rows(frame),
            "stores": {code: _cell_rows(group) for code, group in frame.groupby("store_code", sort=True)}}


def _cell_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for cell, label in CELLS.items():
        spend = frame.loc[frame["cell"] == cell, "monetary_fen"]
        count = len(spend)
        rows.append({"cell": cell, "label": str(label), "members": count,
                     "avg_monetary_fen": (int(spend.sum()) + count // 2) // count if count else 0})
    return rows


def summary_table(summary: dict[str, Any]) -> str:
    """The summary of `run_rfm` as plain text for the command line."""
    scope = summary["store"] or _("全部门店")
    lines = [f"RFM {summary['as_of']} · {scope} · {summary['engine']} · {summary['members']} members",
             f"{'cell':<20}{'members':>10}{'avg net spend':>16}"]
    lines += [f"{row['cell']:<20}{row['members']:>10}{format_fen(row['avg_monetary_fen']):>16}"
              for row in summary["cells"]]
    if summary["previous_as_of"]:
        lines.append(f"movement since {summary['previous_as_of']}:")
        lines += [f"  {row['from_cell'] or '-'} → {row['to_cell'] or '-'}: {row['members']}"
                  for row in summary["movement"] if row["from_cell"] != row["to_cell"]]
    lines.append(f"stored as run {summary['run_id']}")
    return "\n".join(lines)
