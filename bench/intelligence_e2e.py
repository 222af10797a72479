"""Customer analytics end to end at scale: RFM + lifetime-value summary + BG/NBD and Gamma-Gamma fit + scoring
of every member, by Shequn (Ibis on DuckDB over the Parquet snapshot, then its own fitting) and, on the same
files in the same run, by pandas + lifetimes written the way an analyst would.

Data (default 1,000,000 members, 10,000,000 orders over two years, eight stores) is drawn with numpy straight
into the snapshot layout (`shequn.analytics.snapshot`): each buying member follows a BG/NBD process (purchase
rate λ ~ Gamma, drop-out after each purchase p ~ Beta), spends Gamma-Gamma amounts, and ~2% of the orders are
refunded (most in full, a few days later). It is cached in var/bench/e2e-<members>-<orders>/ (--rebuild).

Each side runs in its own process; the table shows wall and CPU seconds per step (on a shared machine the CPU
seconds are the work, the wall seconds include waiting for a core), the ratios, and each process's peak RSS.
lifetimes is slow, so it fits and scores a random subsample (--lifetimes-members, default 100,000; 0 for all)
and its time is scaled linearly to all members (marked * and printed as scaled). The RFM frames and summaries
of both sides are compared and both sides' fitted parameters printed, so the two do the same work.

    nice -n 10 .venv/bin/python bench/intelligence_e2e.py [--scale 0.1] [--members N --orders N] [--rebuild]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from e2e import END, ZONE, peak_rss_mib, save_summary, timed  # noqa: E402
from e2e.baseline import baseline_side  # noqa: E402
from e2e.data import generate  # noqa: E402


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequn.config.settings")
    import django

    django.setup()


def shequn_side(folder: Path, out: Path, _args) -> dict:
    _setup_django()
    import ibis.backends.duckdb  # noqa: F401  (libraries are imported before the clock starts on both sides)

    from shequn.analytics.clv.scoring import score
    from shequn.analytics.engines import connect
    from shequn.analytics.member_days import rfm_and_summary

    steps: dict[str, float] = {}
    backend, tables = timed(steps, "open", lambda: connect("duckdb", snapshot=folder, time_zone=ZONE))
    rfm, summary = timed(steps, "rfm_summary", lambda: rfm_and_summary(backend, tables, END))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = timed(steps, "fit_score", lambda: score(summary, END, time_unit="day", horizon_days=90))
    peak = peak_rss_mib()
    backend.disconnect()
    rfm.to_parquet(out / "rfm-shequn.parquet")
    save_summary(out / "summary-shequn.parquet", summary.member_id, summary.frequency, summary.recency_days,
                  summary.age_days, summary.monetary_fen / 100)
    bg, gg = scores.bgnbd, scores.gamma_gamma
    return {"steps": steps, "peak_rss_mib": peak, "members": len(summary), "rfm_members": len(rfm),
            "bgnbd": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b},
            "gamma_gamma": {"p": gg.p, "q": gg.q, "v": gg.v},
            "clv_total_yuan": float(scores.clv_fen.sum() / 100),
            "p_alive_mean": float(scores.p_alive.mean())}


def _row(label: str, row: np.ndarray, mark: str) -> str:
    ours, ours_cpu, theirs, theirs_cpu = row
    return (f"{label:<36}{ours:>7.1f}s{ours_cpu:>7.1f}s{theirs:>9.1f}s{mark}{theirs_cpu:>8.1f}s{mark}"
            f"{theirs / ours:>6.1f}×{theirs_cpu / ours_cpu:>6.1f}×")


SIDES = {"shequn": shequn_side, "baseline": baseline_side}
# (label, Shequn's steps, the reference's steps): Shequn computes RFM and the summary in one pass
STEPS = [("load Parquet", ["open"], ["load"]), ("RFM + CLV summary", ["rfm_summary"], ["rfm", "summary"]),
         ("BG/NBD + Gamma-Gamma fit + scoring", ["fit_score"], ["fit_score"])]


def run_side(side: str, folder: Path, out: Path, args) -> dict:
    command = [sys.executable, __file__, "--side", side, "--data", str(folder), "--out", str(out),
               "--lifetimes-members", str(args.lifetimes_members)]
    subprocess.run(command, check=True)
    return json.loads((out / f"result-{side}.json").read_text())


def compare(out: Path) -> None:
    """Both sides must have scored the same members the same way."""
    import pandas as pd

    ours, theirs = (pd.read_parquet(out / f"rfm-{side}.parquet").set_index("member_id") for side in
                    ("shequn", "baseline"))
    columns = ["store_code", "recency_days", "frequency", "monetary_fen", "r_score", "f_score", "m_score",
               "fm_score", "cell"]
    both = ours.index.intersection(theirs.index)
    differ = sum(int((ours.loc[both, c].astype(object) != theirs.loc[both, c].astype(object)).sum())
                 for c in columns)
    print(f"RFM: {len(ours):,} members scored by Shequn, {len(theirs):,} by pandas, {len(both):,} by both; "
          f"differing values: {differ}")
    a, b = (pd.read_parquet(out / f"summary-{side}.parquet").set_index("member_id") for side in ("shequn", "baseline"))
    diff = (a - b.reindex(a.index)).abs().max()
    print(f"CLV summary: {len(a):,} / {len(b):,} members; largest difference per column: "
          + ", ".join(f"{k} {v:.6g}" for k, v in diff.items()))


def report(ours: dict, theirs: dict) -> None:
    print(f"\n{'':<36}{'Shequn':>16}{'pandas + lifetimes':>20}{'ratio':>14}")
    print(f"{'step':<36}{'wall':>8}{'CPU':>8}{'wall':>10}{'CPU':>10}{'wall':>7}{'CPU':>7}")
    totals = np.zeros(4)
    for label, our_keys, their_keys in STEPS:  # Shequn opens the snapshot; DuckDB reads the Parquet in the query
        row = np.array([sum(side["steps"][f"{key}{kind}"] for key in keys) for side, keys in
                        ((ours, our_keys), (theirs, their_keys)) for kind in ("", "_cpu")])
        totals += row
        scaled = "*" if "fit_score" in their_keys and theirs["scale"] > 1 else " "
        print(_row(label, row, scaled))
    print(_row("total", totals, " "))
    for key, label in (("rfm", "  pandas RFM alone"), ("summary", "  lifetimes summary alone")):
        print(f"{label:<52}{theirs['steps'][key]:>9.1f}s {theirs['steps'][f'{key}_cpu']:>8.1f}s")
    print(f"{'peak RSS (MiB)':<36}{ours['peak_rss_mib']:>16,.0f}{theirs['peak_rss_mib']:>20,.0f}")
    if theirs["scale"] > 1:
        print(f"* lifetimes fitted and scored a random subsample of {theirs['fitted_members']:,} of "
              f"{theirs['members']:,} members; its time is scaled ×{theirs['scale']:.2f} (linear in members)")
    d = theirs["detail"]
    print(f"  lifetimes on {theirs['fitted_members']:,}: BetaGeoFitter {d['bgnbd']:.1f}s, GammaGammaFitter "
          f"{d['gamma_gamma']:.1f}s, scoring {d['scoring']:.1f}s")
    for name, side in (("Shequn", ours), ("lifetimes", theirs)):
        bg, gg = side["bgnbd"], side["gamma_gamma"]
        print(f"{name:>10}: BG/NBD r={bg['r']:.4f} alpha={bg['alpha']:.3f} a={bg['a']:.4f} b={bg['b']:.4f}  "
              f"Gamma-Gamma p={gg['p']:.3f} q={gg['q']:.3f} v={gg['v']:.3f}  mean P(alive) "
              f"{side['p_alive_mean']:.4f}  12-month value, all members ¥{side['clv_total_yuan']:,.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000, help="members (default 1,000,000; 90%% buy)")
    parser.add_argument("--orders", type=int, default=10_000_000,
                        help="orders over two years (default 10,000,000); refunds come on top")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply members and orders (0.1: a tenth)")
    parser.add_argument("--lifetimes-members", type=int, default=100_000,
                        help="fit lifetimes on a random subsample of this many members, its time scaled to all "
                             "(default 100,000; 0: all of them)")
    parser.add_argument("--rebuild", action="store_true", help="generate the data again even if cached")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        result = SIDES[args.side](args.data, args.out, args)
        (args.out / f"result-{args.side}.json").write_text(json.dumps(result))
        return
    members, orders = round(args.members * args.scale), round(args.orders * args.scale)
    folder = ROOT / "var" / "bench" / f"e2e-{members}-{orders}"
    tmp = tempfile.TemporaryDirectory(prefix="shequn-bench-e2e-")
    os.environ["SHEQUN_VAR_DIR"] = tmp.name
    os.environ.pop("DATABASE_URL", None)
    _setup_django()
    if args.rebuild or not all((folder / f"{t}.parquet").is_file() for t in ("transactions", "members", "stores")):
        started = time.perf_counter()
        generate(folder, members, orders)
        print(f"generated in {time.perf_counter() - started:.1f} s into {folder}")
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(folder / "transactions.parquet").metadata.num_rows
    print(f"data: {members:,} members, {orders:,} orders + {rows - orders:,} refunds = {rows:,} transactions "
          f"({folder.relative_to(ROOT)}), as of {END}")
    print("load average before: {:.1f} {:.1f} {:.1f} on {} CPUs".format(*os.getloadavg(), os.cpu_count()))
    with tmp:
        out = Path(tmp.name)
        ours, theirs = run_side("shequn", folder, out, args), run_side("baseline", folder, out, args)
        print("load average after: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
        compare(out)
        report(ours, theirs)


if __name__ == "__main__":
    main()
