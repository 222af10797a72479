"""RFM and the lifetime-value summary from one aggregation of the transactions.

`compute_rfm` and `summary_from_engine` each group the transactions into member-days (10 million rows into
about 9.6 million at scale), then into members. Their rules differ only in where a refund that names an order
lands (RFM: on its own day; the summary: on the order's day) and in which days count, and a moved refund does
not change a member's total. So on DuckDB, when every time zone involved has the session zone's fixed UTC
offset, one pass gives both: the transactions, with refunds put on their order's day, grouped by member-day,
then by member with each side's aggregates, kept as a temporary table of one row per member from which the
RFM scores and the summary are read (at 10 million transactions, about half the time of the two apart).
Elsewhere (PostgreSQL, Spark, zones with summer time or another offset) `rfm_and_summary` runs the two
separately; the results are the same either way."""

import datetime as dt
import uuid
from typing import Any

import ibis
import pandas as pd

from .clv.summary import Summary, _bound, _LocalDays, summary_from_columns, summary_from_engine
from .engines import Tables
from .localday import _divide, day_number, fixed_offsets, session_zone
from .rfm import _check_as_of, compute_rfm, scored_expr, tidy

DAY_KEYS = 2**20  # day ordinals below this (dates before the year 2871)


def rfm_and_summary(backend: Any, tables: Tables, as_of: dt.date) -> tuple[pd.DataFrame, Summary]:
    """`compute_rfm(backend, tables, as_of=as_of)` and `summary_from_engine(backend, tables, as_of)`, all
    stores, computed together where the engine allows it."""
    _check_as_of(as_of)
    offset = _shared_offset(backend, tables)
    if offset is None or not _packable(backend, tables, as_of):
        return compute_rfm(backend, tables, as_of=as_of), summary_from_engine(backend, tables, as_of)
    name = f"shequn_member_days_{uuid.uuid4().hex}"
    members = backend.create_table(name, _per_member_expr(tables, as_of, offset), temp=True)
    try:
        rfm = members.select("member_id", "last_day", "frequency", "monetary_fen")
        scored = scored_expr(rfm, tables, as_of, None, day_numbers=True)
        frame = tidy(backend.to_pyarrow(scored).to_pandas())  # Arrow to pandas directly: 3× cheaper
        bought = members.filter(members.days > 0).order_by("member_id")
        columns = backend.to_pyarrow(bought.select("member_id", "days", "first_day", "last_purchase_day", "total",
                                                   "first_net").rename(last_day="last_purchase_day"))
        summary = summary_from_columns(columns, as_of)
    finally:
        backend.con.execute(f"DROP TABLE IF EXISTS temp.main.{name}")  # name generated above
    return frame, summary


def _shared_offset(backend: Any, tables: Tables) -> int | None:
    """The session zone's UTC offset (µs) when it is fixed over the data and every zone the summary may use
    (stores', the site's) has the same one, so RFM's and the summary's local days coincide; else None."""
    zone = session_zone(backend)
    if zone is None:
        return None
    local = _LocalDays(backend, tables)
    offsets = local.offsets
    if offsets is not None and zone not in offsets:
        offsets = fixed_offsets(backend, tables.transactions, "occurred_at", local.zones | {zone})
    if offsets is None or len(set(offsets.values())) != 1:
        return None
    return offsets[zone]


def _per_member_expr(tables: Tables, as_of: dt.date, offset: int):
    """One row per member who has a transaction up to `as_of`: RFM's last purchase day, purchase days and net
    spend, and the summary's purchase days, first and last, total net and net of the first day (`days` 0 when
    the member has no purchase day). Days are ordinals at the fixed UTC `offset` (µs)."""
    return _per_member(_member_days(tables, as_of, offset))


def _member_days(tables: Tables, as_of: dt.date, offset: int):
    """Member-days (key, net, high, low) up to `as_of`. Each refund naming an order of the same member is put
    on the order's day (the summary's rule). RFM does not see the difference: its purchase days are the days
    with a positive amount, which never move, and its spend is the member's total. A member-day is one integer
    key (member id × 2²⁰ + day ordinal, `_packable`) with three aggregates — net, largest and smallest amount —
    which say everything both sides ask of a day: a positive amount (RFM), an amount ≥ 0 (a purchase), a refund
    left on it."""
    t = tables.transactions
    end, keep = as_of.toordinal(), t.occurred_at < _bound(as_of)

    def local(rows):
        return rows.mutate(day=day_number(rows.occurred_at, offset))

    sales = local(t.filter(keep & (t.amount_fen >= 0)))
    sales = sales.filter(sales.day <= end).select("member_id", "day", "amount_fen")
    refunds = local(t.filter(keep & (t.amount_fen < 0)))
    refunds = refunds.filter(refunds.day <= end).select("member_id", "day", "amount_fen",
                                                        order_no=refunds.order_no.nullif(""))
    orders = local(t.filter(keep & (t.amount_fen > 0) & t.order_no.nullif("").notnull()))
    orders = orders.filter(orders.day <= end).select("member_id", "day", order_no=orders.order_no.nullif(""))
    orders = orders.semi_join(refunds, ["member_id", "order_no"])
    orders = orders.group_by(["member_id", "order_no"]).aggregate(order_day=orders.day.min())
    moved = refunds.left_join(orders, ["member_id", "order_no"])
    moved = moved.select("member_id", "amount_fen", day=ibis.coalesce(moved.order_day, moved.day))
    rows = sales.union(moved.select("member_id", "day", "amount_fen"))
    rows = rows.select(key=rows.member_id * DAY_KEYS + rows.day, amount_fen=rows.amount_fen)
    return rows.group_by("key").aggregate(net=rows.amount_fen.sum(), high=rows.amount_fen.max(),
                                          low=rows.amount_fen.min())


def _per_member(days):
    """Unpacks the member-day keys and aggregates per member (`_per_member_expr`)."""
    member = _divide(days.key, ibis.literal(DAY_KEYS, type="int64"))
    days = days.select("net", "high", "low", member_id=member, day=days.key - member * DAY_KEYS)
    bought = days.high > 0  # RFM: a day with a positive amount
    purchase = (days.high >= 0) & ((days.net > 0) | ((days.net == 0) & (days.low >= 0)))
    return days.group_by("member_id").aggregate(
        last_day=days.day.max(where=bought), frequency=bought.cast("int64").sum(), monetary_fen=days.net.sum(),
        days=purchase.cast("int64").sum(), first_day=days.day.min(where=purchase),
        last_purchase_day=days.day.max(where=purchase), total=days.net.sum(where=purchase),
        first_net=days.net.argmin(days.day, where=purchase))


def _packable(backend: Any, tables: Tables, as_of: dt.date) -> bool:
    """Whether (member id, day ordinal) packs into one int64 key: member ids 0 … 2⁴², days before 2²⁰."""
    t = tables.transactions
    bounds = backend.to_pyarrow(t.aggregate(low=t.member_id.min(), high=t.member_id.max())).to_pylist()[0]
    low, high = bounds["low"] or 0, bounds["high"] or 0
    return 0 <= low and high < 2**42 and as_of.toordinal() < DAY_KEYS
