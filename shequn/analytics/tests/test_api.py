"""Lifetime value over HTTP: fit a run, read it, the win-back list, a member's value, scoping, errors."""

import pytest

from shequn.analytics.importer import import_transactions
from shequn.analytics.models import ClvRun, MemberValue, Transaction

from . import cdnow

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tmp_path, system_actor):
    full = cdnow.cdnow_csv(tmp_path).read_text().splitlines()
    path = tmp_path / "part.csv"
    path.write_text("\n".join(full[:2501]) + "\n", encoding="utf-8")
    assert import_transactions(system_actor, path).errors == []


def _fit(api, **body):
    return api.post("/analytics/clv-runs", {"calibration_end": "1997-09-30", **body}, key="fit-1")


def test_fit_read_win_back_and_member_value(history, api):
    r = _fit(api)
    assert r.status_code == 201, r.content
    run = r.json()
    assert set(run["bgnbd"]) == {"r", "alpha", "a", "b", "log_likelihood"} and run["customers"] > 0
    assert _fit(api).json()["id"] == run["id"]  # replay of the same Idempotency-Key
    assert ClvRun.objects.count() == 1

    assert api.get("/analytics/clv-runs").json()[0]["id"] == run["id"]
    assert api.get(f"/analytics/clv-runs/{run['id']}").json()["time_unit"] == "week"

    listed = api.get(f"/analytics/clv-runs/{run['id']}/win-back?risk=high&limit=20").json()
    assert listed and all(v["churn_risk"] == "high" for v in listed)
    spent = [v["monetary_fen"] * v["frequency"] for v in listed]
    assert spent == sorted(spent, reverse=True)

    value = MemberValue.objects.filter(run_id=run["id"]).order_by("-clv_12m_fen").first()
    got = api.get(f"/members/{value.member_id}/value").json()
    assert got["clv_12m_fen"] == value.clv_12m_fen and got["run_id"] == run["id"]
    assert got["value_decile"] == 1  # the most valuable member is in the top tenth


def test_errors_are_problems(history, api):
    assert _fit(api, time_unit="month").status_code == 422
    assert api.post("/analytics/clv-runs", {"calibration_end": "1990-01-01"}, key="k2").json()["type"] == \
        "no-transactions"
    assert api.get("/analytics/clv-runs/999").status_code == 404
    assert api.get("/analytics/clv-runs/1/win-back?risk=nope").status_code == 422
    member_id = Transaction.objects.values_list("member_id", flat=True).first()
    assert api.get(f"/members/{member_id}/value").json()["type"] == "member-value-not-found"
    assert ClvRun.objects.count() == 0


def test_store_manager_sees_their_store_runs_only(history, api, api_as, store, other_store):
    Transaction.objects.update(store=store)
    assert _fit(api, store_code=store.code).status_code == 201
    mine = api_as("store_manager", stores=[store.code], username="m_mine")
    theirs = api_as("store_manager", stores=[other_store.code], username="m_theirs")
    assert len(mine.get("/analytics/clv-runs").json()) == 1
    assert theirs.get("/analytics/clv-runs").json() == []
    run_id = ClvRun.objects.get().pk
    assert theirs.get(f"/analytics/clv-runs/{run_id}/win-back").status_code == 404
    assert mine.post("/analytics/clv-runs", {"calibration_end": "1997-09-30"}, key="m1").status_code == 403
    analyst = api_as("analyst", username="ana")
    assert analyst.post("/analytics/clv-runs", {"calibration_end": "1997-09-30"}, key="a1").status_code == 201
