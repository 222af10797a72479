"""`shequn import-transactions` end to end: the real command on its own SQLite database."""

import sqlite3
import sys
from pathlib import Path

import pytest

from shequn.core.tests.cli import run, shequn


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("shequn-var-tx")
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


def count(var: Path, sql: str) -> int:
    with sqlite3.connect(var / "shequn.sqlite3") as db:
        return db.execute(sql).fetchone()[0]


def transactions(var: Path) -> int:
    return count(var, "SELECT COUNT(*) FROM analytics_transaction")


def csv_file(tmp_path: Path, *lines: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "tx.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def test_bad_file_exits_2_with_line_numbers_and_writes_nothing(var_dir, tmp_path):
    before = transactions(var_dir)
    path = csv_file(tmp_path, "会员编号,交易时间,金额,数量", "C1,2026-01-05,9.9,1", "C1,2026-13-01,9.9,1",
                    "C2,2026-01-05,9.999,1", "C3,2026-01-05,5,-1")
    done = shequn(var_dir, "import-transactions", str(path))
    assert done.returncode == 2
    assert "line 3:" in done.stderr and "2026-13-01" in done.stderr
    assert "line 4:" in done.stderr and "两位小数" in done.stderr
    assert "line 5:" in done.stderr
    assert "line 2:" not in done.stderr
    assert "3 problem(s) found; nothing was imported" in done.stderr
    assert transactions(var_dir) == before
    assert count(var_dir, "SELECT COUNT(*) FROM members_member WHERE external_id LIKE 'C_'") == 0


def test_dry_run_import_and_reimport(var_dir, tmp_path):
    before = transactions(var_dir)
    path = csv_file(tmp_path, "member_external_id,occurred_at,amount,quantity,order_no,store_code",
                    "历史会员1,2025-11-11 20:00,199.00,3,D-1,SH-JA", "历史会员1,2025-11-12,-99.5,-1,D-1,SH-JA",
                    "历史会员2,2025-12-12,88,1,,", encoding="gbk")
    dry = shequn(var_dir, "import-transactions", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would import 3 transaction(s) from 3 row(s); 0 already imported; 2 new member(s)" in dry.stdout
    assert transactions(var_dir) == before

    done = shequn(var_dir, "import-transactions", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported 3 transaction(s) from 3 row(s); 0 already imported; 2 new member(s)" in done.stdout
    assert transactions(var_dir) == before + 3
    assert count(var_dir, "SELECT SUM(amount_fen) FROM analytics_transaction t JOIN members_member m "
                          "ON m.id = t.member_id WHERE m.external_id = '历史会员1'") == 19900 - 9950
    assert count(var_dir, "SELECT COUNT(*) FROM loyalty_pointsentry") == 0

    again = shequn(var_dir, "import-transactions", str(path))
    assert again.returncode == 0, again.stderr
    assert "imported 0 transaction(s) from 3 row(s); 3 already imported; 0 new member(s)" in again.stdout
    assert transactions(var_dir) == before + 3


def test_no_create_members_and_missing_file(var_dir, tmp_path):
    path = csv_file(tmp_path, "member_external_id,occurred_at,amount,quantity", "NOBODY,2026-01-05,1,1")
    done = shequn(var_dir, "import-transactions", str(path), "--no-create-members")
    assert done.returncode == 2 and "line 2:" in done.stderr and "NOBODY" in done.stderr
    missing = shequn(var_dir, "import-transactions", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "No such file" in missing.stderr
    helped = shequn(var_dir, "import-transactions", "--help")
    assert helped.returncode == 0 and "--no-create-members" in helped.stdout and "--dry-run" in helped.stdout
