"""PostgreSQL: the RFM job, written once in Ibis, gives the same frame on the live PostgreSQL tables as on
DuckDB over a Parquet snapshot — and both match the hand-checked values."""

import pandas as pd
import pytest
from django.db import connection

from shequn.analytics.engines import connect
from shequn.analytics.rfm import compute_rfm
from shequn.analytics.snapshot import write_snapshot

from .test_rfm import AS_OF, EXPECTED_OVERALL, EXPECTED_SH01, build_history, expected_frame

# the Ibis connection is a second connection: it only sees committed rows
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def history(make_member, store, other_store):
    return build_history(make_member, {store.code: store, other_store.code: other_store})


@pytest.mark.parametrize(("code", "expected"), [(None, EXPECTED_OVERALL), ("SH01", EXPECTED_SH01)])
def test_duckdb_and_postgres_give_identical_frames(tmp_path, history, code, expected):
    postgres, pg_tables = connect("postgres")
    duckdb, duck_tables = connect("duckdb", snapshot=write_snapshot(tmp_path / "snapshot"))
    try:
        assert postgres.raw_sql("SELECT current_database()").fetchone()[0] == connection.settings_dict["NAME"]
        on_postgres = compute_rfm(postgres, pg_tables, as_of=AS_OF, store_code=code)
        on_duckdb = compute_rfm(duckdb, duck_tables, as_of=AS_OF, store_code=code)
    finally:
        postgres.disconnect()
        duckdb.disconnect()
    pd.testing.assert_frame_equal(on_postgres, on_duckdb)
    pd.testing.assert_frame_equal(on_postgres, expected_frame(expected, history))
