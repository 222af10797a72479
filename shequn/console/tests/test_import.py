"""The upload page hands the file to shequn.members.importer.import_members."""

import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db
URL = reverse("console:member_import")
CSV = "手机号,姓名\n13800138000,张三\n".encode()


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class Result:
    total: int
    created: int
    errors: list = field(default_factory=list)


@pytest.fixture
def importer(monkeypatch):
    """Stands in for the importer module to check what the page passes and shows."""
    calls = []
    outcome = {"result": Result(total=1, created=1)}

    def import_members(path, *, store_code, dry_run, actor, progress, file_name=None):
        calls.append({"path": Path(path), "content": Path(path).read_bytes(), "store_code": store_code,
                      "dry_run": dry_run, "actor": actor, "progress": progress, "file_name": file_name})
        return outcome["result"]

    module = types.ModuleType("shequn.members.importer")
    module.import_members = import_members
    monkeypatch.setitem(sys.modules, "shequn.members.importer", module)
    return types.SimpleNamespace(calls=calls, outcome=outcome)


def upload(name="members.csv", content=CSV):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_upload_is_saved_and_passed_to_the_importer(owner, store, importer):
    importer.outcome["result"] = Result(total=120, created=120)
    r = owner.post(URL, {"file": upload(), "store": "SH01"})
    html = r.content.decode()
    assert "导入成功：新增 120 位会员" in html
    call, = importer.calls
    assert call["content"] == CSV and call["path"].suffix == ".csv"
    assert call["store_code"] == "SH01" and call["dry_run"] is False and call["progress"] is None
    assert call["file_name"] == "members.csv"
    assert call["actor"].label == "owner_console" and call["actor"].can("members.import")
    assert not call["path"].exists()  # the temporary copy is removed afterwards


def test_dry_run_reports_check_only(owner, store, importer):
    r = owner.post(URL, {"file": upload("m.xlsx", b"PK\x03\x04"), "store": "", "dry_run": "on"})
    assert importer.calls[0]["dry_run"] is True and importer.calls[0]["store_code"] is None
    assert importer.calls[0]["path"].suffix == ".xlsx"
    assert "检查通过" in r.content.decode()


def test_row_errors_are_listed_with_line_numbers(owner, store, importer):
    importer.outcome["result"] = Result(total=3, created=0, errors=[
        RowError(2, "手机号格式不对：1380013"), RowError(4, "与第 3 行手机号重复")])
    html = owner.post(URL, {"file": upload(), "store": "SH01"}).content.decode()
    assert "发现 2 个问题，没有导入任何会员" in html
    assert "<td class=\"num\">2</td><td>手机号格式不对：1380013</td>" in html
    assert "与第 3 行手机号重复" in html


def test_whole_file_errors_have_no_line_number(owner, store, importer):
    importer.outcome["result"] = Result(total=0, created=0, errors=[RowError(0, "无法识别文件编码")])
    html = owner.post(URL, {"file": upload(), "store": "SH01"}).content.decode()
    assert '<td class="num">整个文件</td><td>无法识别文件编码</td>' in html


def test_wrong_file_type_is_refused(owner, store, importer):
    r = owner.post(URL, {"file": upload("members.pdf", b"%PDF"), "store": "SH01"})
    assert "只支持 .csv 和 .xlsx 文件" in r.content.decode()
    assert importer.calls == []


def test_missing_file_is_refused(owner, store, importer):
    assert "请选择要导入的文件" in owner.post(URL, {"store": "SH01"}).content.decode()
    assert importer.calls == []


def test_store_manager_must_import_into_own_store(console_as, store, other_store, importer):
    client = console_as("store_manager", stores=["SH01"])
    html = client.get(URL).content.decode()
    assert "上海静安店" in html and "北京朝阳店" not in html
    r = client.post(URL, {"file": upload(), "store": "BJ01"})
    assert "请从列表中选择门店" in r.content.decode()
    r = client.post(URL, {"file": upload()})
    assert "请选择门店" in r.content.decode()
    assert importer.calls == []
    client.post(URL, {"file": upload(), "store": "SH01"})
    assert importer.calls[0]["store_code"] == "SH01"


def test_roles_without_import_get_403(console_as, importer):
    r = console_as("analyst").post(URL, {"file": upload()})
    assert r.status_code == 403 and importer.calls == []


def test_page_says_so_when_the_importer_is_missing(owner, store, monkeypatch):
    monkeypatch.setitem(sys.modules, "shequn.members.importer", None)  # import raises ImportError
    r = owner.post(URL, {"file": upload(), "store": "SH01"})
    assert "导入模块暂不可用" in r.content.decode()


class TestWithTheRealImporter:
    """End to end through shequn.members.importer (skipped until it is installed)."""

    @pytest.fixture(autouse=True)
    def real_importer(self):
        pytest.importorskip("shequn.members.importer")

    def test_valid_file_creates_members(self, owner, store):
        from shequn.members.models import Member

        content = "手机号,姓名\n13800138001,张三\n13800138002,李四\n".encode()
        html = owner.post(URL, {"file": upload(content=content), "store": "SH01"}).content.decode()
        assert "导入成功：新增 2 位会员" in html
        assert Member.objects.filter(home_store=store).count() == 2

    def test_unreadable_file_is_reported(self, owner, store):
        html = owner.post(URL, {"file": upload("m.xlsx", b"not a spreadsheet"), "store": "SH01"}).content.decode()
        assert "没有导入任何会员" in html and "表头缺少" in html

    def test_bad_rows_write_nothing(self, owner, store):
        from shequn.members.models import Member

        content = "手机号,姓名\n13800138001,张三\n12345,李四\n".encode()
        html = owner.post(URL, {"file": upload(content=content), "store": "SH01"}).content.decode()
        assert "没有导入任何会员" in html and '<td class="num">3</td>' in html
        assert Member.objects.count() == 0

    def test_dry_run_writes_nothing(self, owner, store):
        from shequn.members.models import Member

        content = "手机号,姓名\n13800138001,张三\n".encode()
        html = owner.post(URL, {"file": upload(content=content), "store": "SH01", "dry_run": "on"}).content.decode()
        assert "检查通过" in html
        assert Member.objects.count() == 0
