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


def test_runs_stored_on_postgres_give_the_same_movement_as_the_frames(history, settings, tmp_path):
    from shequn.analytics.rfm import movement, run_rfm

    from .test_rfm import stored_frame

    settings.VAR_DIR = tmp_path
    first = run_rfm("postgres", AS_OF.replace(day=1))
    second = run_rfm("postgres", AS_OF)
    by_frame = movement(stored_frame(first["run_id"]), stored_frame(second["run_id"])).to_dict("records")
    assert [{k: r[k] for k in ("from_cell", "to_cell", "members")} for r in second["movement"]] == by_frame
    pd.testing.assert_frame_equal(stored_frame(second["run_id"]), expected_frame(EXPECTED_OVERALL, history))


def test_two_runs_of_the_same_day_at_once_leave_one_run(history, settings, tmp_path):
    """Both start before either commits: one stores the run, the other replaces it or is told it is running."""
    import threading

    from shequn.analytics.models import RfmRun, RfmScore
    from shequn.analytics.rfm import run_rfm
    from shequn.analytics.rfm_store import RunInProgress

    settings.VAR_DIR = tmp_path
    snapshot = write_snapshot(tmp_path / "snapshot")
    barrier, outcomes = threading.Barrier(2), []

    def run():
        try:
            barrier.wait()
            outcomes.append(run_rfm("duckdb", AS_OF, snapshot=snapshot)["run_id"])
        except RunInProgress:
            outcomes.append("in-progress")
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = RfmRun.objects.get()
    assert run.pk in outcomes and set(outcomes) <= {run.pk, "in-progress"}
    assert RfmScore.objects.filter(run=run).count() == run.members == len(EXPECTED_OVERALL)
