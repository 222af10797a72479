"""RFM on a small hand-checked data set: every value, score and cell below was worked out by hand from the
rules in docs/analytics-rfm.md (as of 2026-06-30, Asia/Shanghai days)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from shequn.analytics.engines import EngineUnavailable, UnknownEngine, connect
from shequn.analytics.models import RfmRun, RfmScore, Transaction
from shequn.analytics.rfm import COLUMNS, BadAsOf, UnknownStore, compute_rfm, movement, run_rfm

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)
SHANGHAI = ZoneInfo("Asia/Shanghai")

# member → home store and (local time "MM-DD HH:MM" or an aware datetime, amount in fen)
HISTORY = {
    "A": ("SH01", [("06-28 10:00", 10000), ("06-28 15:00", 5000), ("06-20 12:00", 20000), ("06-01 09:00", 30000),
                   ("07-02 10:00", 99999)]),  # same-day purchases count once; after the as-of date: ignored
    "B": ("SH01", [("06-29 10:00", 8000), ("06-29 18:00", -2000)]),  # refund the same day
    "C": ("SH01", [("03-01 10:00", 50000), ("04-01 10:00", 50000), ("05-01 10:00", 50000), ("05-15 10:00", 50000)]),
    "D": ("SH01", [("01-10 10:00", 3000)]),
    "E": ("SH01", [("06-10 10:00", 40000), ("06-12 10:00", -40000)]),  # refunded in full: not scored
    "F": ("BJ01", [("06-25 10:00", 12000), ("06-15 10:00", 12000)]),
    "G": ("BJ01", [("02-01 10:00", 100000), ("02-02 10:00", 100000), ("03-01 10:00", 100000),
                   ("03-05 10:00", -50000)]),
    # 16:30 UTC is 00:30 the next day in Shanghai: the first is 06-01 locally, the second 07-01 (ignored)
    "H": ("BJ01", [(dt.datetime(2026, 5, 31, 16, 30, tzinfo=dt.UTC), 7000),
                   (dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC), 5000)]),
    "I": (None, [("04-15 10:00", 15000), ("04-15 11:00", 5000)]),  # no home store: overall only
    "J": ("SH01", [("05-20 10:00", 9000), ("06-05 10:00", 9000)]),
    "K": ("SH01", []),  # never bought
}

# member: store, recency_days, frequency, monetary_fen, R, F, M, FM, cell — scored over all nine members
EXPECTED_OVERALL = {
    "A": ("SH01", 2, 3, 65000, 4, 4, 4, 4, "loyal"),
    "B": ("SH01", 1, 1, 6000, 5, 1, 1, 1, "new"),
    "C": ("SH01", 46, 4, 200000, 2, 5, 4, 5, "cannot_lose"),
    "D": ("SH01", 171, 1, 3000, 1, 1, 1, 1, "lost"),
    "F": ("BJ01", 5, 2, 24000, 4, 3, 3, 3, "potential_loyalist"),
    "G": ("BJ01", 121, 3, 250000, 1, 4, 5, 5, "cannot_lose"),
    "H": ("BJ01", 29, 1, 7000, 3, 1, 2, 2, "about_to_sleep"),
    "I": (None, 76, 1, 20000, 2, 1, 3, 2, "hibernating"),
    "J": ("SH01", 25, 2, 18000, 3, 3, 2, 3, "need_attention"),
}
# the same members of SH01 scored among themselves only
EXPECTED_SH01 = {
    "A": ("SH01", 2, 3, 65000, 4, 4, 4, 4, "loyal"),
    "B": ("SH01", 1, 1, 6000, 5, 1, 2, 2, "potential_loyalist"),
    "C": ("SH01", 46, 4, 200000, 2, 5, 5, 5, "cannot_lose"),
    "D": ("SH01", 171, 1, 3000, 1, 1, 1, 1, "lost"),
    "J": ("SH01", 25, 2, 18000, 3, 3, 3, 3, "need_attention"),
}
EXPECTED_BJ01 = {
    "F": ("BJ01", 5, 2, 24000, 4, 2, 2, 2, "potential_loyalist"),
    "G": ("BJ01", 121, 3, 250000, 1, 4, 4, 4, "at_risk"),
    "H": ("BJ01", 29, 1, 7000, 2, 1, 1, 1, "hibernating"),
}


def build_history(make_member, stores) -> dict[str, int]:
    """Create the members and transactions of HISTORY; returns member letter → member id."""
    ids, n = {}, 0
    for letter, (code, rows) in HISTORY.items():
        member = make_member(store=stores.get(code), name=f"会员{letter}")
        ids[letter] = member.pk
        for when, amount in rows:
            n += 1
            if isinstance(when, str):
                when = dt.datetime.strptime(f"2026-{when}", "%Y-%m-%d %H:%M").replace(tzinfo=SHANGHAI)
            Transaction.objects.create(member=member, occurred_at=when, amount_fen=amount, quantity=1,
                                       store=stores.get(code), source="import", source_ref=f"rfm-{n}")
    return ids


def expected_frame(expected: dict, ids: dict[str, int]) -> pd.DataFrame:
    rows = [(ids[letter], *values) for letter, values in expected.items()]
    frame = pd.DataFrame(rows, columns=COLUMNS).sort_values("member_id").reset_index(drop=True)
    for column in ("store_code", "cell"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    """DuckDB runs write their snapshot under VAR_DIR: one per test."""
    settings.VAR_DIR = tmp_path


@pytest.fixture
def history(make_member, store, other_store):
    return build_history(make_member, {store.code: store, other_store.code: other_store})


@pytest.fixture
def duckdb(tmp_path, history):
    backend, tables = connect("duckdb", snapshot=_snapshot(tmp_path))
    yield backend, tables
    backend.disconnect()


def _snapshot(tmp_path):
    from shequn.analytics.snapshot import write_snapshot

    return write_snapshot(tmp_path / "snapshot")


def test_overall_scores_and_cells_match_the_hand_checked_values(duckdb, history):
    frame = compute_rfm(*duckdb, as_of=AS_OF)
    pd.testing.assert_frame_equal(frame, expected_frame(EXPECTED_OVERALL, history))


@pytest.mark.parametrize(("code", "expected"), [("SH01", EXPECTED_SH01), ("BJ01", EXPECTED_BJ01)])
def test_a_store_scores_its_own_home_members_among_themselves(duckdb, history, code, expected):
    frame = compute_rfm(*duckdb, as_of=AS_OF, store_code=code)
    pd.testing.assert_frame_equal(frame, expected_frame(expected, history))


def test_an_earlier_as_of_date_sees_only_what_had_happened(duckdb, history):
    frame = compute_rfm(*duckdb, as_of=dt.date(2026, 3, 1)).set_index("member_id")
    assert set(frame.index) == {history["C"], history["D"], history["G"]}
    assert frame.loc[history["G"], ["recency_days", "frequency", "monetary_fen"]].tolist() == [0, 3, 300000]


def stored_frame(run_id: int) -> pd.DataFrame:
    """A stored run read back in the columns of `compute_rfm` (store_code from the member's home store)."""
    rows = RfmScore.objects.filter(run_id=run_id).order_by("member_id").values_list(
        "member_id", "member__home_store__code", *COLUMNS[2:])
    frame = pd.DataFrame(list(rows), columns=COLUMNS)
    for column in COLUMNS:
        if column not in ("store_code", "cell"):
            frame[column] = frame[column].astype("int64")
    for column in ("store_code", "cell"):
        frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def test_run_stores_the_scores_and_reports_cells_per_store_and_movement(history):
    first = run_rfm("duckdb", dt.date(2026, 5, 31))
    assert first["previous_as_of"] is None and first["movement"] == []
    second = run_rfm("duckdb", AS_OF)
    run = RfmRun.objects.get(pk=second["run_id"])
    assert (run.as_of, run.store, run.engine, run.members, run.time_zone) == (AS_OF, None, "duckdb", 9,
                                                                              "Asia/Shanghai")
    pd.testing.assert_frame_equal(stored_frame(run.pk), expected_frame(EXPECTED_OVERALL, history))
    cells = {row["cell"]: (row["members"], row["avg_monetary_fen"]) for row in second["cells"]}
    assert cells["cannot_lose"] == (2, 225000) and cells["loyal"] == (1, 65000) and cells["champions"] == (0, 0)
    assert sum(count for count, _ in cells.values()) == second["members"] == 9
    assert {row["cell"]: row["members"] for row in second["stores"]["BJ01"] if row["members"]} == {
        "potential_loyalist": 1, "cannot_lose": 1, "about_to_sleep": 1}
    assert second["previous_as_of"] == "2026-05-31" and second["previous_run_id"] == first["run_id"]
    flows = {(row["from_cell"], row["to_cell"]): row["members"] for row in second["movement"]}
    earlier = stored_frame(first["run_id"])
    assert sum(flows.values()) == 9  # nobody scored on 05-31 dropped out by 06-30
    assert flows[(None, "new")] == 1  # B bought for the first time in June
    assert sum(count for (src, _), count in flows.items() if src is None) == 9 - len(earlier)
    # the movement read from the database is the movement of the two frames
    by_frame = movement(earlier, stored_frame(run.pk)).to_dict("records")
    assert [{k: row[k] for k in ("from_cell", "to_cell", "members")} for row in second["movement"]] == by_frame


def test_the_run_is_one_transaction_with_an_audit_entry_and_an_event(history):
    from shequn.core.models import AuditEntry, OutboxEvent

    result = run_rfm("duckdb", AS_OF, store="SH01")
    entry = AuditEntry.objects.get(action="analytics.rfm_run")
    assert entry.object_id == str(result["run_id"]) and entry.after["members"] == 5
    event = OutboxEvent.objects.get(topic="analytics.rfm_scored")
    assert event.payload["members"] == 5 and event.payload["as_of"] == "2026-06-30"
    assert event.payload["store_id"] == RfmRun.objects.get().store_id


def test_a_failed_insert_leaves_nothing_behind(history, monkeypatch):
    from shequn.analytics import rfm_store

    def broken(run, frame, batch):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rfm_store, "_insert_scores", broken)
    with pytest.raises(RuntimeError):
        run_rfm("duckdb", AS_OF)
    assert not RfmRun.objects.exists() and not RfmScore.objects.exists()


def test_re_running_a_day_replaces_its_scores_and_keeps_movement_honest(history, make_member, store):
    first = run_rfm("duckdb", dt.date(2026, 5, 31))
    later = run_rfm("duckdb", AS_OF)
    newcomer = make_member(store=store, name="迟到的会员")
    Transaction.objects.create(member=newcomer, occurred_at=dt.datetime(2026, 5, 30, 10, tzinfo=SHANGHAI),
                               amount_fen=5000, store=store, source="import", source_ref="rfm-late")
    again = run_rfm("duckdb", dt.date(2026, 5, 31))  # a late import for May: May is scored again
    assert again["run_id"] == first["run_id"] and RfmRun.objects.count() == 2
    assert RfmScore.objects.filter(run_id=first["run_id"]).count() == again["members"] == first["members"] + 1
    from shequn.analytics.rfm_store import movement_rows, previous_run

    run = RfmRun.objects.get(pk=later["run_id"])
    flows = movement_rows(run, previous_run(run))
    assert sum(r["members"] for r in flows if r["from_cell"] is not None) == again["members"]


def test_a_store_run_compares_with_that_stores_previous_run_only(history):
    run_rfm("duckdb", dt.date(2026, 5, 31))
    run_rfm("duckdb", dt.date(2026, 6, 15), store="BJ01")
    result = run_rfm("duckdb", AS_OF, store="BJ01")
    assert result["previous_as_of"] == "2026-06-15"
    assert result["members"] == 3 and RfmRun.objects.get(pk=result["run_id"]).store.code == "BJ01"
    assert sum(row["members"] for row in result["movement"]) == 3


def test_a_store_manager_runs_their_own_stores_only(history, store, other_store):
    from shequn.core.actor import Actor
    from shequn.core.errors import PermissionDenied

    manager = Actor(kind="staff", id="7", label="店长", store_ids=frozenset({store.pk}))
    assert run_rfm("duckdb", AS_OF, store=store.code, actor=manager)["members"] == 5
    with pytest.raises(PermissionDenied):
        run_rfm("duckdb", AS_OF, store=other_store.code, actor=manager)
    with pytest.raises(PermissionDenied):
        run_rfm("duckdb", AS_OF, actor=manager)
    assert RfmRun.objects.count() == 1


def test_movement_counts_members_going_from_cell_to_cell():
    before = pd.DataFrame({"member_id": [1, 2, 3, 4], "cell": ["new", "new", "loyal", "lost"]})
    after = pd.DataFrame({"member_id": [1, 2, 3, 5], "cell": ["promising", "promising", "loyal", "new"]})
    flows = movement(before, after)
    assert list(flows.columns) == ["from_cell", "to_cell", "members"]
    assert flows.to_dict("records") == [
        {"from_cell": "new", "to_cell": "promising", "members": 2},
        {"from_cell": None, "to_cell": "new", "members": 1},
        {"from_cell": "lost", "to_cell": None, "members": 1},
        {"from_cell": "loyal", "to_cell": "loyal", "members": 1},
    ]


def test_no_transactions_gives_an_empty_result(tmp_path, store):
    backend, tables = connect("duckdb", snapshot=_snapshot(tmp_path))
    frame = compute_rfm(backend, tables, as_of=AS_OF)
    assert frame.empty and list(frame.columns) == COLUMNS
    assert compute_rfm(backend, tables, as_of=AS_OF, store_code=store.code).empty


def test_an_empty_run_summarises_zero_members(db):
    result = run_rfm("duckdb", AS_OF)
    assert result["members"] == 0 and all(row["members"] == 0 for row in result["cells"])
    assert RfmRun.objects.get().members == 0


def test_unknown_store_is_a_clear_problem(duckdb):
    with pytest.raises(UnknownStore, match="NOPE"):
        compute_rfm(*duckdb, as_of=AS_OF, store_code="NOPE")
    with pytest.raises(UnknownStore) as caught:
        run_rfm("duckdb", AS_OF, store="NOPE")
    assert caught.value.status == 404 and caught.value.type == "unknown-store"
    assert not RfmRun.objects.exists()


@pytest.mark.parametrize("as_of", ["2026-06-30", dt.datetime(2026, 6, 30, tzinfo=dt.UTC), None])
def test_as_of_must_be_a_date(duckdb, as_of):
    with pytest.raises(BadAsOf):
        compute_rfm(*duckdb, as_of=as_of)


def test_an_unknown_engine_is_a_clear_problem(db):
    with pytest.raises(UnknownEngine):
        connect("oracle")


def test_postgres_engine_needs_a_postgres_database(db, settings):
    from django.db import connection

    if connection.vendor == "postgresql":
        pytest.skip("runs against SQLite")
    with pytest.raises(EngineUnavailable, match="DATABASE_URL"):
        connect("postgres")


def test_the_rfm_command_prints_cells_and_movement(history):
    import json

    from typer.testing import CliRunner

    from shequn.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["analytics", "rfm", "--as-of", "2026-05-31"]).exit_code == 0
    result = runner.invoke(app, ["analytics", "rfm", "--as-of", "2026-06-30", "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["members"] == 9 and summary["previous_as_of"] == "2026-05-31"
    assert {"from_cell": None, "to_cell": "new", "members": 1, "direction": "in"} in summary["movement"]
    table = runner.invoke(app, ["analytics", "rfm", "--as-of", "2026-06-30", "--store", "SH01"])
    assert table.exit_code == 0 and "need_attention" in table.output and "¥650.00" in table.output
    bad = runner.invoke(app, ["analytics", "rfm", "--as-of", "2026-06-30", "--store", "NOPE"])
    assert bad.exit_code == 2 and "NOPE" in bad.output
    assert runner.invoke(app, ["analytics", "rfm", "--as-of", "30/06/2026"]).exit_code == 2
    assert RfmRun.objects.count() == 3
