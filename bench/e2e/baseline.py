"""The reference: the same RFM and lifetime-value work written the way an analyst would, with pandas and
lifetimes (BetaGeoFitter, GammaGammaFitter), on the same rules as Shequn."""

import time
import warnings
from pathlib import Path

import numpy as np

from . import END, ZONE, peak_rss_mib, save_summary, timed

CELL_RULES = [("champions", "r == 5 & fm >= 4"), ("loyal", "r >= 3 & fm >= 4"),
              ("potential_loyalist", "r >= 4 & fm >= 2"), ("new", "r == 5 & fm == 1"),
              ("promising", "r == 4 & fm == 1"), ("need_attention", "r == 3 & fm == 3"),
              ("about_to_sleep", "r == 3"), ("cannot_lose", "fm == 5"), ("at_risk", "fm >= 3"),
              ("lost", "r == 1 & fm == 1")]


def _pandas_rfm(tx, home):
    """RFM the way an analyst writes it in pandas, on the same rules as `shequn.analytics.rfm`."""
    import pandas as pd

    day = tx["occurred_at"].dt.tz_convert(ZONE).dt.tz_localize(None).dt.normalize()
    t = pd.DataFrame({"member_id": tx["member_id"], "day": day, "amount_fen": tx["amount_fen"]})
    t = t[t["day"] <= pd.Timestamp(END)]
    spend = t.groupby("member_id")["amount_fen"].sum().rename("monetary_fen")
    bought = t[t["amount_fen"] > 0].groupby("member_id")["day"].agg(last_day="max", frequency="nunique")
    rfm = spend[spend > 0].to_frame().join(bought, how="inner").join(home, how="inner")
    rfm["recency_days"] = (pd.Timestamp(END) - rfm["last_day"]).dt.days
    n = len(rfm)

    def quintile(values):  # 1 + ⌊5·k/n⌋, k = members with a strictly worse value
        return (values.rank(method="min").astype("int64") - 1) * 5 // n + 1

    r, f, m = quintile(-rfm["recency_days"]), quintile(rfm["frequency"]), quintile(rfm["monetary_fen"])
    fm = (f + m + 1) // 2
    scope = {"r": r.to_numpy(), "fm": fm.to_numpy()}
    conditions = [pd.eval(rule, local_dict=scope) for _, rule in CELL_RULES]
    rfm = rfm.assign(r_score=r, f_score=f, m_score=m, fm_score=fm,
                     cell=np.select(conditions, [name for name, _ in CELL_RULES], default="hibernating"))
    return rfm.reset_index().sort_values("member_id", ignore_index=True)


def _pandas_member_days(tx, members, stores):
    """Purchase days per member (net yuan), local to each transaction's store, else the home store."""
    import pandas as pd

    store_zone = stores.set_index("id")["timezone"]
    home_zone = members.set_index("id")["home_store_id"].map(store_zone)
    zone = tx["store_id"].map(store_zone).fillna(tx["member_id"].map(home_zone)).fillna(ZONE)
    day = pd.Series(pd.NaT, index=tx.index, dtype="datetime64[us]")
    for name, rows in tx.groupby(zone).groups.items():
        day[rows] = tx.loc[rows, "occurred_at"].dt.tz_convert(name).dt.tz_localize(None).dt.normalize()
    t = pd.DataFrame({"member_id": tx["member_id"], "day": day, "amount_fen": tx["amount_fen"],
                      "order_no": tx["order_no"].replace("", None)})
    t = t[t["day"] <= pd.Timestamp(END)]
    named = (t["amount_fen"] < 0) & t["order_no"].notna()
    refunds = t[named]
    keys = refunds[["member_id", "order_no"]].drop_duplicates()
    orders = t[(t["amount_fen"] > 0) & t["order_no"].notna()].merge(keys, on=["member_id", "order_no"])
    order_day = orders.groupby(["member_id", "order_no"])["day"].min().rename("order_day")
    refunds = refunds.join(order_day, on=["member_id", "order_no"])
    refunds = refunds.assign(day=refunds["order_day"].fillna(refunds["day"]))[t.columns]
    t = pd.concat([t[~named], refunds], ignore_index=True)
    t["purchase"], t["refund"] = t["amount_fen"] >= 0, t["amount_fen"] < 0
    days = t.groupby(["member_id", "day"], as_index=False).agg(
        net=("amount_fen", "sum"), purchases=("purchase", "sum"), refunds=("refund", "sum"))
    keep = (days["purchases"] > 0) & ((days["net"] > 0) | ((days["net"] == 0) & (days["refunds"] == 0)))
    days = days[keep]
    return days.assign(net=days["net"] / 100)


def _lifetimes_fit_score(s):
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    f, r, T, m = s["frequency"], s["recency"], s["T"], s["monetary_value"]
    steps: dict[str, float] = {}
    bg = timed(steps, "bgnbd", lambda: BetaGeoFitter().fit(f, r, T))
    repeat = (f > 0) & (m > 0)
    gg = timed(steps, "gamma_gamma", lambda: GammaGammaFitter().fit(f[repeat], m[repeat]))
    started = time.perf_counter()
    p_alive = bg.conditional_probability_alive(f, r, T)
    bg.conditional_expected_number_of_purchases_up_to_time(90, f, r, T)
    gg.conditional_expected_average_profit(f, m)
    clv = gg.customer_lifetime_value(bg, f, r, T, m, time=12, freq="D", discount_rate=0.01)
    steps["scoring"] = time.perf_counter() - started
    return bg, gg, steps, float(np.nansum(clv)), float(np.mean(p_alive))


def baseline_side(folder: Path, out: Path, args) -> dict:
    import lifetimes  # noqa: F401  (imported before the clock starts, like Shequn's libraries)
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    steps: dict[str, float] = {}
    tx = timed(steps, "load", lambda: pd.read_parquet(folder / "transactions.parquet", columns=[
        "member_id", "occurred_at", "amount_fen", "order_no", "store_id"]))
    members = pd.read_parquet(folder / "members.parquet", columns=["id", "home_store_id"])
    stores = pd.read_parquet(folder / "stores.parquet")
    home = members.merge(stores, how="left", left_on="home_store_id", right_on="id", suffixes=("", "_store"))
    home = home.set_index("id")["code"].rename("store_code")
    rfm = timed(steps, "rfm", lambda: _pandas_rfm(tx, home))

    def summarise():
        days = _pandas_member_days(tx, members, stores)
        return summary_data_from_transaction_data(days, "member_id", "day", monetary_value_col="net",
                                                  observation_period_end=pd.Timestamp(END), freq="D")

    summary = timed(steps, "summary", summarise)
    sample, scale = summary, 1.0
    if 0 < args.lifetimes_members < len(summary):
        sample = summary.sample(n=args.lifetimes_members, random_state=1)
        scale = len(summary) / args.lifetimes_members
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bg, gg, detail, clv_total, p_alive_mean = timed(steps, "fit_score", lambda: _lifetimes_fit_score(sample))
    steps["fit_score"] *= scale
    steps["fit_score_cpu"] *= scale
    peak = peak_rss_mib()
    rfm.to_parquet(out / "rfm-baseline.parquet")
    save_summary(out / "summary-baseline.parquet", summary.index, summary["frequency"], summary["recency"],
                  summary["T"], summary["monetary_value"])
    return {"steps": steps, "peak_rss_mib": peak, "members": len(summary), "rfm_members": len(rfm),
            "fitted_members": len(sample), "scale": scale, "detail": detail,
            "bgnbd": {k: float(bg.params_[k]) for k in ("r", "alpha", "a", "b")},
            "gamma_gamma": {k: float(gg.params_[k]) for k in ("p", "q", "v")},
            "clv_total_yuan": clv_total * scale, "p_alive_mean": p_alive_mean}
