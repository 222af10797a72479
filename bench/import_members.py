"""Member import throughput: N rows (default 100,000) into a fresh SQLite database.

Prints rows/s of the real import beside two references measured in the same run:
checking the same file without writing (dry run) and a raw sqlite3 executemany
INSERT of the same rows into a bare table. Printed, not asserted.

    .venv/bin/python bench/import_members.py [--rows N] [--keep]
"""

import argparse
import csv
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
            "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
            "182", "183", "185", "186", "187", "188", "189", "191", "198", "199"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀英", "霞", "平", "刚", "桂英", "子轩", "欣怡", "浩然", "梓涵", "雨桐", "宇航"]
TAGS = ["宝妈", "上班族", "学生", "老年", "健身", "咖啡控"]


def make_csv(path: Path, rows: int, seed: int = 20261123) -> None:
    rng = random.Random(seed)
    phones: set[str] = set()
    while len(phones) < rows:
        phones.add(rng.choice(PREFIXES) + f"{rng.randrange(10**8):08d}")
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["手机号", "姓名", "生日", "性别", "门店编码", "会员编号", "标签"])
        for i, phone in enumerate(sorted(phones, key=lambda _: rng.random())):
            birthday = f"{rng.randint(1955, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            tags = "、".join(rng.sample(TAGS, rng.choice([0, 0, 1, 1, 2])))
            out.writerow([phone, rng.choice(SURNAMES) + rng.choice(GIVEN), birthday, rng.choice("男女"),
                          rng.choice(["BENCH-A", "BENCH-B", ""]), f"POS{i:07d}", tags])


def raw_insert(path: Path, db_path: Path) -> float:
    """The floor: the same rows straight into a bare table with sqlite3.executemany."""
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))[1:]
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE m (phone TEXT UNIQUE, name TEXT, birthday TEXT, gender TEXT, store TEXT, "
                 "external_id TEXT UNIQUE, tags TEXT)")
    started = time.perf_counter()
    with conn:
        conn.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary directory.")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="shequn-bench-import-"))
    os.environ["SHEQUN_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"
    import django

    django.setup()
    from django.core.management import call_command

    from shequn.core.actor import Actor
    from shequn.loyalty.services import ensure_default_tiers, program
    from shequn.members import import_fields as fields
    from shequn.members.importer import import_members
    from shequn.members.models import Member
    from shequn.stores.models import Store

    try:
        call_command("migrate", interactive=False, verbosity=0)
        ensure_default_tiers()
        program()
        Store.objects.create(code="BENCH-A", name="基准测试A店", city="上海")
        Store.objects.create(code="BENCH-B", name="基准测试B店", city="杭州")
        csv_path = tmp / "members.csv"
        make_csv(csv_path, args.rows)
        actor = Actor(kind="system", id="bench", label="bench",
                      permissions=frozenset({"members.write", "members.import"}))

        fields._segments.clear()  # both timed runs start without the phone-range cache
        started = time.perf_counter()
        checked = import_members(csv_path, store_code=None, dry_run=True, actor=actor, progress=None)
        check_s = time.perf_counter() - started
        assert checked.ok, checked.errors[:5]

        fields._segments.clear()
        started = time.perf_counter()
        result = import_members(csv_path, store_code=None, dry_run=False, actor=actor, progress=None)
        import_s = time.perf_counter() - started
        assert result.ok and result.created == args.rows, result.errors[:5]
        assert Member.objects.count() == args.rows

        raw_s = raw_insert(csv_path, tmp / "raw.sqlite3")
        n = args.rows
        print(f"member import, {n:,} rows, SQLite ({tmp})")
        print(f"  import (check + write, one transaction): {import_s:7.2f} s  {n / import_s:10,.0f} rows/s")
        print(f"  reference: check only (dry run):        {check_s:7.2f} s  {n / check_s:10,.0f} rows/s")
        print(f"  reference: raw executemany INSERT:      {raw_s:7.2f} s  {n / raw_s:10,.0f} rows/s")
        print(f"  write phase ≈ {import_s - check_s:.2f} s; import / dry run = {import_s / check_s:.1f}×; "
              f"import / raw INSERT = {import_s / raw_s:.0f}×")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
