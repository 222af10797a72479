"""Shared maximum-likelihood plumbing for the value models."""

import numpy as np
from scipy import optimize

from shequn.core.errors import ValidationProblem


class FitFailed(ValidationProblem):
    type = "clv-fit-failed"
    title = "Lifetime value models could not be fitted"


def grouped(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Unique rows of the columns and how often each occurs (the weights of the likelihood)."""
    stacked = np.column_stack(columns)
    unique, counts = np.unique(stacked, axis=0, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float)


def minimise(negative_ll, starts: list[np.ndarray]):
    """L-BFGS-B from several starts, the best polished with Nelder-Mead; log-parameters are bounded to
    [-20, 20] so a run-away start cannot overflow."""
    best = None
    for start in starts:
        with np.errstate(all="ignore"):
            result = optimize.minimize(negative_ll, start, method="L-BFGS-B", bounds=[(-20.0, 20.0)] * len(start),
                                       options={"ftol": 1e-13, "gtol": 1e-9, "maxiter": 2000})
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise FitFailed("the likelihood could not be evaluated from any starting point")
    with np.errstate(all="ignore"):
        polished = optimize.minimize(negative_ll, best.x, method="Nelder-Mead",
                                     options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 4000})
    if np.isfinite(polished.fun) and polished.fun <= best.fun:
        best = polished
    return best
