"""The value-model summary computed by an analytics engine (`summary_from_engine`) equals the one computed in
Python over the database rows (`member_summary`) on hand-made histories: local days per store or home store,
same-day purchases, refunds netted on their order's day, fully refunded days, free purchases, store filter."""

import datetime as dt

import numpy as np
import pytest

from shequn.analytics.clv.summary import Summary, member_summary, summary_from_engine
from shequn.analytics.engines import connect
from shequn.analytics.snapshot import write_snapshot
from shequn.stores.models import Store

from .test_clv_summary import buy, row

pytestmark = pytest.mark.django_db

ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 1)]


def build(make_member, store):
    """The histories of test_clv_summary in one database, plus members of a UTC+6 store."""
    urumqi = Store.objects.create(code="XJ01", name="乌鲁木齐店", timezone="Asia/Urumqi")
    regular, single, later, free = (make_member(store=store) for _ in range(4))
    travelling, at_home = make_member(store=store), make_member(store=urumqi)
    make_member(store=store)  # never bought
    d, utc = dt.datetime, dt.UTC
    buy(regular, d(2026, 1, 1, 10), "100.00", order_no="A1", store=store)
    buy(regular, d(2026, 1, 1, 20), "50.00", store=store)
    buy(regular, d(2026, 1, 11, 1), "80.00", store=store)
    buy(regular, d(2026, 1, 20, 12), "60.00", order_no="A3", store=store)
    buy(regular, d(2026, 1, 25, 12), "-60.00", order_no="A3", store=store)
    buy(regular, d(2026, 2, 1, 12), "40.00", order_no="A4", store=store)
    buy(regular, d(2026, 2, 3, 12), "-10.00", order_no="A4", store=store)
    buy(regular, d(2026, 3, 1, 23), "20.00", store=store)
    buy(regular, d(2026, 3, 2, 0, 30), "999.00", store=store)
    buy(single, d(2026, 2, 15, 9), "99.00")
    buy(single, d(2026, 2, 20, 9), "-20.00")
    buy(single, d(2026, 2, 21, 9), "-5.00", order_no="NOPE")  # names an order that is not there: own day
    buy(later, d(2026, 3, 5, 9), "10.00")
    buy(free, d(2026, 1, 5, 9), "10.00")
    buy(free, d(2026, 1, 6, 9), "0.00")
    buy(travelling, d(2026, 2, 28, 17, 30), "30.00", store=urumqi, tz=utc)  # Feb 28 in Urumqi
    buy(travelling, d(2026, 2, 1, 12), "30.00", store=store)
    buy(travelling, d(2026, 2, 28, 17, 30), "30.00", store=store, tz=utc)  # Mar 1 in Shanghai
    buy(at_home, d(2026, 2, 1, 12), "30.00")
    buy(at_home, d(2026, 2, 28, 17, 30), "45.00", tz=utc)  # Feb 28 at home in Urumqi
    return {"regular": regular, "single": single, "free": free, "travelling": travelling, "at_home": at_home,
            "urumqi": urumqi}


def assert_same(left: Summary, right: Summary) -> None:
    for name in Summary.__dataclass_fields__:
        np.testing.assert_array_equal(getattr(left, name), getattr(right, name), err_msg=name)
        assert getattr(right, name).dtype.kind == getattr(left, name).dtype.kind, name


@pytest.fixture
def duckdb(tmp_path):
    def open_engine():
        backend, tables = connect("duckdb", snapshot=write_snapshot(tmp_path / "snapshot"))
        opened.append(backend)
        return backend, tables

    opened = []
    yield open_engine
    for backend in opened:
        backend.disconnect()


def test_engine_summary_matches_python_summary(make_member, store, duckdb):
    people = build(make_member, store)
    backend, tables = duckdb()
    for end in ENDS:
        for store_id in (None, store.pk, people["urumqi"].pk):
            assert_same(member_summary(end, store_id), summary_from_engine(backend, tables, end, store_id))
    everything = summary_from_engine(backend, tables, dt.date(2026, 3, 1))
    assert len(everything) == 5
    assert row(everything, people["regular"]) == (3, 59, 59, round((8000 + 3000 + 2000) / 3, 2))
    assert row(everything, people["single"]) == (0, 0, 14, 0.0)
    assert row(everything, people["free"]) == (1, 1, 55, 0.0)
    assert row(everything, people["travelling"]) == (2, 28, 28, 3000.0)
    assert row(everything, people["at_home"]) == (1, 27, 28, 4500.0)
    only_urumqi = summary_from_engine(backend, tables, dt.date(2026, 2, 28), people["urumqi"].pk)
    assert row(only_urumqi, people["travelling"]) == (0, 0, 0, 0.0)
    assert len(only_urumqi) == 1


def test_engine_summary_of_nothing_is_empty(make_member, store, duckdb):
    build(make_member, store)
    backend, tables = duckdb()
    empty = summary_from_engine(backend, tables, dt.date(2025, 12, 31))
    assert_same(member_summary(dt.date(2025, 12, 31)), empty)
    assert len(empty) == 0


def test_one_zone_for_all_stores(make_member, store, duckdb):
    """Every store in the site's zone: the engine needs no per-row zone (no joins) and still agrees."""
    member, other = make_member(store=store), make_member()
    d, utc = dt.datetime, dt.UTC
    buy(member, d(2026, 1, 1, 10), "100.00", order_no="B1", store=store)
    buy(member, d(2026, 1, 31, 16, 30), "20.00", tz=utc)  # Feb 1 00:30 in Shanghai
    buy(member, d(2026, 2, 3, 12), "-100.00", order_no="B1", store=store)
    buy(other, d(2026, 1, 2, 10), "15.00")
    buy(other, d(2026, 2, 2, 10), "25.00")
    backend, tables = duckdb()
    end = dt.date(2026, 2, 28)
    assert_same(member_summary(end), summary_from_engine(backend, tables, end))
    assert row(summary_from_engine(backend, tables, end), member) == (0, 0, 27, 0.0)  # only Feb 1 is left
    assert row(summary_from_engine(backend, tables, end), other) == (1, 31, 57, 2500.0)


def test_summer_time_zone_takes_the_time_zone_database(make_member, store, duckdb):
    """A store in a zone with summer time: local days come from the engine's time-zone conversion."""
    berlin = Store.objects.create(code="DE01", name="柏林店", timezone="Europe/Berlin")
    member = make_member(store=berlin)
    d, utc = dt.datetime, dt.UTC
    buy(member, d(2026, 3, 1, 22, 30), "10.00", tz=utc)  # winter, UTC+1: Mar 1 23:30
    buy(member, d(2026, 3, 1, 23, 30), "10.00", tz=utc)  # Mar 2 00:30
    buy(member, d(2026, 6, 1, 21, 30), "30.00", tz=utc)  # summer, UTC+2: Jun 1 23:30
    buy(member, d(2026, 6, 1, 22, 30), "50.00", tz=utc, store=berlin)  # Jun 2 00:30
    backend, tables = duckdb()
    end = dt.date(2026, 6, 30)
    assert_same(member_summary(end), summary_from_engine(backend, tables, end))
    assert row(summary_from_engine(backend, tables, end), member) == (3, 93, 121, round(9000 / 3, 2))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the Ibis connection is a second connection: committed rows only
def test_postgres_engine_summary_matches_python_summary(make_member, store):
    people = build(make_member, store)
    backend, tables = connect("postgres")
    try:
        for end in ENDS:
            for store_id in (None, store.pk, people["urumqi"].pk):
                assert_same(member_summary(end, store_id), summary_from_engine(backend, tables, end, store_id))
    finally:
        backend.disconnect()
