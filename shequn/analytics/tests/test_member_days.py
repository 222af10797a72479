"""`rfm_and_summary` (RFM and the value-model summary from one aggregation on DuckDB) gives exactly what
`compute_rfm` and `summary_from_engine` give separately: on the hand-made histories of the RFM and summary
tests together, with fixed-offset zones of the same offset (one pass) and of different offsets (two passes)."""

import datetime as dt

import pandas as pd
import pytest

from shequn.analytics import member_days
from shequn.analytics.clv.summary import summary_from_engine
from shequn.analytics.engines import connect
from shequn.analytics.rfm import compute_rfm
from shequn.analytics.snapshot import write_snapshot
from shequn.stores.models import Store

from .test_clv_summary import buy
from .test_clv_summary_engine import ENDS, assert_same
from .test_clv_summary_engine import build as build_with_urumqi
from .test_rfm import build_history

pytestmark = pytest.mark.django_db


def build(make_member, store, other_store):
    """Both tests' histories; the summary's without the UTC+6 store, plus edge cases of refunds and zones."""
    build_history(make_member, {store.code: store, other_store.code: other_store})
    taipei = Store.objects.create(code="TW01", name="台北店", timezone="Asia/Taipei")  # UTC+8 as well
    d = dt.datetime
    regular, single, free, away, negative, taiwan = (make_member(store=store) for _ in range(6))
    buy(regular, d(2026, 1, 1, 10), "100.00", order_no="A1", store=store)
    buy(regular, d(2026, 1, 1, 20), "50.00", store=store)
    buy(regular, d(2026, 1, 20, 12), "60.00", order_no="A3", store=store)
    buy(regular, d(2026, 1, 25, 12), "-60.00", order_no="A3", store=store)  # the order's day fully refunded
    buy(regular, d(2026, 2, 1, 12), "40.00", order_no="A4", store=store)
    buy(regular, d(2026, 2, 1, 13), "-40.00", order_no="A4", store=store)  # same day, fully refunded
    buy(regular, d(2026, 2, 3, 12), "25.00", store=store)
    buy(regular, d(2026, 2, 3, 12), "-5.00", order_no="A1", store=store)  # refund of January's order
    buy(regular, d(2026, 3, 1, 23), "20.00", store=store)
    buy(single, d(2026, 2, 15, 9), "99.00")
    buy(single, d(2026, 2, 20, 9), "-20.00")
    buy(single, d(2026, 2, 21, 9), "-5.00", order_no="NOPE")
    buy(free, d(2026, 1, 5, 9), "10.00")
    buy(free, d(2026, 1, 6, 9), "0.00")
    buy(away, d(2026, 2, 27, 9), "30.00", order_no="W1", store=taipei)
    buy(away, d(2026, 3, 2, 9), "-30.00", order_no="W1", store=taipei)  # after some ends: not yet netted
    buy(negative, d(2026, 1, 8, 9), "10.00", order_no="N1")
    buy(negative, d(2026, 1, 9, 9), "-15.00")  # net spend below zero: no RFM score
    buy(taiwan, d(2026, 2, 28, 23, 30), "12.00", store=taipei)


def assert_same_as_separate(backend, tables, as_of):
    frame, summary = member_days.rfm_and_summary(backend, tables, as_of)
    pd.testing.assert_frame_equal(frame, compute_rfm(backend, tables, as_of=as_of))
    assert_same(summary, summary_from_engine(backend, tables, as_of))
    return frame, summary


@pytest.fixture
def engine(tmp_path):
    opened = []

    def open_engine():
        backend, tables = connect("duckdb", snapshot=write_snapshot(tmp_path / "snapshot"))
        opened.append(backend)
        return backend, tables

    yield open_engine
    for backend in opened:
        backend.disconnect()


def test_one_pass_gives_the_separate_results(make_member, store, other_store, engine):
    build(make_member, store, other_store)
    backend, tables = engine()
    assert member_days._shared_offset(backend, tables) == 8 * 3600 * 10**6
    for as_of in [*ENDS, dt.date(2026, 4, 30), dt.date(2025, 12, 31)]:
        frame, summary = assert_same_as_separate(backend, tables, as_of)
        assert len(frame) and len(summary) if as_of.year == 2026 else not len(frame) and not len(summary)
    frame, summary = member_days.rfm_and_summary(backend, tables, dt.date(2026, 3, 1))
    assert set(frame.cell) - {"champions"} and summary.frequency.max() == 2


def test_zones_of_other_offsets_take_two_passes(make_member, store, engine):
    build_with_urumqi(make_member, store)
    backend, tables = engine()
    assert member_days._shared_offset(backend, tables) is None
    for as_of in ENDS:
        assert_same_as_separate(backend, tables, as_of)


def test_no_transactions_gives_empty_results(store, engine):
    backend, tables = engine()
    frame, summary = assert_same_as_separate(backend, tables, dt.date(2026, 3, 1))
    assert frame.empty and len(summary) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # the Ibis connection is a second connection: committed rows only
def test_postgres_takes_two_passes_and_agrees_with_duckdb(make_member, store, other_store, engine):
    build(make_member, store, other_store)
    postgres, pg_tables = connect("postgres")
    backend, tables = engine()
    try:
        assert member_days._shared_offset(postgres, pg_tables) is None
        for as_of in ENDS:
            on_postgres = member_days.rfm_and_summary(postgres, pg_tables, as_of)
            on_duckdb = member_days.rfm_and_summary(backend, tables, as_of)
            pd.testing.assert_frame_equal(on_postgres[0], on_duckdb[0])
            assert_same(on_duckdb[1], on_postgres[1])
    finally:
        postgres.disconnect()
