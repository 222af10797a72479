"""Local days by integer arithmetic on DuckDB: only for zones with one UTC offset over the data, and then equal
to the calendar conversion for every timestamp."""

import datetime as dt
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pyarrow as pa
import pytest

from shequn.analytics.localday import day_number, fixed_offsets, session_zone

HOUR_US = 3600 * 10**6


@pytest.fixture
def con():
    backend = ibis.duckdb.connect()
    yield backend
    backend.disconnect()


def stamps(*moments):
    return ibis.memtable(pa.table({"at": pa.array(moments, pa.timestamp("us", tz="UTC"))}))


def test_offsets_only_for_zones_without_a_change_in_the_period(con):
    recent = stamps(dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 9, 30, tzinfo=dt.UTC))
    assert fixed_offsets(con, recent, "at", ["Asia/Shanghai", "Asia/Urumqi"]) == {
        "Asia/Shanghai": 8 * HOUR_US, "Asia/Urumqi": 6 * HOUR_US}
    assert fixed_offsets(con, recent, "at", ["Asia/Shanghai", "Europe/Berlin"]) is None  # summer time
    # Shanghai kept summer time from 1986 to 1991
    older = stamps(dt.datetime(1990, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert fixed_offsets(con, older, "at", ["Asia/Shanghai"]) is None
    assert fixed_offsets(con, stamps(), "at", ["Asia/Shanghai"]) == {"Asia/Shanghai": 8 * HOUR_US}


def test_day_numbers_equal_the_calendar(con):
    rng = np.random.default_rng(3)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    moments = [start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 3 * 365 * 86400, 2000)]
    moments += [dt.datetime(2026, 1, 10, 15, 59, 59, 999999, tzinfo=dt.UTC),  # 23:59:59.999999 in Shanghai
                dt.datetime(2026, 1, 10, 16, tzinfo=dt.UTC)]
    table = stamps(*moments)
    for zone in ("Asia/Shanghai", "Asia/Urumqi", "Asia/Kolkata"):
        offset = fixed_offsets(con, table, "at", [zone])[zone]
        got = con.execute(table.select(day=day_number(table.at, offset)))["day"].tolist()
        assert got == [m.astimezone(ZoneInfo(zone)).date().toordinal() for m in moments]


def test_session_zone_is_read_from_duckdb(con):
    con.raw_sql("SET TimeZone = 'Asia/Urumqi'")
    assert session_zone(con) == "Asia/Urumqi"
