"""Validation against the published fits on the CDNOW sample (2,357 customers, calibration to 1997-09-30, weeks):
BG/NBD r, α, a, b of Fader, Hardie & Lee (2005) and the Gamma-Gamma p, q, γ on the per-transaction average
spend of the repeat purchases. The data goes in through the transaction import, like any retailer's history."""

import csv
from pathlib import Path

import numpy as np
import pytest

from shequn.analytics.clv.scoring import run_clv
from shequn.analytics.clv.summary import member_summary
from shequn.analytics.importer import import_transactions
from shequn.analytics.models import MemberValue
from shequn.members.models import Member

from . import cdnow

pytestmark = pytest.mark.django_db

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"gg_p": 6.25, "gg_q": 3.74, "gg_v": 15.44}


@pytest.fixture
def cdnow_imported(tmp_path, system_actor):
    result = import_transactions(system_actor, cdnow.cdnow_csv(tmp_path))
    assert result.errors == []
    return result


def test_cdnow_fit_matches_published_parameters(cdnow_imported, system_actor):
    run, scores = run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END, time_unit="week")
    assert run.customers == cdnow.CUSTOMERS
    for name, published in {**PUBLISHED_BGNBD, **PUBLISHED_GAMMA_GAMMA}.items():
        assert getattr(run, name) == pytest.approx(published, rel=0.01), name
    assert run.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # the paper's maximised log-likelihood
    assert run.gg_customers == 946  # customers with repeat purchases in the calibration period
    assert MemberValue.objects.filter(run=run).count() == cdnow.CUSTOMERS


def test_cdnow_summary_matches_the_published_summary(cdnow_imported):
    """x, t_x, T (weeks) and the repeat-purchase average of every customer equal the summary that ships with
    the data (cdnow_customers_summary_with_transactions.csv, rounded to two decimals)."""
    published_path = Path(cdnow.cdnow_sample_path()).parent / "cdnow_customers_summary_with_transactions.csv"
    with open(published_path) as fh:
        published = {int(row["ID"]): row for row in csv.DictReader(fh)}
    index = {}
    for raw in cdnow.cdnow_sample_path().read_text().split("\n"):
        if raw.strip():
            customer, position = raw.split()[:2]
            index[cdnow.external_id(customer)] = int(position)
    external = dict(Member.objects.values_list("pk", "external_id"))
    summary = member_summary(cdnow.CALIBRATION_END)
    assert len(summary) == len(published) == cdnow.CUSTOMERS
    for i, member_id in enumerate(summary.member_id):
        row = published[index[external[int(member_id)]]]
        assert summary.frequency[i] == int(row["x"])
        assert summary.recency_days[i] / 7 == pytest.approx(float(row["t_x"]), abs=0.006)
        assert summary.age_days[i] / 7 == pytest.approx(float(row["T"]), abs=0.006)
        assert summary.monetary_fen[i] / 100 == pytest.approx(float(row["zbar"]), abs=0.006)


def test_cdnow_scores_are_consistent(cdnow_imported, system_actor):
    run, scores = run_clv(system_actor, calibration_end=cdnow.CALIBRATION_END, time_unit="day")
    assert run.alpha == pytest.approx(4.414 * 7, rel=0.01)  # α scales with the time unit, the rest does not
    assert run.r == pytest.approx(0.243, rel=0.01)
    values = MemberValue.objects.filter(run=run)
    one_timers = values.filter(frequency=0)
    assert set(one_timers.values_list("p_alive", flat=True)) == {1.0}
    assert np.all((scores.p_alive > 0) & (scores.p_alive <= 1))
    assert values.filter(clv_12m_fen__lt=0).count() == 0
    # someone who bought often but long ago is less likely alive than someone who bought as often lately
    lapsed = values.filter(frequency__gte=3).order_by("recency").first()
    recent = values.filter(frequency=lapsed.frequency).order_by("-recency").first()
    assert lapsed.p_alive < recent.p_alive
    assert lapsed.churn_risk in {"medium", "high"}
