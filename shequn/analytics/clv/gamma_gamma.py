"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves"; Fader & Hardie's
note on the Gamma-Gamma model): each transaction value z ~ Gamma(p, ν), ν ~ Gamma(q, γ) across customers.
Input per customer: x repeat purchases and m, their average value. Only customers with x > 0 and m > 0."""

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special

from .fitting import FitFailed, grouped, minimise, weighted_sum


class ZeroMonetaryWarning(UserWarning):
    """Customers with repeat purchases of zero average value were left out of the spend model."""


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    v: float
    log_likelihood: float
    customers: int


def log_likelihood(params, x, m) -> np.ndarray:
    p, q, v = params
    px = p * x
    return (special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q) + q * np.log(v)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(x * m + v))


def _value_and_gradient(log_params, x, m, weight, ux, index, log_m, log_xm):
    """Mean negative log-likelihood and its gradient with respect to the log-parameters; the special functions
    of p·x are evaluated once per distinct x (`ux`, spread out by `index`); log m and log(x·m) do not depend on
    the parameters and come precomputed."""
    params = np.exp(log_params)
    p, q, v = params
    psi, gammaln = special.digamma, special.gammaln
    pu = p * ux
    px = p * x
    xm_v = x * m + v
    log_xmv = np.log(xm_v)
    ll = ((gammaln(pu + q) - gammaln(pu))[index] - gammaln(q) + q * np.log(v) - log_m + px * log_xm
          - (px + q) * log_xmv)
    psi_pq = psi(pu + q)[index]
    d_p = x * (psi_pq - psi(pu)[index] + log_xm - log_xmv)
    d_q = psi_pq - psi(q) + np.log(v) - log_xmv
    d_v = q / v - (px + q) / xm_v
    total = weight.sum()
    gradient = np.array([weighted_sum(weight, d) for d in (d_p, d_q, d_v)]) * params
    return -weighted_sum(weight, ll) / total, -gradient / total


def usable(x, m) -> np.ndarray:
    """Customers the spend model can use; warns about those with repeat purchases but zero average value."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    zero = (x > 0) & ~(m > 0)
    if zero.any():
        warnings.warn(f"{int(zero.sum())} customer(s) with repeat purchases of zero average value were left out "
                      "of the spend model", ZeroMonetaryWarning, stacklevel=2)
    return (x > 0) & (m > 0)


def fit(x, m) -> GammaGammaParams:
    """Maximum likelihood over log-parameters on the customers with repeat purchases of positive value.
    Values are rescaled to mean 1 while fitting (γ scales with money, p and q do not)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    keep = usable(x, m)
    x, m = x[keep], m[keep]
    if len(x) < 2:
        raise FitFailed("the spend model needs at least two customers with repeat purchases of positive value")
    scale = float(m.mean())
    (gx, gm), weight = grouped(x, m / scale)

    starts = [np.log([1.0, 1.0, 1.0]), np.log([5.0, 4.0, 3.0]), np.log([0.5, 2.0, 0.5])]
    ux, index = np.unique(gx, return_inverse=True)
    log_m, log_xm = np.log(gm), np.log(gx * gm)
    best = minimise(lambda log_params: _value_and_gradient(log_params, gx, gm, weight, ux, index, log_m, log_xm),
                    starts)
    p, q, v = np.exp(best.x)
    v *= scale
    ll = weighted_sum(weight, log_likelihood((p, q, v), gx, gm * scale))
    return GammaGammaParams(p=float(p), q=float(q), v=float(v), log_likelihood=float(ll), customers=int(len(x)))


def expected_average_spend(params: GammaGammaParams, x, m) -> np.ndarray:
    """E[Z | x, m]: a weighted mean of the population mean and the customer's own average; customers without
    repeat purchases get the population mean p·γ/(q-1) (q > 1)."""
    x, m = np.asarray(x, dtype=float), np.asarray(m, dtype=float)
    p, q, v = params.p, params.q, params.v
    population = p * v / (q - 1) if q > 1 else np.nan
    own = (p * (v + x * np.where(m > 0, m, 0.0))) / (p * x + q - 1)
    return np.where((x > 0) & (m > 0), own, population)
