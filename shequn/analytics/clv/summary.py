"""Per-member purchase summary for the value models (RFM-style frequency, recency, age, monetary value).

Rules:
- Every transaction is placed on its local calendar day: the time zone of the transaction's store, else of the
  member's home store, else the site's (Asia/Shanghai unless configured). Only days up to and including the
  calibration end count.
- A refund that names an order of the same member is netted against the day of that purchase; any other
  refund is netted on its own day. Purchases on the same day count as one (their amounts summed).
- A day is a purchase day when it has a purchase (amount ≥ 0) and refunds do not bring its net amount to ≤ 0:
  a fully refunded day or a refund on its own day is not a purchase; a free (zero-amount) purchase is.
- frequency = purchase days − 1 (repeat purchases); recency = days from the first to the last purchase day;
  T = days from the first purchase day to the calibration end; monetary = mean net amount (fen) of the
  repeat purchase days (the first purchase is left out, as in the Gamma-Gamma model), 0 without repeats.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pyarrow as pa
from django.conf import settings

from ..localday import EPOCH_ORDINAL, day_number, fixed_offsets, local_time
from ..models import Transaction


@dataclass(frozen=True)
class Summary:
    member_id: np.ndarray
    frequency: np.ndarray  # repeat purchase days
    recency_days: np.ndarray
    age_days: np.ndarray  # T
    monetary_fen: np.ndarray  # mean net amount of the repeat purchase days
    first_day: np.ndarray  # proleptic ordinals of the local calendar days
    last_day: np.ndarray

    def __len__(self) -> int:
        return len(self.member_id)


def _bound(calibration_end: date) -> datetime:
    # The widest time zone is UTC+14: every local day up to the end lies before end + 1 day 10:00 UTC.
    return datetime.combine(calibration_end + timedelta(days=2), datetime.min.time(), tzinfo=UTC)


def _rows(calibration_end: date, store_id: int | None):
    qs = Transaction.objects.filter(occurred_at__lt=_bound(calibration_end))
    if store_id is not None:
        qs = qs.filter(store_id=store_id)
    return qs.values_list("member_id", "occurred_at", "amount_fen", "order_no", "store__timezone",
                          "member__home_store__timezone").order_by().iterator(chunk_size=20000)


def local_days(calibration_end: date, store_id: int | None = None):
    """(member ids, local day ordinals, amounts in fen) of the transactions up to the calibration end."""
    zones: dict[str, ZoneInfo] = {}
    end = calibration_end.toordinal()
    members, days, amounts = [], [], []
    order_day: dict[tuple[int, str], int] = {}
    refunds: list[tuple[int, str]] = []  # (row index, order no) of refunds naming an order
    for member_id, occurred_at, amount, order_no, store_tz, home_tz in _rows(calibration_end, store_id):
        name = store_tz or home_tz or settings.TIME_ZONE
        zone = zones.get(name) or zones.setdefault(name, ZoneInfo(name))
        day = occurred_at.astimezone(zone).toordinal()
        if day > end:
            continue
        if order_no:
            if amount > 0:
                order_day.setdefault((member_id, order_no), day)
            elif amount < 0:
                refunds.append((len(days), order_no))
        members.append(member_id)
        days.append(day)
        amounts.append(amount)
    for index, order_no in refunds:
        days[index] = order_day.get((members[index], order_no), days[index])
    return (np.array(members, dtype=np.int64), np.array(days, dtype=np.int64),
            np.array(amounts, dtype=np.int64))


def summarise(members: np.ndarray, days: np.ndarray, amounts: np.ndarray, calibration_end: date) -> Summary:
    """Aggregate transactions to member-days, keep the purchase days, then summarise per member."""
    if len(members) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Summary(member_id=empty, frequency=empty, recency_days=empty, age_days=empty,
                       monetary_fen=np.zeros(0), first_day=empty, last_day=empty)
    pairs, inverse = np.unique(np.column_stack([members, days]), axis=0, return_inverse=True)
    inverse = inverse.ravel()
    net = np.bincount(inverse, weights=amounts, minlength=len(pairs))
    purchases = np.bincount(inverse, weights=amounts >= 0, minlength=len(pairs))
    refunds = np.bincount(inverse, weights=amounts < 0, minlength=len(pairs))
    keep = (purchases > 0) & ((net > 0) | ((net == 0) & (refunds == 0)))
    pairs, net = pairs[keep], net[keep]  # sorted by member, then day
    member_ids, start, count = np.unique(pairs[:, 0], return_index=True, return_counts=True)
    last = start + count - 1
    first_day, last_day = pairs[start, 1], pairs[last, 1]
    totals = np.add.reduceat(net, start)
    frequency = count - 1
    repeat_total = totals - net[start]
    monetary = np.divide(repeat_total, frequency, out=np.zeros(len(frequency)), where=frequency > 0)
    return Summary(member_id=member_ids, frequency=frequency, recency_days=last_day - first_day,
                   age_days=calibration_end.toordinal() - first_day, monetary_fen=monetary,
                   first_day=first_day, last_day=last_day)


def member_summary(calibration_end: date, store_id: int | None = None) -> Summary:
    return summarise(*local_days(calibration_end, store_id), calibration_end)


def summary_from_engine(backend: Any, tables: Any, calibration_end: date, store_id: int | None = None) -> Summary:
    """The same Summary as `member_summary`, computed by an analytics engine (`engines.connect`: DuckDB over a
    snapshot, or PostgreSQL): the transactions stay in the engine and one row per member comes back."""
    return summary_from_columns(backend.to_pyarrow(_summary_expr(backend, tables, calibration_end, store_id)),
                                calibration_end)


def summary_from_columns(frame: pa.Table, calibration_end: date) -> Summary:
    """The Summary from one row per member ordered by member id: member_id, days (purchase days), first_day,
    last_day (dates or day ordinals), total (net of the purchase days), first_net (net of the first)."""
    column = {name: frame.column(name) for name in frame.column_names}
    first, last = (_ordinals(column[name]) for name in ("first_day", "last_day"))
    frequency = column["days"].to_numpy().astype(np.int64) - 1
    repeat_total = (column["total"].to_numpy() - column["first_net"].to_numpy()).astype(float)
    monetary = np.divide(repeat_total, frequency, out=np.zeros(len(frequency)), where=frequency > 0)
    return Summary(member_id=column["member_id"].to_numpy().astype(np.int64), frequency=frequency,
                   recency_days=last - first, age_days=calibration_end.toordinal() - first, monetary_fen=monetary,
                   first_day=first, last_day=last)


def _ordinals(days: pa.ChunkedArray) -> np.ndarray:
    if pa.types.is_date(days.type):
        return days.cast(pa.int32()).to_numpy().astype(np.int64) + EPOCH_ORDINAL
    return days.to_numpy().astype(np.int64)


class _LocalDays:
    """Puts the local day on transaction rows: the zone of the transaction's store, else of the member's home
    store, else the site's. `key(day)` is what a day column compares with: a date, or on DuckDB with fixed-offset
    zones a day ordinal (integers, several times cheaper than the time-zone database)."""

    def __init__(self, backend: Any, tables: Any) -> None:
        self.tables = tables
        store_zones = backend.to_pyarrow(tables.stores.select("timezone")).column(0).to_pylist()
        self.zones = {zone for zone in store_zones if zone} | {settings.TIME_ZONE}
        self.offsets = fixed_offsets(backend, tables.transactions, "occurred_at", self.zones)

    def key(self, day: date):
        return day if self.offsets is None else day.toordinal()

    def on(self, tx: Any) -> Any:
        if len(self.zones) == 1:  # one zone for every row, whatever its store: no joins needed
            zone = ibis.literal(next(iter(self.zones)))
        else:
            members, stores = self.tables.members, self.tables.stores
            by_store = stores.select(zone_store_id=stores.id, store_zone=stores.timezone.nullif(""))
            homes = members.left_join(stores, members.home_store_id == stores.id).select(
                home_member_id=members.id, home_zone=stores.timezone.nullif(""))
            tx = tx.left_join(by_store, tx.store_id == by_store.zone_store_id).left_join(
                homes, tx.member_id == homes.home_member_id)
            zone = ibis.coalesce(tx.store_zone, tx.home_zone, ibis.literal(settings.TIME_ZONE))
        if self.offsets is None:
            return tx.mutate(day=local_time(zone, tx.occurred_at).date())
        offsets = self.offsets
        shift = zone.cases(*offsets.items()) if len(offsets) > 1 else ibis.literal(next(iter(offsets.values())))
        return tx.mutate(day=day_number(tx.occurred_at, shift))


def _refund_moves(t: Any, local: _LocalDays, keep: Any, end: date):
    """Refunds that name an order of the same member bought on another day move from their own day to the
    order's: rows (member, day, net, purchases 0, refunds ±1) that take each off its day and put it on the
    order's. Each branch filters the raw table itself, so the engine scans rather than materialises it."""
    order_no = t.order_no.nullif("")
    refunds = local.on(t.filter(keep & (t.amount_fen < 0) & order_no.notnull()))
    refunds = refunds.filter(refunds.day <= local.key(end)).select(
        "member_id", "day", "amount_fen", order_no=refunds.order_no.nullif(""))
    orders = local.on(t.filter(keep & (t.amount_fen > 0) & order_no.notnull()))
    orders = orders.filter(orders.day <= local.key(end)).select("member_id", "day",
                                                                order_no=orders.order_no.nullif(""))
    orders = orders.semi_join(refunds, ["member_id", "order_no"])
    orders = orders.group_by(["member_id", "order_no"]).aggregate(order_day=orders.day.min())
    moved = refunds.join(orders, ["member_id", "order_no"])
    moved = moved.filter(moved.order_day != moved.day)
    zero = ibis.literal(0, type="int64")
    away = moved.select("member_id", "day", net=-moved.amount_fen, purchases=zero, refunds=ibis.literal(-1, "int64"))
    to = moved.select("member_id", day=moved.order_day, net=moved.amount_fen, purchases=zero,
                      refunds=ibis.literal(1, "int64"))
    return away.union(to)


def _summary_expr(backend: Any, tables: Any, calibration_end: date, store_id: int | None):
    """The rules of the module docstring in Ibis: local days, refunds moved to their order's day, member-days,
    purchase days, then one row per member (days, first/last day, total net, net of the first day)."""
    t = tables.transactions
    keep = t.occurred_at < _bound(calibration_end)
    if store_id is not None:
        keep &= t.store_id == store_id
    local = _LocalDays(backend, tables)
    tx = local.on(t.filter(keep))
    tx = tx.filter(tx.day <= local.key(calibration_end))
    one, zero = ibis.literal(1, type="int64"), ibis.literal(0, type="int64")  # PostgreSQL casts no boolean to bigint
    rows = tx.select("member_id", "day", net=tx.amount_fen, purchases=(tx.amount_fen >= 0).ifelse(one, zero),
                     refunds=(tx.amount_fen < 0).ifelse(one, zero))
    rows = rows.union(_refund_moves(t, local, keep, calibration_end))
    days = rows.group_by(["member_id", "day"]).aggregate(
        net=rows.net.sum(), purchases=rows.purchases.sum(), refunds=rows.refunds.sum())
    days = days.filter((days.purchases > 0) & ((days.net > 0) | ((days.net == 0) & (days.refunds == 0))))
    per_member = days.group_by("member_id").aggregate(
        days=days.day.count(), first_day=days.day.min(), last_day=days.day.max(), total=days.net.sum(),
        first_net=days.net.argmin(days.day))
    return per_member.order_by("member_id")
