"""Synthetic member histories drawn from the BG/NBD and Gamma-Gamma processes themselves (for tests and
benchmarks: a fit on them must give back the parameters they were drawn with)."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Simulated:
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary: np.ndarray  # mean value of the repeat purchases, 0 without repeats


def simulate(n: int, *, r: float, alpha: float, a: float, b: float, p: float, q: float, v: float,
             max_age: float, whole_units: bool = False, seed: int = 0) -> Simulated:
    """n customers whose first purchase falls uniformly in the last `max_age` time units. With `whole_units`,
    times are truncated to whole units (what a day-level summary sees)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(r, 1.0 / alpha, n)
    drop = rng.beta(a, b, n)
    age = rng.uniform(0, max_age, n)
    if whole_units:
        age = np.floor(age)
    clock = np.zeros(n)
    frequency = np.zeros(n, dtype=np.int64)
    recency = np.zeros(n)
    active = np.arange(n)  # alive after the first purchase; each repeat purchase may be the last
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active]
        buying = active[clock[active] <= age[active]]
        frequency[buying] += 1
        recency[buying] = clock[buying]
        active = buying[rng.random(buying.size) >= drop[buying]]
    if whole_units:
        recency = np.floor(recency)
    nu = rng.gamma(q, 1.0 / v, n)
    totals = rng.gamma(np.maximum(p * frequency, 1e-12), 1.0 / nu)
    monetary = np.where(frequency > 0, totals / np.maximum(frequency, 1), 0.0)
    return Simulated(frequency=frequency, recency=recency, age=age, monetary=monetary)
