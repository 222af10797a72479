"""BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): purchases while alive follow a
Poisson process with rate λ ~ Gamma(r, α); after each purchase a customer drops out with probability
p ~ Beta(a, b). Inputs per customer: x repeat purchases, recency t_x and age T in one time unit."""

from dataclasses import dataclass

import numpy as np
from scipy import special

from .fitting import FitFailed, grouped, minimise, weighted_sum


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


class _Counts:
    """Repeat counts x: the special functions of x alone are evaluated once per distinct x, then spread out."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.unique, self.index = np.unique(x, return_inverse=True)
        self.repeat = x > 0
        self.no_repeat = np.where(self.repeat, 0.0, -np.inf)  # added to the second term: log 0 without repeats


class _Times:
    """A time column (t_x or T) with few distinct values (whole days or weeks): log(α + t) and 1/(α + t) are
    evaluated once per distinct value in each likelihood evaluation, then spread out."""

    def __init__(self, t: np.ndarray) -> None:
        self.unique, self.index = np.unique(t, return_inverse=True)

    def log(self, alpha: float) -> np.ndarray:
        return np.log(alpha + self.unique)[self.index]

    def inverse(self, alpha: float) -> np.ndarray:
        return (1.0 / (alpha + self.unique))[self.index]


def _terms(params, counts: _Counts, log_alpha_tx, log_alpha_T):
    """The two log terms of the likelihood given log(α + t_x) and log(α + T)."""
    r, alpha, a, b = params
    ux, x = counts.unique, counts.x
    by_x = (special.gammaln(r + ux) - special.gammaln(r) + r * np.log(alpha)
            + special.betaln(a, b + ux) - special.betaln(a, b))
    a3 = -(r + x) * log_alpha_T
    # log(a / (b + x - 1)) - (r + x) log(alpha + t_x), only for customers with repeat purchases
    log_share = (np.log(a) - np.log(np.where(ux > 0, b + ux - 1, 1.0)))[counts.index]
    a4 = log_share - (r + x) * log_alpha_tx + counts.no_repeat
    return by_x[counts.index], a3, a4


def _log_sum(a3, a4):
    """log(e^a3 + e^a4) and the shares of the two terms (a3 is finite, a4 may be -inf)."""
    top = np.maximum(a3, a4)
    e3, e4 = np.exp(a3 - top), np.exp(a4 - top)
    total = e3 + e4
    return top + np.log(total), e3 / total, e4 / total


def log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood L(r, α, a, b | x, t_x, T) of the paper, in log space."""
    alpha = params[1]
    a12, a3, a4 = _terms(params, _Counts(np.asarray(x, dtype=float)), np.log(alpha + np.asarray(t_x)),
                         np.log(alpha + np.asarray(T)))
    return a12 + _log_sum(a3, a4)[0]


def _value_and_gradient(log_params, counts: _Counts, t_x: _Times, T: _Times, weight):
    """Mean negative log-likelihood and its gradient with respect to the log-parameters."""
    params = np.exp(log_params)
    r, alpha, a, b = params
    log_tx, log_T = t_x.log(alpha), T.log(alpha)
    a12, a3, a4 = _terms(params, counts, log_tx, log_T)
    log_sum, w3, w4 = _log_sum(a3, a4)
    ll = a12 + log_sum
    psi, ux, index, x = special.digamma, counts.unique, counts.index, counts.x
    d_r = (psi(r + ux) - psi(r))[index] + np.log(alpha) - w3 * log_T - w4 * log_tx
    d_alpha = r / alpha - (r + x) * (w3 * T.inverse(alpha) + w4 * t_x.inverse(alpha))
    d_a = (psi(a + b) - psi(a + b + ux))[index] + w4 / a
    d_b = ((psi(b + ux) - psi(a + b + ux) - psi(b) + psi(a + b))[index]
           - w4 / np.where(counts.repeat, b + x - 1, 1.0))
    total = weight.sum()
    gradient = np.array([weighted_sum(weight, d) for d in (d_r, d_alpha, d_a, d_b)]) * params
    return -weighted_sum(weight, ll) / total, -gradient / total


def fit(x, t_x, T) -> BgNbdParams:
    """Maximum likelihood over log-parameters; identical (x, t_x, T) rows are evaluated once with a weight.
    Times are rescaled so the oldest customer has T = 10 (α scales with time, the rest does not)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) == 0:
        raise FitFailed("no customers to fit")
    scale = 10.0 / T.max() if T.max() > 0 else 1.0
    (gx, gt, gT), weight = grouped(x, t_x * scale, T * scale)

    starts = [np.log([1.0, 1.0, 1.0, 1.0]), np.log([0.3, 1.0, 0.8, 2.5]), np.log([0.1, 0.1, 0.1, 0.1])]
    counts, times_x, times_T = _Counts(gx), _Times(gt), _Times(gT)
    best = minimise(lambda log_params: _value_and_gradient(log_params, counts, times_x, times_T, weight), starts)
    r, alpha, a, b = np.exp(best.x)
    alpha /= scale
    ll = weighted_sum(weight, log_likelihood((r, alpha, a, b), gx, gt / scale, gT / scale))  # in the caller's unit
    return BgNbdParams(r=float(r), alpha=float(alpha), a=float(a), b=float(b), log_likelihood=float(ll))


def _odds_dead(p: BgNbdParams, x, t_x, T) -> np.ndarray:
    """a/(b+x-1) · ((α+T)/(α+t_x))^(r+x) for x > 0, 0 for x = 0: P(dead)/P(alive)."""
    x = np.asarray(x, dtype=float)
    repeat = x > 0
    log_odds = (np.log(p.a) - np.log(np.where(repeat, p.b + x - 1, 1.0))
                + (p.r + x) * (np.log(p.alpha + np.asarray(T)) - np.log(p.alpha + np.asarray(t_x))))
    return np.where(repeat, np.exp(np.minimum(log_odds, 700.0)), 0.0)


def probability_alive(p: BgNbdParams, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T): the chance the customer has not dropped out by T."""
    return 1.0 / (1.0 + _odds_dead(p, x, t_x, T))


def expected_purchases(p: BgNbdParams, t, x, t_x, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in the next t time units (uses the Gauss hypergeometric 2F1)."""
    return expected_purchases_over(p, [t], x, t_x, T)[0]


def expected_purchases_over(p: BgNbdParams, horizons, x, t_x, T) -> list[np.ndarray]:
    """`expected_purchases` for each horizon. The 2F1 term depends on x and T only, not on t_x, so it is evaluated
    once per distinct (x, T) pair — far fewer than the distinct histories — and spread out."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    (ux, uT), _, pair = grouped(x, T, inverse=True)
    weight = (p.a + p.b + x - 1) / (p.a - 1) / (1.0 + _odds_dead(p, x, t_x, T))
    curves = []
    for t in horizons:
        t = np.asarray(t, dtype=float)
        if t.ndim:  # one horizon per customer: no pairs to share
            ux, uT, pair = x, T, slice(None)
        ratio = np.exp((p.r + ux) * (np.log(p.alpha + uT) - np.log(p.alpha + uT + t)))
        hyp = special.hyp2f1(p.r + ux, p.b + ux, p.a + p.b + ux - 1, t / (p.alpha + uT + t))
        curves.append(weight * (1.0 - ratio * hyp)[pair])
    return curves
