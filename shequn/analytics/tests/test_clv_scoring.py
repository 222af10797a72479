"""run_clv: stored scores, store scoping of the actor, the win-back list, the audit and outbox rows."""

import numpy as np
import pytest

from shequn.analytics.clv.scoring import run_clv, value_deciles, win_back
from shequn.analytics.importer import import_transactions
from shequn.analytics.models import ClvRun, MemberValue, Transaction
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied, ValidationProblem
from shequn.core.models import AuditEntry, OutboxEvent

from . import cdnow

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(tmp_path, system_actor):
    full = cdnow.cdnow_csv(tmp_path).read_text().splitlines()
    path = tmp_path / "part.csv"
    path.write_text("\n".join(full[:2501]) + "\n", encoding="utf-8")
    assert import_transactions(system_actor, path).errors == []


def test_scores_are_stored_with_audit_and_event(history, system_actor):
    run, scores = run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END)
    values = MemberValue.objects.filter(run=run)
    assert values.count() == run.customers == len(scores.p_alive)
    top = values.order_by("-clv_12m_fen").first()
    assert top.clv_12m_fen > 0 and top.expected_purchases > 0 and top.frequency > 0
    assert AuditEntry.objects.filter(action="analytics.clv_run", object_id=str(run.pk)).exists()
    assert OutboxEvent.objects.filter(topic="analytics.clv_scored", aggregate_id=str(run.pk)).exists()


def test_value_deciles_rank_the_run_by_12_month_value(history, system_actor):
    run, _ = run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END)
    values = list(MemberValue.objects.filter(run=run).values_list("value_decile", "clv_12m_fen"))
    assert {decile for decile, _ in values} <= set(range(1, 11)) and None not in {d for d, _ in values}
    by_decile = {d: [v for dd, v in values if dd == d] for d in range(1, 11)}
    top = by_decile[1]
    assert 0 < len(top) <= -(-len(values) // 10)  # the top tenth, never more
    filled = [d for d in range(1, 11) if by_decile[d]]
    for better, worse in zip(filled, filled[1:], strict=False):
        assert min(by_decile[better]) > max(by_decile[worse])  # every member of a decile beats the next one


@pytest.mark.parametrize(("clv", "expected"), [
    ([100, 90, 90, 50, 0, 0, 0, 0, 0, 0], [1, 2, 2, 4, 5, 5, 5, 5, 5, 5]),  # ties share the better decile
    (list(range(20, 0, -1)), [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10]),
    ([7, 7, 7], [1, 1, 1]),
    ([5, 1, 3], [1, 7, 4]),  # k = 0, 2, 1 members worth more out of 3
    ([], []),
])
def test_value_deciles_by_hand(clv, expected):
    assert value_deciles(np.array(clv, dtype=float)).tolist() == expected


def test_win_back_lists_at_risk_repeat_buyers_by_past_spend(history, system_actor):
    run, _ = run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END)
    listed = list(win_back(run, limit=50))
    assert listed and all(v.churn_risk in {"medium", "high"} and v.frequency > 0 for v in listed)
    spent = [v.monetary_fen * v.frequency for v in listed]
    assert spent == sorted(spent, reverse=True)
    assert not any(v.churn_risk == "low" for v in win_back(run, risks=("high",), limit=1000))


def test_store_manager_only_fits_their_own_store(history, store, other_store):
    Transaction.objects.update(store=store)
    manager = Actor(kind="staff", id="m1", label="店长", role="store_manager", store_ids=frozenset({store.pk}))
    with pytest.raises(PermissionDenied):
        run_clv(manager, calibration_end=cdnow.CALIBRATION_END)
    with pytest.raises(PermissionDenied):
        run_clv(manager, calibration_end=cdnow.CALIBRATION_END, store_code=other_store.code)
    run, _ = run_clv(manager, calibration_end=cdnow.CALIBRATION_END, store_code=store.code)
    assert run.store == store


def test_bad_parameters_write_nothing(history, system_actor):
    for kwargs in ({"time_unit": "month"}, {"horizon_days": 0}, {"monthly_rate": -0.1}):
        with pytest.raises(ValidationProblem):
            run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END, **kwargs)
    assert ClvRun.objects.count() == 0
