"""`shequn analytics rfm --engine spark`: the real command on its own database gives the cells DuckDB gives."""

import json
import sys

import pytest

from shequn.core.tests.cli import SHEQUN, run, shequn

SEED = """
import itertools
import django; django.setup()
from shequn.core.actor import SYSTEM
from shequn.members.services import create_member
from shequn.stores.services import create_store
from shequn.analytics.tests.test_rfm import build_history

stores = {"SH01": create_store(SYSTEM, code="SH01", name="上海静安店", city="上海"),
          "BJ01": create_store(SYSTEM, code="BJ01", name="北京朝阳店", city="北京")}
phones = itertools.count(13900000000)
build_history(lambda store=None, name="": create_member(SYSTEM, phone=str(next(phones)), name=name, store=store),
              stores)
"""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("shequn-var-spark")
    done = shequn(path, "migrate")
    assert done.returncode == 0, done.stderr
    seeded = run(path, [sys.executable, "-c", SEED])
    assert seeded.returncode == 0, seeded.stderr
    return path


def rfm(var, engine: str) -> dict:
    done = run(var, [str(SHEQUN), "analytics", "rfm", "--as-of", "2026-06-30", "--engine", engine,
                     "--format", "json"], timeout=800)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.timeout(900)  # a JVM starts in the command's own process
def test_spark_from_the_command_line_scores_like_duckdb(var_dir):
    on_duckdb, on_spark = rfm(var_dir, "duckdb"), rfm(var_dir, "spark")
    assert on_spark["engine"] == "spark" and on_spark["time_zone"] == "Asia/Shanghai"
    assert on_spark["members"] == on_duckdb["members"] == 9
    assert on_spark["cells"] == on_duckdb["cells"] and on_spark["stores"] == on_duckdb["stores"]
    cells = {row["cell"]: row["members"] for row in on_spark["cells"] if row["members"]}
    assert cells == {"loyal": 1, "new": 1, "cannot_lose": 2, "lost": 1, "potential_loyalist": 1,
                     "about_to_sleep": 1, "hibernating": 1, "need_attention": 1}
    assert not list((var_dir / "analytics" / "spark-snapshots").iterdir())  # the run's own snapshot is gone
