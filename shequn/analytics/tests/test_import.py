import datetime as dt
import io

import openpyxl
import pytest

from shequn.accounts.roles import Role, permissions_for
from shequn.analytics.importer import import_transactions
from shequn.analytics.models import Transaction
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty.models import LoyaltyAccount, PointsEntry
from shequn.members.models import Member
from shequn.stores.models import Store

pytestmark = pytest.mark.django_db

HEADER = "member_external_id,occurred_at,amount,quantity,order_no,store_code,sku"
UTC = dt.UTC


def write_csv(tmp_path, lines, name="tx.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def errors_by_line(result):
    return {(e.line, e.field): e.message for e in result.errors}


def amounts():
    return sorted(Transaction.objects.values_list("amount_fen", flat=True))


def test_imports_rows_and_creates_members(tmp_path, system_actor, store, member):
    member.external_id = "POS-1"
    member.save()
    path = write_csv(tmp_path, [
        HEADER,
        f"POS-1,2026-03-08 14:05,12.30,2,A-1,{store.code},B-1",
        f"POS-1,2026-03-09,-5,-1,A-1,{store.code},B-1",
        "NEW-7,2025/12/31,8,1,,,",
        f"NEW-7,20251001,0.5,1,,{store.code},",
    ])
    result = import_transactions(system_actor, path)
    assert result.errors == []
    assert (result.rows, result.created, result.skipped_existing, result.members_created) == (4, 4, 0, 1)

    sale = Transaction.objects.get(member=member, amount_fen=1230)
    assert sale.occurred_at == dt.datetime(2026, 3, 8, 6, 5, tzinfo=UTC)  # 14:05 in Shanghai
    assert (sale.quantity, sale.order_no, sale.store, sale.sku, sale.source) == (2, "A-1", store, "B-1", "import")
    refund = Transaction.objects.get(member=member, amount_fen=-500)
    assert refund.quantity == -1 and refund.source_ref != sale.source_ref

    new = Member.objects.get(external_id="NEW-7")
    assert (new.source, new.name, new.phone_hash, new.phone_encrypted) == ("import", "", None, "")
    assert new.joined_at == dt.datetime(2025, 9, 30, 16, 0, tzinfo=UTC)  # the earliest purchase, local midnight
    assert new.home_store == store  # the first store its rows name
    assert sorted(new.transactions.values_list("amount_fen", flat=True)) == [50, 800]
    account = LoyaltyAccount.objects.get(member=new)
    assert account.points_balance == 0 and account.points_earned_total == 0
    assert not PointsEntry.objects.filter(member__in=[member, new]).exists()

    entry = AuditEntry.objects.get(action="analytics.transactions_imported")
    assert entry.after == {"file": "tx.csv", "rows": 4, "created": 4, "skipped_existing": 0, "members_created": 1}
    assert OutboxEvent.objects.filter(topic="analytics.transactions_imported").count() == 1


def test_reimport_changes_nothing_and_identical_rows_are_both_kept(tmp_path, system_actor, store):
    lines = [HEADER, "M1,2026-01-05,9.90,1,,,", "M1,2026-01-05,9.90,1,,,", "M1,2026-01-05 00:00,9.9,1,,,",
             f"M2,2026-01-06,20,2,B-7,{store.code},", f"M2,2026-01-06,20,2,B-7,{store.code},X"]
    path = write_csv(tmp_path, lines)
    first = import_transactions(system_actor, path)
    assert (first.created, first.members_created) == (5, 2)
    assert Transaction.objects.filter(member__external_id="M1").count() == 3
    state = list(Transaction.objects.order_by("pk").values_list("pk", "source_ref", "amount_fen"))
    logged = (AuditEntry.objects.count(), OutboxEvent.objects.count(), Member.objects.count())

    again = import_transactions(system_actor, path)
    assert again.errors == []
    assert (again.created, again.skipped_existing, again.members_created) == (0, 5, 0)
    assert list(Transaction.objects.order_by("pk").values_list("pk", "source_ref", "amount_fen")) == state
    assert (AuditEntry.objects.count(), OutboxEvent.objects.count(), Member.objects.count()) == logged

    # a later export repeating the same rows plus one more adds just the new one
    later = write_csv(tmp_path, [*lines, "M1,2026-01-05,9.90,1,,,"], name="later.csv")
    more = import_transactions(system_actor, later)
    assert (more.created, more.skipped_existing) == (1, 5)
    assert Transaction.objects.filter(member__external_id="M1").count() == 4


def test_dry_run_writes_nothing_and_counts(tmp_path, system_actor):
    path = write_csv(tmp_path, [HEADER, "D1,2026-01-05,1,1,,,", "D2,2026-01-05,2,1,,,"])
    dry = import_transactions(system_actor, path, dry_run=True)
    assert (dry.ok, dry.dry_run, dry.created, dry.members_created) == (True, True, 2, 2)
    assert not Transaction.objects.exists() and not Member.objects.exists()
    assert not AuditEntry.objects.exists()


def test_every_bad_row_is_reported_and_nothing_written(tmp_path, system_actor, store):
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    path = write_csv(tmp_path, [
        HEADER,
        "G1,2026-01-05,10,1,,,",  # good
        ",2026-01-05,10,1,,,",  # 3: no member
        "G1,,10,1,,,",  # 4: no time
        "G1,2026-02-30,10,1,,,",  # 5: no such day
        "G1,yesterday,10,1,,,",  # 6
        f"G1,{future},10,1,,,",  # 7: future
        "G1,2026-01-05,12.345,1,,,",  # 8: three decimals
        "G1,2026-01-05,abc,1,,,",  # 9
        "G1,2026-01-05,,1,,,",  # 10: no amount
        "G1,2026-01-05,10,0,,,",  # 11: zero quantity
        "G1,2026-01-05,10,1.5,,,",  # 12
        "G1,2026-01-05,-10,1,,,",  # 13: refund with positive quantity
        "G1,2026-01-05,10,-1,,,",  # 14: negative quantity on a sale
        "G1,2026-01-05,10,1,,NOPE,",  # 15: unknown store
        f"G1,2026-01-05,10,1,{'X' * 65},,",  # 16: order number too long
        "G1,2026-01-05,10,1,,," + "S" * 41,  # 17: sku too long
        "G1,2026-01-05 25:00,10,1,,,",  # 18: no such hour
        "G2,2026-01-05,10,1,A-9,,",  # 19: good
        "G3,2026-01-05,10,1,A-9,,",  # 20: the same order for someone else
        "G1,2026-01-05,\"1,23,4\",1,,,",  # 21: misplaced separators
        "G1,2026-01-05,200000000,1,,,",  # 22: absurd amount
    ])
    result = import_transactions(system_actor, path)
    errors = errors_by_line(result)
    assert set(errors) == {(3, "external_id"), (4, "occurred_at"), (5, "occurred_at"), (6, "occurred_at"),
                           (7, "occurred_at"), (8, "amount"), (9, "amount"), (10, "amount"), (11, "quantity"),
                           (12, "quantity"), (13, "quantity"), (14, "quantity"), (15, "store_code"),
                           (16, "order_no"), (17, "sku"), (18, "occurred_at"), (20, "order_no"), (21, "amount"),
                           (22, "amount")}
    assert "两位小数" in errors[(8, "amount")] and "在未来" in errors[(7, "occurred_at")]
    assert "第 19 行" in errors[(20, "order_no")] and "NOPE" in errors[(15, "store_code")]
    assert "2026-02-30" in errors[(5, "occurred_at")]
    assert [e.line for e in result.errors] == sorted(e.line for e in result.errors)
    assert str(result.errors[0]).startswith("第 3 行：")
    assert not Transaction.objects.exists() and not Member.objects.exists() and not AuditEntry.objects.exists()


@pytest.mark.parametrize(("lines", "expected"), [
    (["member_external_id,occurred_at,amount"], "数量"),
    (["会员编号,交易时间,金额,数量,金额"], "出现了两次"),
    (["member_external_id,occurred_at,amount,quantity"], "没有交易数据"),
    ([""], "文件是空的"),
])
def test_bad_files(tmp_path, system_actor, lines, expected):
    result = import_transactions(system_actor, write_csv(tmp_path, lines))
    assert not result.ok and expected in result.errors[0].message


def test_not_a_table(tmp_path, system_actor):
    path = tmp_path / "x.csv"
    path.write_bytes(b"\x00\x01\x02binary")
    assert "不是 CSV" in import_transactions(system_actor, path).errors[0].message
    missing = import_transactions(system_actor, tmp_path / "missing.csv")
    assert "无法读取文件" in missing.errors[0].message


def test_no_create_members_makes_unknown_ids_line_errors(tmp_path, system_actor, member):
    member.external_id = "KNOWN"
    member.save()
    path = write_csv(tmp_path, [HEADER, "KNOWN,2026-01-05,1,1,,,", "WHO,2026-01-05,2,1,,,", "WHO,2026-01-06,3,1,,,"])
    result = import_transactions(system_actor, path, create_members=False)
    assert [(e.line, e.field) for e in result.errors] == [(3, "external_id"), (4, "external_id")]
    assert "WHO" in result.errors[0].message
    assert not Transaction.objects.exists() and Member.objects.count() == 1


@pytest.mark.parametrize(("raw", "fen"), [
    ("0.1", 10), ("0.2", 20), ("0.30", 30), ("12.3", 1230), ("-0.01", -1), ("1,234.50", 123450),
    ("¥8.80", 880), ("1234567.89", 123456789), ("0", 0), ("100", 10000),
])
def test_amounts_become_exact_fen(tmp_path, system_actor, raw, fen):
    quantity = -1 if fen < 0 else 1
    path = write_csv(tmp_path, [HEADER, f'A1,2026-01-05,"{raw}",{quantity},,,'])
    result = import_transactions(system_actor, path)
    assert result.errors == [] and amounts() == [fen]


def test_time_zones(tmp_path, system_actor, store):
    Store.objects.create(code="NY01", name="纽约店", timezone="America/New_York")
    path = write_csv(tmp_path, [
        HEADER,
        "T1,2026-07-01 09:30,1,1,,,",  # Shanghai (the default)
        f"T1,2026-07-01 09:30,2,1,,{store.code},",  # Shanghai store
        "T1,2026-07-01 09:30,3,1,,NY01,",  # New York store, summer time
        "T1,2026-01-15,4,1,,NY01,",  # a date: the start of that day in New York, winter
        "T1,2026-07-01T09:30:00+00:00,5,1,,NY01,",  # an explicit offset wins
        "T1,2026/7/1 9:30:15,6,1,,,",
        "T1,2026年7月1日,7,1,,,",
    ])
    result = import_transactions(system_actor, path)
    assert result.errors == []
    at = dict(Transaction.objects.values_list("amount_fen", "occurred_at"))
    assert at[100] == at[200] == dt.datetime(2026, 7, 1, 1, 30, tzinfo=UTC)
    assert at[300] == dt.datetime(2026, 7, 1, 13, 30, tzinfo=UTC)
    assert at[400] == dt.datetime(2026, 1, 15, 5, 0, tzinfo=UTC)
    assert at[500] == dt.datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert at[600] == dt.datetime(2026, 7, 1, 1, 30, 15, tzinfo=UTC)
    assert at[700] == dt.datetime(2026, 6, 30, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_encodings_with_chinese_headers(tmp_path, system_actor, store, encoding):
    path = write_csv(tmp_path, ["会员编号,交易时间,实付金额,数量,订单号,门店编码,商品编码",
                                f"会员甲,2026-01-05 10:00,39.90,2,单001,{store.code},草莓"], encoding=encoding)
    result = import_transactions(system_actor, path)
    assert result.errors == []
    tx = Transaction.objects.get()
    assert (tx.member.external_id, tx.amount_fen, tx.order_no, tx.sku) == ("会员甲", 3990, "单001", "草莓")


def test_xlsx_with_native_cells(tmp_path, system_actor):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["member_external_id", "occurred_at", "amount", "quantity"])
    sheet.append([10086, dt.datetime(2026, 1, 5, 20, 15), 0.1 + 0.2, 3.0])  # 0.30000000000000004
    sheet.append(["X-2", dt.date(2026, 1, 6), 12, 1])
    sheet.append(["X-3", "2026-01-07", "5.5", "1"])
    path = tmp_path / "tx.xlsx"
    book.save(path)
    result = import_transactions(system_actor, path)
    assert result.errors == []
    rows = dict(Transaction.objects.values_list("member__external_id", "amount_fen"))
    assert rows == {"10086": 30, "X-2": 1200, "X-3": 550}
    assert Transaction.objects.get(member__external_id="10086").occurred_at == dt.datetime(2026, 1, 5, 12, 15,
                                                                                           tzinfo=UTC)


def test_xlsx_bad_cells_have_sheet_row_numbers(tmp_path, system_actor):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["会员编号", "日期", "金额", "数量"])
    sheet.append(["X-1", dt.date(2026, 1, 6), 12.345, 1])
    sheet.append(["X-1", "not a date", 12, 1])
    path = tmp_path / "tx.xlsx"
    book.save(path)
    result = import_transactions(system_actor, path)
    assert set(errors_by_line(result)) == {(2, "amount"), (3, "occurred_at")}


def test_file_object_upload(system_actor):
    data = io.BytesIO(f"{HEADER}\nU1,2026-01-05,1.5,1,,,\n".encode())
    result = import_transactions(system_actor, data, file_name="upload.csv")
    assert result.errors == [] and amounts() == [150]


def test_permission_and_store_scope(tmp_path, store, other_store):
    path = write_csv(tmp_path, [HEADER, f"S1,2026-01-05,1,1,,{store.code},", f"S1,2026-01-05,2,1,,{other_store.code},",
                                "S1,2026-01-05,3,1,,,"])
    analyst = Actor(kind="staff", id="a", label="a", role=Role.ANALYST, permissions=permissions_for(Role.ANALYST))
    with pytest.raises(PermissionDenied):
        import_transactions(analyst, path)
    manager = Actor(kind="staff", id="m", label="m", role=Role.STORE_MANAGER, store_ids=frozenset({store.pk}),
                    permissions=permissions_for(Role.STORE_MANAGER))
    result = import_transactions(manager, path)
    assert set(errors_by_line(result)) == {(3, "store_code"), (4, "store_code")}
    assert not Transaction.objects.exists()
    ok = write_csv(tmp_path, [HEADER, f"S1,2026-01-05,1,1,,{store.code},"], name="ok.csv")
    assert import_transactions(manager, ok).created == 1
    assert Member.objects.get(external_id="S1").home_store == store


def test_progress_reaches_the_total(tmp_path, system_actor):
    path = write_csv(tmp_path, [HEADER] + [f"P{i % 7},2026-01-05,{i}.5,1,,," for i in range(12_000)])
    seen = []
    result = import_transactions(system_actor, path, progress=lambda done, total: seen.append((done, total)))
    assert result.created == 12_000 and result.members_created == 7
    assert seen[-1] == (24_000, 24_000) and seen == sorted(seen)



def test_a_member_race_is_retried_then_reported(tmp_path, system_actor, monkeypatch):
    from django.db import IntegrityError

    from shequn.analytics import importer

    real = importer.create_members
    calls = []

    def losing(times):
        def create(*args, **kwargs):
            calls.append(1)
            if len(calls) <= times:
                raise IntegrityError("UNIQUE constraint failed: members_member.external_id")
            return real(*args, **kwargs)
        return create

    path = write_csv(tmp_path, [HEADER, "R1,2026-01-05,1,1,,,"])
    monkeypatch.setattr(importer, "create_members", losing(2))
    assert import_transactions(system_actor, path).created == 1 and len(calls) == 3

    Transaction.objects.all().delete()
    Member.objects.all().delete()
    calls.clear()
    monkeypatch.setattr(importer, "create_members", losing(99))
    lost = import_transactions(system_actor, path)
    assert not lost.ok and "重新导入" in lost.errors[0].message and lost.created == 0
    assert not Transaction.objects.exists() and not Member.objects.exists()


def test_small_file_after_a_large_import_finds_its_rows(tmp_path, system_actor):
    rows = [f"L{i},2026-01-{1 + i % 28:02d},{i}.10,1,,," for i in range(40)]
    assert import_transactions(system_actor, write_csv(tmp_path, [HEADER, *rows])).created == 40
    small = write_csv(tmp_path, [HEADER, rows[7], "L99,2026-01-05,1,1,,,"], name="small.csv")
    result = import_transactions(system_actor, small)  # 40 imported > 4 × 2 rows: looked up, not scanned
    assert (result.created, result.skipped_existing) == (1, 1)
    assert Transaction.objects.count() == 41
