"""The BG/NBD and Gamma-Gamma maths, without the database."""

import csv
import datetime as dt

import numpy as np
import pytest

from shequn.analytics.clv import bgnbd, gamma_gamma
from shequn.analytics.clv.fitting import FitFailed
from shequn.analytics.clv.scoring import MONTH_DAYS, churn_risk, discounted_value, score
from shequn.analytics.clv.simulate import simulate
from shequn.analytics.clv.summary import Summary

from . import cdnow

TRUE = {"r": 0.5, "alpha": 20.0, "a": 0.6, "b": 3.0, "p": 5.0, "q": 4.0, "v": 30.0}


def published_summary():
    path = cdnow.cdnow_sample_path().parent / "cdnow_customers_summary_with_transactions.csv"
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    return tuple(np.array([float(row[k]) for row in rows]) for k in ("x", "t_x", "T", "zbar"))


def test_fit_recovers_the_parameters_it_was_simulated_with():
    sim = simulate(40_000, **TRUE, max_age=180, seed=7)
    bg = bgnbd.fit(sim.frequency, sim.recency, sim.age)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(bg, name) == pytest.approx(TRUE[name], rel=0.1), name
    gg = gamma_gamma.fit(sim.frequency, sim.monetary)
    for name in ("p", "q", "v"):
        assert getattr(gg, name) == pytest.approx(TRUE[name], rel=0.1), name


def test_conditional_expectations_agree_with_lifetimes():
    lifetimes = pytest.importorskip("lifetimes")
    x, t_x, T, zbar = published_summary()
    ours = bgnbd.fit(x, t_x, T)
    theirs = lifetimes.BetaGeoFitter().fit(x, t_x, T)
    np.testing.assert_allclose(bgnbd.expected_purchases(ours, 39, x, t_x, T),
                               theirs.conditional_expected_number_of_purchases_up_to_time(39, x, t_x, T), rtol=1e-4)
    np.testing.assert_allclose(bgnbd.probability_alive(ours, x, t_x, T),
                               theirs.conditional_probability_alive(x, t_x, T), rtol=1e-4)
    repeat = x > 0
    gg = gamma_gamma.fit(x, zbar)
    theirs_gg = lifetimes.GammaGammaFitter().fit(x[repeat], zbar[repeat])
    assert gg.log_likelihood == pytest.approx(gamma_gamma.log_likelihood((gg.p, gg.q, gg.v), x[repeat],
                                                                        zbar[repeat]).sum())
    np.testing.assert_allclose(gamma_gamma.expected_average_spend(gg, x[repeat], zbar[repeat]),
                               theirs_gg.conditional_expected_average_profit(x[repeat], zbar[repeat]), rtol=1e-4)


def test_probability_alive_falls_with_time_since_the_last_purchase():
    params = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    alive = bgnbd.probability_alive(params, np.array([0, 5, 5, 5]), np.array([0, 30, 20, 10]), np.full(4, 38.0))
    assert alive[0] == 1.0
    assert alive[1] > alive[2] > alive[3] > 0


def test_customers_with_zero_average_spend_are_left_out_with_a_warning():
    sim = simulate(5_000, **TRUE, max_age=180, seed=3)
    monetary = sim.monetary.copy()
    zero = np.flatnonzero(sim.frequency > 0)[:25]
    monetary[zero] = 0.0
    with pytest.warns(gamma_gamma.ZeroMonetaryWarning, match="25 customer"):
        gg = gamma_gamma.fit(sim.frequency, monetary)
    assert gg.customers == int((sim.frequency > 0).sum()) - 25
    spend = gamma_gamma.expected_average_spend(gg, sim.frequency[zero], monetary[zero])
    assert np.allclose(spend, gg.p * gg.v / (gg.q - 1))  # the population mean


def test_spend_model_needs_repeat_buyers():
    with pytest.raises(FitFailed), pytest.warns(gamma_gamma.ZeroMonetaryWarning):
        gamma_gamma.fit(np.array([0, 0, 3]), np.array([0.0, 0.0, 0.0]))
    with pytest.raises(FitFailed):
        bgnbd.fit(np.array([]), np.array([]), np.array([]))


def test_undiscounted_value_is_twelve_months_of_purchases_times_spend():
    params = bgnbd.BgNbdParams(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 30.0]), np.array([38.0, 38.0])
    spend = np.array([20.0, 40.0])
    year = MONTH_DAYS * 12 / 7
    flat = discounted_value(params, spend, x, t_x, T, month=MONTH_DAYS / 7, monthly_rate=0.0)
    np.testing.assert_allclose(flat, bgnbd.expected_purchases(params, year, x, t_x, T) * spend)
    discounted = discounted_value(params, spend, x, t_x, T, month=MONTH_DAYS / 7, monthly_rate=0.01)
    assert np.all(discounted < flat) and np.all(discounted > flat / 1.01 ** 12)


def test_churn_risk_buckets():
    risk = churn_risk(np.array([0.9, 0.5, 0.1, 1.0, 1.0, 1.0]), np.array([4, 4, 4, 0, 0, 0]),
                      np.array([10, 10, 10, 30, 120, 400]))
    assert list(risk) == ["low", "medium", "high", "low", "medium", "high"]


def test_score_counts_the_members_left_out_of_the_spend_model():
    sim = simulate(3_000, **TRUE, max_age=180, whole_units=True, seed=5)
    monetary_fen = np.rint(sim.monetary * 100)
    monetary_fen[np.flatnonzero(sim.frequency > 0)[:4]] = 0
    n = len(sim.frequency)
    last = 20_000 - sim.age.astype(np.int64) + sim.recency.astype(np.int64)
    summary = Summary(member_id=np.arange(n), frequency=sim.frequency, recency_days=sim.recency.astype(np.int64),
                      age_days=sim.age.astype(np.int64), monetary_fen=monetary_fen,
                      first_day=20_000 - sim.age.astype(np.int64), last_day=last)
    with pytest.warns(gamma_gamma.ZeroMonetaryWarning):
        scores = score(summary, dt.date.fromordinal(20_000), time_unit="day")
    assert scores.excluded_zero_monetary == 4
    assert np.all(np.isfinite(scores.clv_fen)) and np.all(scores.clv_fen >= 0)
    assert np.all(scores.expected_purchases >= 0)


def test_grouping_matches_numpy_unique():
    from shequn.analytics.clv.fitting import grouped

    rng = np.random.default_rng(0)
    x, t = rng.integers(0, 5, 2000).astype(float), rng.integers(0, 30, 2000) / 7
    (ux, ut), counts, rows = grouped(x, t, inverse=True)
    unique, expected_counts = np.unique(np.column_stack([x, t]), axis=0, return_counts=True)
    np.testing.assert_array_equal(np.column_stack([ux, ut]), unique)
    np.testing.assert_array_equal(counts, expected_counts)
    np.testing.assert_array_equal(ux[rows], x)
    np.testing.assert_array_equal(ut[rows], t)
