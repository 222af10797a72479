"""The Parquet snapshot the DuckDB engine reads: every row and value as in the database, written in batches,
and a snapshot replaces the previous one only when it is complete."""

import datetime as dt

import pyarrow.parquet as pq
import pytest

from shequn.analytics import snapshot
from shequn.analytics.models import Transaction
from shequn.analytics.snapshot import write_snapshot
from shequn.members.models import Member

pytestmark = pytest.mark.django_db

WHEN = dt.datetime(2026, 3, 1, 16, 30, 15, 250000, tzinfo=dt.UTC)


@pytest.fixture
def rows(make_member, store):
    members = [make_member(store=store), make_member(store=None)]
    for n in range(5):
        Transaction.objects.create(member=members[n % 2], occurred_at=WHEN + dt.timedelta(days=n),
                                   amount_fen=1999 - n * 1000, quantity=n, order_no=f"SO{n}" if n else "",
                                   store=store if n % 2 else None, sku="苹果-1", source="import", source_ref=f"s{n}")
    return members


def read(folder, name):
    return pq.read_table(folder / f"{name}.parquet").to_pylist()


@pytest.mark.parametrize("batch_rows", [2, 50_000])
def test_round_trip_keeps_every_row_and_value(tmp_path, rows, store, batch_rows):
    folder = write_snapshot(tmp_path / "snap", batch_rows=batch_rows)
    assert folder == tmp_path / "snap"
    expected = [dict(zip(snapshot.TABLES["transactions"][1].names, row, strict=True)) for row in
                Transaction.objects.order_by("pk").values_list(*snapshot.TABLES["transactions"][1].names)]
    assert read(folder, "transactions") == expected
    assert read(folder, "transactions")[0]["occurred_at"] == WHEN
    assert [row["store_id"] for row in read(folder, "transactions")] == [None, store.pk, None, store.pk, None]
    assert read(folder, "members") == [{"id": m.pk, "home_store_id": m.home_store_id,
                                        "joined_at": Member.objects.get(pk=m.pk).joined_at} for m in rows]
    assert read(folder, "stores") == [{"id": store.pk, "code": "SH01", "timezone": "Asia/Shanghai"}]
    if batch_rows == 2:
        assert pq.ParquetFile(folder / "transactions.parquet").metadata.num_row_groups == 3


def test_an_empty_database_gives_empty_tables_with_their_columns(tmp_path, db):
    folder = write_snapshot(tmp_path / "snap")
    table = pq.read_table(folder / "transactions.parquet")
    assert table.num_rows == 0 and table.schema == snapshot.TABLES["transactions"][1]


def test_a_new_snapshot_replaces_the_old_one_and_leaves_nothing_behind(tmp_path, rows):
    folder = write_snapshot(tmp_path / "snap")
    (folder / "stale.txt").write_text("from an older snapshot")
    Transaction.objects.filter(source_ref="s0").delete()
    write_snapshot(folder)
    assert len(read(folder, "transactions")) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]
    assert sorted(p.name for p in folder.iterdir()) == ["members.parquet", "stores.parquet", "transactions.parquet"]


def test_a_failed_export_keeps_the_previous_snapshot(tmp_path, rows, monkeypatch):
    folder = write_snapshot(tmp_path / "snap")
    Transaction.objects.all().delete()
    real_export = snapshot._export

    def failing(model, schema, path, batch_rows):
        if path.name == "stores.parquet":
            raise OSError("disk full")
        real_export(model, schema, path, batch_rows)

    monkeypatch.setattr(snapshot, "_export", failing)
    with pytest.raises(OSError, match="disk full"):
        write_snapshot(folder)
    assert len(read(folder, "transactions")) == 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["snap"]


def test_default_location_is_under_var(settings, tmp_path, db):
    settings.VAR_DIR = tmp_path
    assert write_snapshot() == tmp_path / "analytics" / "snapshot"
