"""本地日: the local calendar day of a UTC timestamp column, for the Ibis analytics jobs.

Converting every timestamp through the time-zone database is the most expensive step of a scan on DuckDB (its
ICU calendar, about 5× the cost of reading the column). A zone whose UTC offset does not change over the
period the data covers (all of China since 1991) needs no calendar: the local day is (epoch + offset) ÷ one
day in integers. `fixed_offsets` checks that, on DuckDB only; everywhere else the jobs keep the engine's own
conversion."""

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dtypes

US_PER_DAY = 86_400_000_000
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


@ibis.udf.scalar.builtin(name="timezone", signature=((dtypes.string, dtypes.Timestamp(timezone="UTC")),
                                                     dtypes.Timestamp()))
def local_time(zone, at):
    """timezone(zone, timestamptz): the wall-clock time in `zone` (DuckDB and PostgreSQL alike)."""


@ibis.udf.scalar.builtin(name="epoch_us", signature=((dtypes.Timestamp(timezone="UTC"),), dtypes.int64))
def _epoch_us(at):
    """DuckDB: microseconds since 1970-01-01 00:00 UTC, exact."""


@ibis.udf.scalar.builtin(name="divide", signature=((dtypes.int64, dtypes.int64), dtypes.int64))
def _divide(dividend, divisor):
    """DuckDB: integer division (truncating; used on positive numbers only)."""


def session_zone(backend: Any) -> str | None:
    """The engine session's time zone on DuckDB (what a timestamp's `.date()` uses), else None."""
    if backend.name != "duckdb":
        return None
    return backend.con.execute("SELECT current_setting('TimeZone')").fetchall()[0][0]


def fixed_offsets(backend: Any, table: Any, column: str, zones: Iterable[str]) -> dict[str, int] | None:
    """Each zone's UTC offset in microseconds when it is the same all through the period `table[column]` (UTC
    timestamps) covers; None when a zone changes offset in it (summer time) or the engine is not DuckDB."""
    if backend.name != "duckdb":
        return None
    us = _epoch_us(table[column])
    bounds = backend.to_pyarrow(table.aggregate(low=us.min(), high=us.max())).to_pylist()[0]
    low, high = bounds["low"], bounds["high"]
    if low is None:
        low = high = 0
    offsets = {}
    for zone in set(zones):
        seen = {_offset_at(ZoneInfo(zone), moment) for moment in _daily(low, high)}
        if len(seen) != 1:
            return None
        offsets[zone] = seen.pop()
    return offsets


def _daily(low_us: int, high_us: int):
    """Moments a day apart from low to high (and high itself): a summer-time period lasts far longer."""
    yield from range(low_us, high_us, US_PER_DAY)
    yield high_us


def _offset_at(zone: ZoneInfo, epoch_us: int) -> int:
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=epoch_us)
    return int(moment.astimezone(zone).utcoffset() / dt.timedelta(microseconds=1))


def day_number(at: Any, offset: Any) -> Any:
    """The proleptic ordinal (`date.toordinal()`) of the local day of `at` (a UTC timestamp column) at a fixed
    `offset` (µs; an int or an integer expression), in integers: exact, and positive for any date."""
    return _divide(_epoch_us(at) + offset + EPOCH_ORDINAL * US_PER_DAY, US_PER_DAY)
