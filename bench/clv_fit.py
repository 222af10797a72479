"""Lifetime value fit + scoring throughput: N (default 100,000) synthetic members drawn from a BG/NBD +
Gamma-Gamma process over two years of whole days, fitted and scored by Shequn and, on the same summary in the
same run, by lifetimes (BetaGeoFitter + GammaGammaFitter; a dev dependency, used here only as the reference).

lifetimes is much slower, so it gets a random subsample (--lifetimes-members, default 20,000) unless told
otherwise; the ratio is then per member. Prints wall time, peak traced memory and the fitted parameters of both.

With --db-members N (default 20,000) it also times the whole `run_clv` on a fresh SQLite database: N of the
members written out as purchases, loaded with `import_transactions`, then summary from the database + fit +
scoring + storing one MemberValue per member.

    .venv/bin/python bench/clv_fit.py [--members 1000000] [--lifetimes-members N] [--db-members N]
"""

import argparse
import datetime as dt
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="shequn-bench-clv-"))
os.environ["SHEQUN_VAR_DIR"] = str(TMP)
os.environ.pop("DATABASE_URL", None)
os.environ["DJANGO_SETTINGS_MODULE"] = "shequn.config.settings"

TRUE = {"r": 0.243, "alpha": 4.414 * 7, "a": 0.793, "b": 2.426, "p": 6.25, "q": 3.74, "v": 15.44}
END = dt.date(2026, 9, 30)


def summary_of(sim):
    from shequn.analytics.clv.summary import Summary

    age = sim.age.astype(np.int64)
    recency = sim.recency.astype(np.int64)
    first = END.toordinal() - age
    return Summary(member_id=np.arange(len(age)), frequency=sim.frequency, recency_days=recency, age_days=age,
                   monetary_fen=np.rint(sim.monetary * 100), first_day=first, last_day=first + recency)


def measure(work):
    tracemalloc.start()
    started = time.perf_counter()
    result = work()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def ours(summary):
    from shequn.analytics.clv.scoring import score

    return score(summary, END, time_unit="day")


def theirs(summary):
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    x = summary.frequency.astype(float)
    t_x, T = summary.recency_days.astype(float), summary.age_days.astype(float)
    m = summary.monetary_fen / 100
    bg = BetaGeoFitter().fit(x, t_x, T)
    repeat = (x > 0) & (m > 0)
    gg = GammaGammaFitter().fit(x[repeat], m[repeat])
    frame = pd.DataFrame({"x": x, "t_x": t_x, "T": T, "m": m})
    bg.conditional_probability_alive(x, t_x, T)
    bg.conditional_expected_number_of_purchases_up_to_time(90, x, t_x, T)
    gg.conditional_expected_average_profit(frame["x"], frame["m"])
    clv = gg.customer_lifetime_value(bg, frame["x"], frame["t_x"], frame["T"], frame["m"], time=12, freq="D",
                                     discount_rate=0.01)
    return bg.params_, gg.params_, clv


def write_purchases(sim, n: int, path: Path) -> int:
    """The first n simulated members as an import file: the first purchase, the repeat days spread between it
    and the last one (days that collide merge), each repeat worth the member's average."""
    rng = np.random.default_rng(2)
    rows = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("member_external_id,occurred_at,amount,quantity\n")
        for i in range(n):
            first = END.toordinal() - int(sim.age[i])
            x, last = int(sim.frequency[i]), first + int(sim.recency[i])
            days = [first] + ([] if x == 0 else [*rng.integers(first, last + 1, x - 1), last])
            amounts = [rng.gamma(6.25, 4.0)] + [sim.monetary[i]] * x
            for day, amount in zip(days, amounts, strict=True):
                fh.write(f"BENCH-{i},{dt.date.fromordinal(int(day)).isoformat()},{amount:.2f},1\n")
                rows += 1
    return rows


def database_run(sim, n: int) -> None:
    from django.core.management import call_command

    from shequn.analytics.clv.scoring import run_clv
    from shequn.analytics.importer import import_transactions
    from shequn.core.actor import Actor

    call_command("migrate", interactive=False, verbosity=0)
    actor = Actor(kind="system", id="bench", label="bench", permissions=frozenset({"members.write",
                                                                                  "members.import"}))
    path = TMP / "purchases.csv"
    rows = write_purchases(sim, n, path)
    started = time.perf_counter()
    assert import_transactions(actor, path).ok
    loaded = time.perf_counter() - started
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        started = time.perf_counter()  # not traced: tracemalloc slows Django's per-row Python work a lot
        run, _ = run_clv(actor, calibration_end=END, time_unit="day")
        elapsed = time.perf_counter() - started
    print(f"database (SQLite): {n:,} members, {rows:,} transactions imported in {loaded:.1f} s; run_clv "
          f"(summary from the database + fit + scoring + {run.customers:,} stored scores) {elapsed:.2f} s "
          f"({run.customers / elapsed:,.0f} members/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--lifetimes-members", type=int, default=20_000,
                        help="subsample for lifetimes (0: skip it; ≥ --members: the same summary)")
    parser.add_argument("--db-members", type=int, default=20_000, help="members for the database run (0: skip)")
    args = parser.parse_args()
    import django

    django.setup()
    from shequn.analytics.clv import scoring  # noqa: F401  (imported before the clock starts, like lifetimes)
    from shequn.analytics.clv.simulate import simulate

    started = time.perf_counter()
    sim = simulate(args.members, **TRUE, max_age=730, whole_units=True, seed=20261123)
    summary = summary_of(sim)
    print(f"{args.members:,} members simulated in {time.perf_counter() - started:.1f} s; "
          f"{int((sim.frequency > 0).sum()):,} with repeat purchases, "
          f"{len(np.unique(np.column_stack([sim.frequency, sim.recency, sim.age]), axis=0)):,} distinct "
          f"(x, t_x, T) rows")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores, our_time, our_peak = measure(lambda: ours(summary))
    bg, gg = scores.bgnbd, scores.gamma_gamma
    print(f"shequn:    fit + scoring {our_time:7.2f} s  ({args.members / our_time:,.0f} members/s), "
          f"peak traced memory {our_peak / 2**20:,.0f} MiB")
    print(f"  BG/NBD r={bg.r:.4f} alpha={bg.alpha:.3f} a={bg.a:.4f} b={bg.b:.4f}   "
          f"Gamma-Gamma p={gg.p:.3f} q={gg.q:.3f} v={gg.v:.3f}   (drawn with r=0.243 alpha={TRUE['alpha']:.3f} "
          "a=0.793 b=2.426, p=6.25 q=3.74 v=15.44)")
    n = min(args.lifetimes_members, args.members)
    if n > 0:
        import lifetimes  # noqa: F401  (imported before the clock starts)

        pick = np.sort(np.random.default_rng(1).choice(args.members, n, replace=False))
        from shequn.analytics.clv.summary import Summary

        sub = Summary(*(getattr(summary, f)[pick] for f in Summary.__dataclass_fields__))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (bg_params, gg_params, _), their_time, their_peak = measure(lambda: theirs(sub))
            _, our_sub_time, _ = measure(lambda: ours(sub))
        label = "same summary" if n == args.members else f"subsample of {n:,}"
        print(f"lifetimes: fit + scoring {their_time:7.2f} s  ({n / their_time:,.0f} members/s, {label}), "
              f"peak traced memory {their_peak / 2**20:,.0f} MiB")
        print(f"  BG/NBD r={bg_params['r']:.4f} alpha={bg_params['alpha']:.3f} a={bg_params['a']:.4f} "
              f"b={bg_params['b']:.4f}   Gamma-Gamma p={gg_params['p']:.3f} q={gg_params['q']:.3f} "
              f"v={gg_params['v']:.3f}")
        print(f"shequn on the {label}: {our_sub_time:.2f} s; lifetimes/shequn time "
              f"{their_time / our_sub_time:.1f}×; per member vs shequn on all: "
              f"{(their_time / n) / (our_time / args.members):.1f}×")
    if args.db_members:
        database_run(sim, min(args.db_members, args.members))
    print(f"process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
