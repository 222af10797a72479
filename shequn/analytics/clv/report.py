"""What `shequn analytics clv` prints: the fitted parameters and how the members were scored."""

from collections import Counter

from shequn.core.money import format_fen

from ..models import ClvRun
from .scoring import Scores


def as_dict(run: ClvRun, scores: Scores) -> dict:
    risks = Counter(str(risk) for risk in scores.churn_risk)
    return {
        "bgnbd": {"r": run.r, "alpha": run.alpha, "a": run.a, "b": run.b, "log_likelihood": run.log_likelihood},
        "gamma_gamma": {"p": run.gg_p, "q": run.gg_q, "v": run.gg_v},
        "customers": run.customers,
        "run_id": run.pk,
        "calibration_end": run.calibration_end.isoformat(),
        "time_unit": run.time_unit,
        "store": run.store.code if run.store else None,
        "spend_customers": run.gg_customers,
        "excluded_zero_monetary": run.excluded_zero_monetary,
        "horizon_days": run.horizon_days,
        "expected_purchases": round(float(scores.expected_purchases.sum()), 2),
        "clv_12m_fen": int(scores.clv_fen.sum()),
        "monthly_discount_rate": run.monthly_discount_rate,
        "churn_risk": {risk: risks.get(risk, 0) for risk in ("low", "medium", "high")},
        "warnings": scores.warnings,
    }


def _row(name: str, value: float) -> str:
    return f"  {name:<26}{value:>14.4f}"


def as_table(run: ClvRun, scores: Scores) -> str:
    data = as_dict(run, scores)
    bg, gg = data["bgnbd"], data["gamma_gamma"]
    scope = f"store {data['store']}" if data["store"] else "all stores"
    lines = [
        f"CLV run {run.pk}: {scope}, calibration end {data['calibration_end']}, time unit {run.time_unit}",
        f"{'customers':<28}{data['customers']:>14,}",
        "BG/NBD (purchases, probability alive)",
        _row("r", bg["r"]), _row(f"alpha ({run.time_unit}s)", bg["alpha"]), _row("a", bg["a"]), _row("b", bg["b"]),
        _row("log-likelihood", bg["log_likelihood"]),
        f"Gamma-Gamma (spend per purchase, {data['spend_customers']:,} customers with repeat purchases)",
        _row("p", gg["p"]), _row("q", gg["q"]), _row("v (yuan)", gg["v"]),
        f"{'expected purchases':<28}{data['expected_purchases']:>14,.1f}  (next {run.horizon_days} days)",
        f"{'12-month value':<28}{format_fen(data['clv_12m_fen']):>14}  "
        f"(discounted {run.monthly_discount_rate:.1%} a month)",
        "churn risk: " + ", ".join(f"{risk} {count:,}" for risk, count in data["churn_risk"].items()),
    ]
    if data["excluded_zero_monetary"]:
        lines.append(f"left out of the spend model: {data['excluded_zero_monetary']:,} customer(s) whose repeat "
                     "purchases average zero")
    return "\n".join(lines)
