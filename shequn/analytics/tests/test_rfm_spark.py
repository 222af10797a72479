"""Spark local mode: the RFM job gives the same frame as on DuckDB. Needs pyspark (not a dependency of this
installation); skipped when it is missing."""

import pandas as pd
import pytest

from shequn.analytics.engines import connect
from shequn.analytics.rfm import compute_rfm
from shequn.analytics.snapshot import write_snapshot

from .test_rfm import AS_OF, EXPECTED_OVERALL, build_history, expected_frame

pytest.importorskip("pyspark")
pytestmark = pytest.mark.django_db


def test_spark_and_duckdb_give_identical_frames(settings, tmp_path, make_member, store, other_store):
    settings.VAR_DIR = tmp_path
    history = build_history(make_member, {store.code: store, other_store.code: other_store})
    spark, spark_tables = connect("spark")
    duckdb, duck_tables = connect("duckdb", snapshot=write_snapshot(tmp_path / "snapshot"))
    on_spark = compute_rfm(spark, spark_tables, as_of=AS_OF)
    on_duckdb = compute_rfm(duckdb, duck_tables, as_of=AS_OF)
    duckdb.disconnect()
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
    pd.testing.assert_frame_equal(on_spark, expected_frame(EXPECTED_OVERALL, history))
