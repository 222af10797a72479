"""`shequn analytics evaluate-recs` end to end: imported history on its own SQLite database, real command."""

import json

import pytest

from shequn.core.tests.cli import shequn

# The same hand-computed split as test_recommend_eval (there with k=2; here k=10 so every list holds all items).
HISTORY = """member_external_id,occurred_at,amount,quantity,order_no,sku
M1,2026-03-05,10.00,1,O1,A
M1,2026-03-05,10.00,1,O1,B
M2,2026-03-06,10.00,1,O2,A
M2,2026-03-06,10.00,1,O2,B
M3,2026-03-07,10.00,1,O3,A
M3,2026-03-07,10.00,1,O3,C
M4,2026-03-08,10.00,1,O4,D
M1,2026-03-10,10.00,1,O5,C
M3,2026-03-11,10.00,1,O6,B
M3,2026-03-11,10.00,1,O6,E
M5,2026-03-12,10.00,1,O7,D
"""


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory):
    path = tmp_path_factory.mktemp("shequn-var-recs")
    assert shequn(path, "migrate").returncode == 0
    empty = shequn(path, "analytics", "evaluate-recs")
    assert empty.returncode == 2 and "no purchase baskets" in empty.stderr.lower()
    history = path / "history.csv"
    history.write_text(HISTORY, encoding="utf-8")
    done = shequn(path, "import-transactions", str(history))
    assert done.returncode == 0, done.stderr
    return path


def test_json_on_a_time_split(var_dir):
    done = shequn(var_dir, "analytics", "evaluate-recs", "--split-date", "2026-03-10", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["split_date"], data["k"], data["train_baskets"], data["test_members"]) == ("2026-03-10", 10, 4, 3)
    # model lists: M1 [C, D], M3 [B, D], M5 [A, B, C, D]; popularity [A, B, C, D] for everyone: 1 hit each
    assert data["model"] == pytest.approx({"precision": 0.1, "recall": 2.5 / 3, "hit_rate": 1.0})
    assert data["popularity"] == pytest.approx({"precision": 0.1, "recall": 2.5 / 3, "hit_rate": 1.0})
    assert data["ratio"] == pytest.approx({"precision": 1.0, "recall": 1.0, "hit_rate": 1.0})


def test_default_split_needs_history_older_than_the_last_30_days(var_dir):
    done = shequn(var_dir, "analytics", "evaluate-recs")  # every purchase is within 30 days of the last one
    assert done.returncode == 2
    assert "No baskets before the split date 2026-02-11; choose a later date." in done.stderr


def test_table(var_dir):
    done = shequn(var_dir, "analytics", "evaluate-recs", "--split-date", "2026-03-10")
    assert done.returncode == 0, done.stderr
    assert "split date 2026-03-10: 4 training baskets, 3 members with test purchases" in done.stdout
    for text in ("precision@10", "recall@10", "hit rate", "model", "popularity", "ratio"):
        assert text in done.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["--split-date", "10/03/2026"], "--split-date must be a date"),
    (["--split-date", "2027-01-01"], "No baskets on or after the split date"),
    (["--split-date", "2026-01-01"], "No baskets before the split date"),
])
def test_bad_input_exits_2_with_a_readable_message(var_dir, args, message):
    done = shequn(var_dir, "analytics", "evaluate-recs", *args)
    assert done.returncode == 2 and message in done.stderr
