"""`shequn import-members` and `shequn demo` end to end: the real commands on their own SQLite database."""

import sqlite3
import sys
from pathlib import Path

import pytest

from shequn.core.tests.cli import run, shequn


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("shequn-var")
    done = shequn(path, "migrate")
    assert done.returncode == 0, done.stderr
    store = run(path, [sys.executable, "-c", CREATE_STORE])
    assert store.returncode == 0, store.stderr
    return path


CREATE_STORE = """
import django; django.setup()
from shequn.core.actor import SYSTEM
from shequn.stores.services import create_store
create_store(SYSTEM, code="SH-JA", name="上海静安店", city="上海")
"""


def members_in(var: Path) -> int:
    with sqlite3.connect(var / "shequn.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM members_member").fetchone()[0]


def csv_file(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "members.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_bad_file_exits_1_with_line_numbers_and_writes_nothing(var_dir, tmp_path):
    before = members_in(var_dir)
    path = csv_file(tmp_path, "手机号,姓名,生日", "13611112222,张伟,1990-01-02", "12345,李娜,",
                    "13611112222,王芳,", "13611113333,赵敏,1990-02-30")
    done = shequn(var_dir, "import-members", str(path))
    assert done.returncode == 1
    assert "line 3:" in done.stderr and "12345" in done.stderr
    assert "line 4:" in done.stderr and "第 2 行" in done.stderr
    assert "line 5:" in done.stderr and "1990-02-30" in done.stderr
    assert "line 2:" not in done.stderr
    assert "3 problem(s) found; nothing was imported" in done.stderr
    assert members_in(var_dir) == before


def test_dry_run_then_import(var_dir, tmp_path):
    before = members_in(var_dir)
    path = csv_file(tmp_path, "手机号,姓名,性别,标签", "13622223333,欧阳娜娜,女,宝妈、上班族",
                    "13622224444,诸葛亮,男,", encoding="gbk")
    dry = shequn(var_dir, "import-members", str(path), "--store", "SH-JA", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import 2 member(s) from 2 row(s)" in dry.stdout
    assert members_in(var_dir) == before

    done = shequn(var_dir, "import-members", str(path), "--store", "SH-JA")
    assert done.returncode == 0, done.stderr
    assert "imported 2 member(s) from 2 row(s)" in done.stdout
    assert members_in(var_dir) == before + 2
    with sqlite3.connect(var_dir / "shequn.sqlite3") as db:
        names = {r[0] for r in db.execute(
            "SELECT m.name FROM members_member m JOIN stores_store s ON s.id = m.home_store_id "
            "WHERE s.code = 'SH-JA' AND m.source = 'import'")}
    assert {"欧阳娜娜", "诸葛亮"} <= names

    again = shequn(var_dir, "import-members", str(path), "--store", "SH-JA")
    assert again.returncode == 1
    assert "line 2:" in again.stderr and "line 3:" in again.stderr and "已是会员" in again.stderr
    assert members_in(var_dir) == before + 2


def test_unknown_store_and_missing_file(var_dir, tmp_path):
    path = csv_file(tmp_path, "phone", "13633334444")
    unknown = shequn(var_dir, "import-members", str(path), "--store", "NOPE")
    assert unknown.returncode == 1 and "NOPE" in unknown.stderr
    missing = shequn(var_dir, "import-members", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "No such file" in missing.stderr


def test_demo_twice_loads_once(tmp_path):
    var = tmp_path / "var"
    first = shequn(var, "demo", "--no-serve", "--members", "40", "--port", "8123")
    assert first.returncode == 0, first.stderr
    for expected in ("http://127.0.0.1:8123/console/", "http://127.0.0.1:8123/m/", "/m/dev/inbox/",
                     "manager_sh", "shequn-demo", "13800138000"):
        assert expected in first.stdout
    with sqlite3.connect(var / "shequn.sqlite3") as db:
        before = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("members_member", "loyalty_pointsentry", "loyalty_purchase", "accounts_staffuser",
                                "stores_store", "core_auditentry")]
    assert before[0] == 40 and before[3] == 6 and before[4] == 4  # three stores and the central warehouse

    second = shequn(var, "demo", "--no-serve", "--members", "40")
    assert second.returncode == 0, second.stderr
    assert "already loaded" in second.stdout
    with sqlite3.connect(var / "shequn.sqlite3") as db:
        after = [db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                 for table in ("members_member", "loyalty_pointsentry", "loyalty_purchase", "accounts_staffuser",
                               "stores_store", "core_auditentry")]
    assert after == before
    ledgers = shequn(var, "check-ledgers")
    assert ledgers.returncode == 0 and "40 balance(s) match" in ledgers.stdout
