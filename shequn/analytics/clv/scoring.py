"""Fit both value models on the transactions up to a calibration end, score every member and store the run.

Scores per member: probability alive, expected purchases in the next `horizon_days`, expected spend per purchase
and the discounted value of the next 12 months: Σ_{m=1..12} (E[purchases by month m] − E[purchases by month
m−1]) × expected spend / (1 + d)^m, with a month of 365.25/12 days and d = 1% a month by default (about 12.7% a
year, a retailer's cost of capital; pass another rate to `run_clv`).

Churn risk (流失风险) combines probability alive and recency: BG/NBD cannot see a one-time buyer drop out (their
probability alive is 1), so for them the days since the purchase decide.
  high:   p_alive < 0.3, or a single purchase more than 180 days ago
  medium: p_alive < 0.7, or a single purchase more than 90 days ago
  low:    everyone else
"""

import warnings
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.db import connection, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import NotFound, PermissionDenied, ValidationProblem

from ..models import ClvRun, MemberValue
from . import bgnbd, gamma_gamma
from .fitting import grouped
from .summary import Summary, member_summary

UNIT_DAYS = {"day": 1, "week": 7}
MONTH_DAYS = 365.25 / 12
HIGH_P_ALIVE, MEDIUM_P_ALIVE = 0.3, 0.7
HIGH_SINGLE_DAYS, MEDIUM_SINGLE_DAYS = 180, 90


class NoTransactions(ValidationProblem):
    type = "no-transactions"
    title = "No transactions to fit"


class UnknownStore(NotFound):
    type = "unknown-store"
    title = "Unknown store"


class BadTimeUnit(ValidationProblem):
    type = "bad-time-unit"
    title = "Unknown time unit"


@dataclass
class Scores:
    bgnbd: bgnbd.BgNbdParams
    gamma_gamma: gamma_gamma.GammaGammaParams
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    p_alive: np.ndarray
    expected_purchases: np.ndarray
    expected_spend_fen: np.ndarray
    clv_fen: np.ndarray
    churn_risk: np.ndarray
    excluded_zero_monetary: int
    warnings: list[str] = field(default_factory=list)


def discounted_value(params: bgnbd.BgNbdParams, spend, x, t_x, T, *, month: float, months: int = 12,
                     monthly_rate: float = 0.01) -> np.ndarray:
    total = np.zeros(len(x))
    before = np.zeros(len(x))
    curves = bgnbd.expected_purchases_over(params, [m * month for m in range(1, months + 1)], x, t_x, T)
    for m, upto in enumerate(curves, start=1):
        total += (upto - before) * spend / (1 + monthly_rate) ** m
        before = upto
    return total


def churn_risk(p_alive: np.ndarray, frequency: np.ndarray, days_since_last: np.ndarray) -> np.ndarray:
    single = frequency == 0
    high = (p_alive < HIGH_P_ALIVE) | (single & (days_since_last > HIGH_SINGLE_DAYS))
    medium = (p_alive < MEDIUM_P_ALIVE) | (single & (days_since_last > MEDIUM_SINGLE_DAYS))
    return np.where(high, MemberValue.ChurnRisk.HIGH, np.where(medium, MemberValue.ChurnRisk.MEDIUM,
                                                               MemberValue.ChurnRisk.LOW))


def score(summary: Summary, calibration_end: date, *, time_unit: str = "week", horizon_days: int = 90,
          monthly_rate: float = 0.01) -> Scores:
    """Fit both models on a summary and score its members (no database access)."""
    unit = UNIT_DAYS[time_unit]
    x = summary.frequency.astype(float)
    t_x, T = summary.recency_days / unit, summary.age_days / unit
    bg = bgnbd.fit(x, t_x, T)
    monetary = summary.monetary_fen / 100  # the spend model works in yuan, so γ reads in yuan
    excluded = int(((x > 0) & ~(monetary > 0)).sum())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", gamma_gamma.ZeroMonetaryWarning)
        gg = gamma_gamma.fit(x, monetary)
    messages = [str(w.message) for w in caught]
    for message in messages:
        warnings.warn(message, gamma_gamma.ZeroMonetaryWarning, stacklevel=2)
    (ux, ut, uT), _, rows = grouped(x, t_x, T, inverse=True)  # the purchase model once per distinct history
    with np.errstate(all="ignore"):
        p_alive = bgnbd.probability_alive(bg, ux, ut, uT)[rows]
        expected = bgnbd.expected_purchases(bg, horizon_days / unit, ux, ut, uT)[rows]
        spend = gamma_gamma.expected_average_spend(gg, x, monetary)
        spend = np.where(np.isfinite(spend), spend, monetary)
        purchases = discounted_value(bg, 1.0, ux, ut, uT, month=MONTH_DAYS / unit, monthly_rate=monthly_rate)
        clv = purchases[rows] * spend
    days_since_last = calibration_end.toordinal() - summary.last_day
    return Scores(bgnbd=bg, gamma_gamma=gg, x=x, t_x=t_x, T=T, p_alive=p_alive,
                  expected_purchases=np.nan_to_num(expected), expected_spend_fen=np.rint(spend * 100),
                  clv_fen=np.rint(np.nan_to_num(clv) * 100), churn_risk=churn_risk(p_alive, summary.frequency,
                                                                                   days_since_last),
                  excluded_zero_monetary=excluded, warnings=messages)


def _store(actor: Actor, store_code: str | None):
    from shequn.stores.models import Store

    if store_code is None:
        if actor.scoped:
            raise PermissionDenied("Your stores only: name one of them with --store.")
        return None
    store = Store.objects.filter(code=store_code).first()
    if store is None:
        raise UnknownStore(f"No store with code {store_code!r}.")
    if actor.scoped and store.pk not in actor.store_ids:
        raise PermissionDenied(f"Store {store_code} is not one of your stores.")
    return store


def run_clv(actor: Actor, *, calibration_end: date, time_unit: str = "week", store_code: str | None = None,
            horizon_days: int = 90, monthly_rate: float = 0.01) -> tuple[ClvRun, Scores]:
    """Fit, score and store a ClvRun with one MemberValue per member who bought by the calibration end."""
    if time_unit not in UNIT_DAYS:
        raise BadTimeUnit(f"Time unit must be day or week, not {time_unit!r}.")
    if horizon_days <= 0 or monthly_rate < 0:
        raise ValidationProblem("The horizon must be at least one day and the discount rate not negative.")
    store = _store(actor, store_code)
    summary = member_summary(calibration_end, store.pk if store else None)
    if len(summary) == 0:
        where = f" in store {store.code}" if store else ""
        raise NoTransactions(f"No purchases{where} on or before {calibration_end.isoformat()}.")
    scores = score(summary, calibration_end, time_unit=time_unit, horizon_days=horizon_days,
                   monthly_rate=monthly_rate)
    bg, gg = scores.bgnbd, scores.gamma_gamma
    with transaction.atomic():
        run = ClvRun.objects.create(
            calibration_end=calibration_end, time_unit=time_unit, store=store, customers=len(summary),
            r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, log_likelihood=bg.log_likelihood, gg_p=gg.p, gg_q=gg.q,
            gg_v=gg.v, gg_customers=gg.customers, gg_log_likelihood=gg.log_likelihood,
            excluded_zero_monetary=scores.excluded_zero_monetary, horizon_days=horizon_days,
            monthly_discount_rate=monthly_rate)
        _insert_values(run, summary, scores, calibration_end.toordinal() - summary.last_day)
        audit.record(actor, "analytics.clv_run", run, store_id=store.pk if store else None,
                     after={"calibration_end": calibration_end.isoformat(), "time_unit": time_unit,
                            "customers": len(summary)})
        outbox.emit("analytics.clv_scored", "clv_run", run.pk, store_id=store.pk if store else None,
                    customers=len(summary))
    return run, scores


VALUE_COLUMNS = ("member_id", "frequency", "recency", "age", "days_since_last", "monetary_fen", "p_alive",
                 "expected_purchases", "expected_avg_spend_fen", "clv_12m_fen", "churn_risk", "value_decile")


def value_deciles(clv_fen: np.ndarray) -> np.ndarray:
    """价值十分位: 1 + ⌊10·k/n⌋ with k the members worth strictly more, so 1 is the top tenth, 10 the bottom,
    and members of equal value always share a decile (the deciles are uneven when many tie)."""
    n = len(clv_fen)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    higher = n - np.searchsorted(np.sort(clv_fen), clv_fen, side="right")
    return 1 + (10 * higher) // n


def _insert_values(run: ClvRun, summary: Summary, scores: Scores, days_since_last: np.ndarray,
                   batch: int = 5000) -> None:
    """One MemberValue row per member with executemany: Django model instances would cost most of the run."""
    columns = [summary.member_id.tolist(), summary.frequency.tolist(), scores.t_x.tolist(), scores.T.tolist(),
               days_since_last.tolist(), np.rint(summary.monetary_fen).astype(np.int64).tolist(),
               scores.p_alive.tolist(), scores.expected_purchases.tolist(),
               scores.expected_spend_fen.astype(np.int64).tolist(), scores.clv_fen.astype(np.int64).tolist(),
               [str(risk) for risk in scores.churn_risk], value_deciles(scores.clv_fen).tolist()]
    rows = [(run.pk, *row) for row in zip(*columns, strict=True)]
    quote = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * (len(VALUE_COLUMNS) + 1))
    sql = (f"INSERT INTO {quote(MemberValue._meta.db_table)} ({quote('run_id')}, "
           + ", ".join(quote(c) for c in VALUE_COLUMNS) + f") VALUES ({placeholders})")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch):
            cursor.executemany(sql, rows[start:start + batch])


def win_back(run: ClvRun, *, risks: tuple[str, ...] = ("high", "medium"), limit: int | None = 100,
             by: str = "past_spend"):
    """流失挽回名单: members of a run at risk of churning. by="past_spend": repeat buyers who bought the most
    before, first; by="value": every member at risk, highest 12-month value first. limit None: all of them."""
    from django.db.models import F

    values = MemberValue.objects.filter(run=run, churn_risk__in=risks).select_related("member")
    if by == "past_spend":
        values = (values.filter(frequency__gt=0).annotate(past_fen=F("monetary_fen") * F("frequency"))
                  .order_by("-past_fen", "member_id"))
    elif by == "value":
        values = values.order_by("-clv_12m_fen", "member_id")
    else:
        raise ValidationProblem(f"Win-back lists are ordered by past_spend or value, not {by!r}.",
                                type="bad-win-back-order")
    return values if limit is None else values[:limit]
