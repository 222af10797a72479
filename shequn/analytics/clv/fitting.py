"""Shared maximum-likelihood plumbing for the value models."""

import numpy as np
from scipy import optimize

from shequn.core.errors import ValidationProblem


class FitFailed(ValidationProblem):
    type = "clv-fit-failed"
    title = "Lifetime value models could not be fitted"


def grouped(*columns: np.ndarray, inverse: bool = False):
    """Unique rows of the columns (in lexicographic order) and how often each occurs (the weights of the
    likelihood); with `inverse`, also the index of each input row's unique row. The rows are sorted by one packed
    integer key when they fit in 63 bits (whole days and counts always do), else by a lexsort."""
    n = len(columns[0])
    columns = tuple(np.asarray(c) for c in columns)
    key = _packed_key(columns)
    if key is not None:
        order = np.argsort(key)
        ordered = [column[order] for column in columns]
        key = key[order]
        change = np.ones(n, dtype=bool)
        change[1:] = key[1:] != key[:-1]
    else:
        order = np.lexsort(columns[::-1])
        ordered = [column[order] for column in columns]
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


def _packed_key(columns: tuple[np.ndarray, ...]) -> np.ndarray | None:
    """One int64 per row that sorts like the rows: each column as its whole-number value or, when it has
    fractions or negatives, as its rank among its distinct values, in a bit field of its own."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    used = 0
    for column in columns:
        if column.size == 0:
            return key
        low, high = column.min(), column.max()
        if low >= 0 and high < 2**40 and np.array_equal(column, np.floor(column)):
            codes = column.astype(np.int64)
        else:
            distinct, codes = np.unique(column, return_inverse=True)
            high = len(distinct) - 1
        bits = max(int(high).bit_length(), 1)
        used += bits
        if used > 63:
            return None
        key = (key << bits) | codes.reshape(-1)
    return key


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
