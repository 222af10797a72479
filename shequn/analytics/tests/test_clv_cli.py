"""`shequn analytics clv`: JSON and table output, stored scores, store filter, bad input (exit 2)."""

import json

import pytest
from typer.testing import CliRunner

from shequn.analytics.importer import import_transactions
from shequn.analytics.models import ClvRun, MemberValue, Transaction
from shequn.cli import app
from shequn.stores.models import Store

from . import cdnow

pytestmark = pytest.mark.django_db
END = cdnow.CALIBRATION_END.isoformat()


@pytest.fixture
def history(tmp_path, system_actor):
    """The first 2,500 purchases of the CDNOW sample (about 850 customers)."""
    full = cdnow.cdnow_csv(tmp_path).read_text().splitlines()
    path = tmp_path / "part.csv"
    path.write_text("\n".join(full[:2501]) + "\n", encoding="utf-8")
    result = import_transactions(system_actor, path)
    assert result.errors == []
    return result


def clv(*args: str):
    return CliRunner().invoke(app, ["analytics", "clv", *args])


def test_json_has_the_specified_shape_and_scores_are_stored(history):
    done = clv("--calibration-end", END, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert set(data["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"}
    assert set(data["gamma_gamma"]) == {"p", "q", "v"}
    assert all(isinstance(v, float) for v in [*data["bgnbd"].values(), *data["gamma_gamma"].values()])
    customers = Transaction.objects.values("member").distinct().count()
    assert data["customers"] == customers and data["time_unit"] == "week" and data["store"] is None
    run = ClvRun.objects.get(pk=data["run_id"])
    assert (run.r, run.alpha, run.gg_v) == (data["bgnbd"]["r"], data["bgnbd"]["alpha"], data["gamma_gamma"]["v"])
    assert MemberValue.objects.filter(run=run).count() == customers
    assert sum(data["churn_risk"].values()) == customers
    assert sum(MemberValue.objects.filter(run=run).values_list("clv_12m_fen", flat=True)) == data["clv_12m_fen"]


def test_alpha_is_in_the_chosen_time_unit(history):
    weeks = json.loads(clv("--calibration-end", END, "--format", "json").stdout)
    days = json.loads(clv("--calibration-end", END, "--format", "json", "--time-unit", "day").stdout)
    assert days["bgnbd"]["alpha"] == pytest.approx(weeks["bgnbd"]["alpha"] * 7, rel=1e-4)
    assert days["bgnbd"]["r"] == pytest.approx(weeks["bgnbd"]["r"], rel=1e-4)
    assert days["gamma_gamma"] == pytest.approx(weeks["gamma_gamma"], rel=1e-6)


def test_table_output(history):
    done = clv("--calibration-end", END)
    assert done.exit_code == 0, done.output
    for text in ("BG/NBD", "alpha (weeks)", "Gamma-Gamma", "v (yuan)", "customers", "churn risk: low"):
        assert text in done.stdout


def test_store_filter(history, store):
    members = list(Transaction.objects.values_list("member_id", flat=True).distinct().order_by("member_id")[:300])
    Transaction.objects.filter(member_id__in=members).update(store=store)
    done = clv("--calibration-end", END, "--store", store.code, "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["customers"] == 300 and data["store"] == store.code
    assert set(MemberValue.objects.filter(run_id=data["run_id"]).values_list("member_id", flat=True)) == set(members)


def test_zero_average_spend_is_a_warning_not_a_failure(history):
    days: dict[int, set] = {}
    for member_id, occurred_at in Transaction.objects.values_list("member_id", "occurred_at"):
        days.setdefault(member_id, set()).add(occurred_at.date())
    repeater = min(m for m, seen in days.items() if len(seen) >= 2)
    Transaction.objects.filter(member_id=repeater).update(amount_fen=0)  # every purchase free
    done = clv("--calibration-end", "1998-06-30", "--format", "json")
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    assert data["excluded_zero_monetary"] == 1
    assert "1 customer(s) with repeat purchases of zero average value" in done.stderr
    value = MemberValue.objects.get(run_id=data["run_id"], member_id=repeater)
    assert value.frequency >= 1 and value.monetary_fen == 0 and value.expected_avg_spend_fen > 0


@pytest.mark.parametrize(("args", "message"), [
    (["--calibration-end", "1997-13-01"], "must be a date"),
    (["--calibration-end", "yesterday"], "must be a date"),
    (["--calibration-end", END, "--store", "NOPE"], "No store with code"),
    (["--calibration-end", "1996-12-31"], "No purchases on or before 1996-12-31"),
    (["--calibration-end", END, "--time-unit", "month"], "month"),
    (["--calibration-end", END, "--format", "xml"], "xml"),
])
def test_bad_input_exits_2_and_writes_nothing(history, args, message):
    done = clv(*args)
    assert done.exit_code == 2
    assert message in done.stderr
    assert ClvRun.objects.count() == 0


def test_no_transactions_in_a_store(history):
    Store.objects.create(code="EMPTY", name="空店")
    done = clv("--calibration-end", END, "--store", "EMPTY")
    assert done.exit_code == 2 and "No purchases in store EMPTY" in done.stderr
