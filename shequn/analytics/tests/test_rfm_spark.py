"""Spark local mode: the RFM job gives the same frames as on DuckDB (overall, per store, in another time zone);
one SparkContext per process, a session per run; clear problems when Java or pyspark is missing."""

import sys

import pandas as pd
import pytest

from shequn.analytics import spark_engine
from shequn.analytics.engines import EngineUnavailable, connect
from shequn.analytics.rfm import compute_rfm
from shequn.analytics.snapshot import write_snapshot
from shequn.core.errors import ValidationProblem
from shequn.core.tests.cli import run

from .test_rfm import AS_OF, EXPECTED_BJ01, EXPECTED_OVERALL, EXPECTED_SH01, build_history, expected_frame

# starting the JVM takes 10–30 s on a busy two-core machine, several minutes under heavy load
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(900)]


@pytest.fixture
def history(settings, tmp_path, make_member, store, other_store):
    settings.VAR_DIR = tmp_path
    return build_history(make_member, {store.code: store, other_store.code: other_store})


def both(snapshot, *, time_zone=None, as_of=AS_OF, store_code=None):
    """The RFM frame on Spark and on DuckDB from the same snapshot."""
    frames = []
    for engine in ("spark", "duckdb"):
        backend, tables = connect(engine, snapshot=snapshot, time_zone=time_zone)
        try:
            frames.append(compute_rfm(backend, tables, as_of=as_of, store_code=store_code))
        finally:
            backend.disconnect()
    return frames


def test_spark_and_duckdb_give_identical_frames_overall_and_per_store(history, tmp_path):
    snapshot = write_snapshot(tmp_path / "snapshot")
    for store_code, expected in ((None, EXPECTED_OVERALL), ("BJ01", EXPECTED_BJ01)):
        on_spark, on_duckdb = both(snapshot, store_code=store_code)
        pd.testing.assert_frame_equal(on_spark, on_duckdb)
        pd.testing.assert_frame_equal(on_spark, expected_frame(expected, history))


def test_the_session_time_zone_decides_the_calendar_day(history, tmp_path):
    on_spark, on_duckdb = both(write_snapshot(tmp_path / "snapshot"), time_zone="UTC")
    pd.testing.assert_frame_equal(on_spark, on_duckdb)
    h = on_spark.set_index("member_id").loc[history["H"]]
    # 2026-06-30 16:30 UTC is still 06-30 in UTC (07-01 in Shanghai), so H bought twice by the as-of day
    assert (h["recency_days"], h["frequency"], h["monetary_fen"]) == (0, 2, 12000)


def test_one_context_per_process_and_disconnect_keeps_it(history):
    first, tables = connect("spark")  # no snapshot given: one is written for this run only
    owned = first.owned_snapshot
    assert owned is not None and (owned / "transactions.parquet").is_file()
    sh01 = compute_rfm(first, tables, as_of=AS_OF, store_code="SH01")
    pd.testing.assert_frame_equal(sh01, expected_frame(EXPECTED_SH01, history))
    first.disconnect()
    assert not owned.exists()
    second, _ = connect("spark")
    try:
        assert second._session is not first._session
        assert second._session.sparkContext is first._session.sparkContext
        assert second._session.sparkContext._jsc is not None  # still running after the first disconnect
        assert second._session.conf.get("spark.sql.session.timeZone") == "Asia/Shanghai"
        assert second._session.sparkContext.master == "local[2]"
    finally:
        second.disconnect()


def test_a_snapshot_folder_without_the_tables_is_refused(history, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValidationProblem, match="缺少 transactions"):
        connect("spark", snapshot=tmp_path / "empty")


def test_master_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("SHEQUN_SPARK_MASTER", raising=False)
    assert spark_engine.master() == "local[2]"
    monkeypatch.setenv("SHEQUN_SPARK_MASTER", "spark://analytics-1:7077")
    assert spark_engine.master() == "spark://analytics-1:7077"


def test_java_is_found_on_the_path_without_java_home(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    home = spark_engine.find_java()
    assert (home / "bin" / "java").is_file()
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "removed-jdk"))  # a stale JAVA_HOME: the PATH's java wins
    assert spark_engine.find_java() == home


def test_missing_java_says_to_install_a_jre_17(monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(EngineUnavailable, match="JRE 17") as caught:
        spark_engine.find_java()
    assert caught.value.status == 503


def test_an_old_java_is_refused(monkeypatch, tmp_path):
    java = tmp_path / "jdk8" / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text('#!/bin/sh\necho \'openjdk version "1.8.0_292"\' >&2\n')
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "jdk8"))
    with pytest.raises(EngineUnavailable, match="Java 8"):
        spark_engine.find_java()


WITHOUT_PYSPARK = """
import sys
sys.modules["pyspark"] = None  # as if pyspark were not installed
import django; django.setup()
from shequn.analytics.engines import EngineUnavailable, connect
try:
    connect("spark")
except EngineUnavailable as exc:
    print(exc.status, exc.detail)
"""


def test_missing_pyspark_is_a_clear_problem(tmp_path):
    done = run(tmp_path, [sys.executable, "-c", WITHOUT_PYSPARK])  # its own process: pyspark stays importable here
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("503 ") and "uv sync --extra spark" in done.stdout
