"""Shared maximum-likelihood plumbing for the value models."""

import numpy as np
from scipy import optimize

from shequn.core.errors import ValidationProblem


class FitFailed(ValidationProblem):
    type = "clv-fit-failed"
    title = "Lifetime value models could not be fitted"


def grouped(*columns: np.ndarray, inverse: bool = False):
    """Unique rows of the columns and how often each occurs (the weights of the likelihood); with `inverse`,
    also the index of each input row's unique row. A lexsort: far faster than np.unique(axis=0)."""
    n = len(columns[0])
    order = np.lexsort(columns[::-1])
    ordered = [np.asarray(c)[order] for c in columns]
    change = np.zeros(n, dtype=bool)
    change[:1] = True
    for column in ordered:
        change[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, n)).astype(float)
    unique = [column[starts] for column in ordered]
    if not inverse:
        return unique, counts
    positions = np.empty(n, dtype=np.int64)
    positions[order] = np.cumsum(change) - 1
    return unique, counts, positions


def weighted_sum(weight: np.ndarray, values: np.ndarray) -> float:
    """Σ weight·values without BLAS: np.dot hands long vectors to the BLAS thread pool, whose threads stall
    for tens of milliseconds a call on a busy machine."""
    return float(np.sum(weight * values))


def minimise(value_and_gradient, starts: list[np.ndarray]):
    """L-BFGS-B with the analytic gradient from the first start; the next starts are tried only when it does
    not converge, and the best result is kept. Log-parameters are bounded to [-20, 20] so a run-away start
    cannot overflow."""
    best = None
    for start in starts:
        if best is not None and best.success:
            break
        with np.errstate(all="ignore"):
            result = optimize.minimize(value_and_gradient, start, jac=True, method="L-BFGS-B",
                                       bounds=[(-20.0, 20.0)] * len(start),
                                       options={"ftol": 1e-14, "gtol": 1e-10, "maxiter": 5000})
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise FitFailed("the likelihood could not be evaluated from any starting point")
    return best
