import datetime as dt

import openpyxl
import pytest
from django.utils import timezone

from shequn.accounts.roles import Role, permissions_for
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty.models import LoyaltyAccount, TierChange
from shequn.members.importer import import_members
from shequn.members.models import Member, Tag
from shequn.members.services import phone_fields

pytestmark = pytest.mark.django_db

HEADER = "phone,name,birthday,gender,store_code,external_id,tags"


def write_csv(tmp_path, lines, name="members.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def run(path, actor, **kwargs):
    kwargs.setdefault("store_code", None)
    kwargs.setdefault("dry_run", False)
    return import_members(path, actor=actor, progress=None, **kwargs)


def errors_by_line(result):
    return {(e.line, e.field): e.message for e in result.errors}


def test_imports_every_column(tmp_path, system_actor, store):
    path = write_csv(tmp_path, [
        HEADER,
        f"13812345678,张伟,1990-01-02,男,{store.code},POS-1,\"宝妈,上班族\"",
        "13912345678,王芳,1985/3/4,female,,POS-2,学生；健身|咖啡控、上班族",
        "+86 186 1234 5678,李娜,19921231,F,,,",
    ])
    result = run(path, system_actor)
    assert result.errors == []
    assert (result.total, result.created) == (3, 3)

    zhang = Member.objects.get(external_id="POS-1")
    assert zhang.name == "张伟" and zhang.phone == "13812345678" and zhang.phone_masked == "138****5678"
    assert zhang.birthday == dt.date(1990, 1, 2) and zhang.gender == Member.Gender.MALE
    assert zhang.home_store == store and zhang.source == Member.Source.IMPORT
    assert abs(zhang.joined_at - timezone.now()) < dt.timedelta(minutes=1)
    assert sorted(zhang.tags.values_list("name", flat=True)) == ["上班族", "宝妈"]
    wang = Member.objects.get(external_id="POS-2")
    assert wang.birthday == dt.date(1985, 3, 4) and wang.home_store is None
    assert sorted(wang.tags.values_list("name", flat=True)) == ["上班族", "健身", "咖啡控", "学生"]
    li = Member.objects.get(phone_hash=phone_fields("18612345678")["phone_hash"])
    assert li.birthday == dt.date(1992, 12, 31) and li.gender == Member.Gender.FEMALE and li.external_id is None
    assert Tag.objects.filter(name="上班族").count() == 1

    accounts = LoyaltyAccount.objects.filter(member__source=Member.Source.IMPORT).select_related("tier")
    assert accounts.count() == 3
    assert {a.tier.rank for a in accounts} == {0} and {a.points_balance for a in accounts} == {0}
    assert all(abs(a.tier_since - zhang.joined_at) < dt.timedelta(seconds=1) for a in accounts)
    assert TierChange.objects.filter(member__in=[zhang, wang, li], reason="入会", from_tier=None).count() == 3
    numbers = sorted(Member.objects.values_list("member_no", flat=True))
    assert len(set(numbers)) == 3 and all(n.startswith("M") for n in numbers)


def test_one_audit_entry_and_one_event(tmp_path, system_actor):
    path = write_csv(tmp_path, ["手机号,姓名"] + [f"1381234{i:04d},会员{i}" for i in range(50)])
    result = run(path, system_actor)
    assert result.created == 50
    audit = AuditEntry.objects.filter(action="members.imported")
    assert audit.count() == 1 and audit.get().after["count"] == 50 and audit.get().after["file"] == "members.csv"
    assert AuditEntry.objects.exclude(action="members.imported").count() == 0
    events = OutboxEvent.objects.filter(topic="members.imported")
    assert events.count() == 1 and events.get().payload["count"] == 50
    assert OutboxEvent.objects.exclude(topic="members.imported").count() == 0


def test_chinese_header_and_unknown_columns_ignored(tmp_path, system_actor, store):
    path = write_csv(tmp_path, [
        "会员编号,姓名,手机号,性别,生日,门店编码,标签,备注",
        f"A001,赵敏,13712345678,女,1995年6月7日,{store.code},学生,随便写点什么",
    ])
    result = run(path, system_actor)
    assert result.errors == [] and result.created == 1
    member = Member.objects.get(external_id="A001")
    assert (member.name, member.gender, member.birthday) == ("赵敏", "female", dt.date(1995, 6, 7))
    assert member.home_store == store


def test_each_error_kind_with_its_line(tmp_path, system_actor, store, make_member):
    make_member(phone="13700000001", external_id="EXIST-1")
    path = write_csv(tmp_path, [
        HEADER,
        "13812345678,好行,1990-01-02,男,,,",  # line 2: fine
        "123,坏号码,,,,,",  # 3: bad phone
        "13812345678,重复,,,,,",  # 4: duplicate of line 2
        "13700000001,库里已有,,,,,",  # 5: in the database
        "13912345678,坏日期,1990-13-45,,,,",  # 6: bad date
        "13912345679,没门店,,,NOPE,,",  # 7: unknown store
        "13912345680,坏性别,,X,,,",  # 8: bad gender
        "13912345681,外部号重复,,,,EXIST-1,",  # 9: external id in the database
        ",,,,,,",  # 10: blank line, skipped
        ",没有手机,,,,,",  # 11: neither phone nor external id
        "13912345682,外部号,,,,E-9,",  # 12
        "13912345683,外部号重复文件,,,,E-9,",  # 13: external id duplicate in file
        f"13912345684,未来生日,{dt.date.today() + dt.timedelta(days=3):%Y-%m-%d},,,,",  # 14
    ])
    result = run(path, system_actor)
    errors = errors_by_line(result)
    assert set(errors) == {(3, "phone"), (4, "phone"), (5, "phone"), (6, "birthday"), (7, "store_code"),
                           (8, "gender"), (9, "external_id"), (11, "phone"), (13, "external_id"),
                           (14, "birthday")}
    assert "123" in errors[(3, "phone")]
    assert "第 2 行" in errors[(4, "phone")]
    assert "已是会员" in errors[(5, "phone")]
    assert "1990-13-45" in errors[(6, "birthday")]
    assert "NOPE" in errors[(7, "store_code")]
    assert "X" in errors[(8, "gender")]
    assert "第 12 行" in errors[(13, "external_id")]
    assert "未来" in errors[(14, "birthday")]
    assert str(result.errors[0]).startswith("第 3 行：")
    assert result.total == 12 and result.created == 0
    assert Member.objects.count() == 1


def test_one_bad_row_writes_nothing(tmp_path, system_actor):
    lines = ["phone,name"] + [f"1381234{i:04d},会员{i}" for i in range(300)]
    lines[151] = "1381234,坏号码"
    result = run(write_csv(tmp_path, lines), system_actor)
    assert [(e.line, e.field) for e in result.errors] == [(152, "phone")]
    assert Member.objects.count() == 0 and LoyaltyAccount.objects.count() == 0
    assert Tag.objects.count() == 0 and AuditEntry.objects.count() == 0 and OutboxEvent.objects.count() == 0


def test_dry_run_writes_nothing(tmp_path, system_actor):
    path = write_csv(tmp_path, ["phone,name,tags", "13812345678,张伟,宝妈", "13812345679,李娜,学生"])
    result = run(path, system_actor, dry_run=True)
    assert result.errors == [] and (result.total, result.created, result.dry_run) == (2, 2, True)
    assert Member.objects.count() == 0 and Tag.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_dry_run_reports_errors_too(tmp_path, system_actor):
    path = write_csv(tmp_path, ["phone,name", "13812345678,张伟", "abc,李娜"])
    result = run(path, system_actor, dry_run=True)
    assert [(e.line, e.field) for e in result.errors] == [(3, "phone")] and result.created == 0


def test_reimporting_reports_duplicates_in_database(tmp_path, system_actor):
    path = write_csv(tmp_path, ["phone,name,external_id", "13812345678,张伟,X1", "13812345679,李娜,"])
    assert run(path, system_actor).created == 2
    again = run(path, system_actor)
    assert again.created == 0
    assert {(e.line, e.field) for e in again.errors} == {(2, "phone"), (2, "external_id"), (3, "phone")}
    assert all("已" in e.message for e in again.errors)
    assert Member.objects.count() == 2


def test_gbk_csv(tmp_path, system_actor):
    path = write_csv(tmp_path, ["手机号,姓名,性别,标签", "13812345678,欧阳娜娜,女,宝妈、上班族",
                                "13812345679,诸葛亮,男,老年"], encoding="gbk")
    result = run(path, system_actor)
    assert result.errors == [] and result.created == 2
    assert Member.objects.filter(name="欧阳娜娜", gender="female").exists()
    assert set(Tag.objects.values_list("name", flat=True)) == {"宝妈", "上班族", "老年"}


def test_utf8_bom_csv(tmp_path, system_actor):
    path = write_csv(tmp_path, ["手机号,姓名", "13812345678,张伟"], encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    result = run(path, system_actor)
    assert result.errors == [] and Member.objects.get().name == "张伟"


def test_semicolon_separated_csv(tmp_path, system_actor):
    path = write_csv(tmp_path, ["手机号;姓名;标签", "13812345678;张伟;宝妈,学生"])
    result = run(path, system_actor)
    assert result.errors == [] and Member.objects.get().name == "张伟"
    assert set(Member.objects.get().tags.values_list("name", flat=True)) == {"宝妈", "学生"}


def test_xlsx_with_excel_dates_numbers_and_sheet_row_numbers(tmp_path, system_actor, store):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["手机号", "姓名", "生日", "性别", "门店编码"])
    sheet.append([13812345678, "张伟", dt.datetime(1990, 1, 2), "男", store.code])
    sheet.append([])
    sheet.append(["13812345679", "李娜", "1991/2/3", "女", store.code])
    sheet.append([13812345680, "王芳", 33000, "F", None])  # birthday as an Excel serial number
    path = tmp_path / "members.xlsx"
    book.save(path)
    result = run(path, system_actor)
    assert result.errors == [] and result.created == 3
    assert Member.objects.get(name="张伟").birthday == dt.date(1990, 1, 2)
    assert Member.objects.get(name="李娜").birthday == dt.date(1991, 2, 3)
    assert Member.objects.get(name="王芳").birthday == dt.date(1990, 5, 7)

    sheet.append([12345, "坏号码", None, None, None])  # row 6 of the sheet
    sheet.append([13812345681, "坏日期", "yesterday", None, None])
    book.save(path)
    bad = run(path, system_actor)
    assert {(e.line, e.field) for e in bad.errors} == {
        (2, "phone"), (4, "phone"), (5, "phone"), (6, "phone"), (7, "birthday")}


def test_missing_phone_and_external_id_columns_is_one_clear_error(tmp_path, system_actor):
    path = write_csv(tmp_path, ["姓名,生日", "张伟,1990-01-02", "李娜,1991-01-02"])
    result = run(path, system_actor)
    assert len(result.errors) == 1
    assert result.errors[0].line == 1 and "手机号" in result.errors[0].message


def test_external_id_column_without_phone_column(tmp_path, system_actor):
    result = run(write_csv(tmp_path, ["会员编号,姓名", "OLD-1,张伟"]), system_actor)
    assert result.errors == [] and Member.objects.get().external_id == "OLD-1"


def test_unreadable_and_empty_files(tmp_path, system_actor):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = write_csv(tmp_path, ["phone,name"], name="header.csv")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    for path in (empty, header_only, broken):
        result = run(path, system_actor)
        assert len(result.errors) == 1 and result.created == 0, path
    assert Member.objects.count() == 0


def test_unknown_default_store(tmp_path, system_actor):
    result = run(write_csv(tmp_path, ["phone", "13812345678"]), system_actor, store_code="NOPE")
    assert len(result.errors) == 1 and "NOPE" in result.errors[0].message


def test_default_store_applies_to_rows_without_one(tmp_path, system_actor, store, other_store):
    path = write_csv(tmp_path, ["phone,store_code", "13812345678,", f"13812345679,{other_store.code}"])
    assert run(path, system_actor, store_code=store.code).created == 2
    assert Member.objects.get(phone_masked="138****5678").home_store == store
    assert Member.objects.get(phone_masked="138****5679").home_store == other_store


def manager_of(store):
    return Actor(kind="staff", id="9", label="manager", role=Role.STORE_MANAGER, store_ids=frozenset({store.pk}),
                 permissions=permissions_for(Role.STORE_MANAGER))


def test_store_manager_imports_only_into_their_stores(tmp_path, store, other_store):
    manager = manager_of(store)
    path = write_csv(tmp_path, ["phone,store_code", f"13812345678,{store.code}", f"13812345679,{other_store.code}",
                                "13812345680,"])
    result = run(path, manager)
    assert {(e.line, e.field) for e in result.errors} == {(3, "store_code"), (4, "store_code")}
    assert Member.objects.count() == 0

    outside = run(write_csv(tmp_path, ["phone", "13812345678"], name="b.csv"), manager,
                  store_code=other_store.code)
    assert len(outside.errors) == 1 and other_store.code in outside.errors[0].message

    no_store = run(write_csv(tmp_path, ["phone", "13812345678"], name="c.csv"), manager)
    assert len(no_store.errors) == 1 and no_store.errors[0].field == "store_code"

    ok = run(write_csv(tmp_path, ["phone", "13812345678"], name="d.csv"), manager, store_code=store.code)
    assert ok.errors == [] and Member.objects.get().home_store == store


def test_role_without_import_permission_is_refused(tmp_path, store):
    analyst = Actor(kind="staff", id="7", label="analyst", role=Role.ANALYST,
                    permissions=permissions_for(Role.ANALYST))
    with pytest.raises(PermissionDenied):
        run(write_csv(tmp_path, ["phone", "13812345678"]), analyst)


def test_progress_is_reported(tmp_path, system_actor):
    calls = []
    path = write_csv(tmp_path, ["phone"] + [f"1381234{i:04d}" for i in range(2500)])
    result = import_members(path, store_code=None, dry_run=False, actor=system_actor,
                            progress=lambda done, total: calls.append((done, total)))
    assert result.created == 2500
    assert calls[0] == (1000, 5000) and calls[-1] == (5000, 5000)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_fast_phone_check_agrees_with_phonenumbers():
    import random

    from shequn.core.phones import InvalidPhone, normalise_cn_mobile
    from shequn.members.import_fields import BadValue, parse_phone

    rng = random.Random(42)
    for _ in range(3000):
        number = "1" + f"{rng.randrange(10**10):010d}"
        try:
            expected = normalise_cn_mobile(number)
        except InvalidPhone:
            expected = None
        try:
            got = parse_phone(number)
        except BadValue:
            got = None
        assert got == expected, number
