"""Synthetic members and transactions drawn with numpy straight into the analytics snapshot layout
(`shequn.analytics.snapshot`): each buying member follows a BG/NBD process (purchase rate λ ~ Gamma, drop-out
after each purchase p ~ Beta) over two years, spends Gamma-Gamma amounts, and ~2% of orders are refunded."""

import datetime as dt
from pathlib import Path

import numpy as np

from . import END, ZONE

STORES = 8
DAYS = 730
MODEL = {"r": 0.9, "a": 0.8, "b": 6.0, "p": 6.25, "q": 3.74, "v": 15.44}  # α is tuned to the orders per member
BUYERS = 0.9  # share of members with at least one order; the rest signed up and never bought
REFUNDS = 0.02


def _draw_purchases(rng, n: int, alpha: float):
    """(member index, day offset from the window start) of each purchase; the first at the member's start."""
    rate = rng.gamma(MODEL["r"], 1.0 / alpha, n)
    drop = rng.beta(MODEL["a"], MODEL["b"], n)
    start = rng.uniform(0, DAYS, n)
    clock = start.copy()
    members, times = [np.arange(n)], [start]
    active = np.arange(n)
    while active.size:
        clock[active] += rng.exponential(1.0, active.size) / rate[active]
        buying = active[clock[active] <= DAYS]
        members.append(buying)
        times.append(clock[buying])
        active = buying[rng.random(buying.size) >= drop[buying]]
    return np.concatenate(members), np.concatenate(times)


def _alpha_for(per_buyer: float) -> float:
    """α (days) whose simulated purchases per buyer are 4% above the target (bisection on a pilot sample)."""
    low, high = 0.05, 2000.0
    for _ in range(25):
        alpha = (low * high) ** 0.5
        members, _ = _draw_purchases(np.random.default_rng(7), 20_000, alpha)
        low, high = (alpha, high) if len(members) / 20_000 > per_buyer * 1.04 else (low, alpha)
    return low


def generate(folder: Path, members: int, orders: int, seed: int = 20261123) -> None:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    buyers = int(members * BUYERS)
    who, when = _draw_purchases(rng, buyers, _alpha_for(orders / buyers))
    first = np.zeros(len(who), dtype=bool)
    first[:buyers] = True
    if len(who) > orders:  # thin the repeat purchases at random down to exactly `orders`
        repeat = np.flatnonzero(~first)
        keep = np.ones(len(who), dtype=bool)
        keep[rng.choice(repeat, len(who) - orders, replace=False)] = False
        who, when = who[keep], when[keep]
    member_ids = rng.permutation(members)[:buyers][who] + 1  # buyers spread over the member ids
    home = rng.integers(1, STORES + 1, members)
    nu = rng.gamma(MODEL["q"], 1.0 / MODEL["v"], buyers)
    fen = np.maximum(np.rint(rng.gamma(MODEL["p"], 1.0 / nu[who]) * 100), 1).astype(np.int64)
    window = dt.datetime.combine(END - dt.timedelta(days=DAYS - 1), dt.time(), tzinfo=dt.UTC)
    day = np.minimum(np.floor(when), DAYS - 1)
    local_seconds = day * 86400 + rng.uniform(8, 22, len(day)) * 3600  # open 08:00–22:00 local
    epoch_us = int(window.timestamp() * 1e6) - 8 * 3600 * 10**6  # local midnight of the first day, in UTC
    occurred = (epoch_us + local_seconds * 1e6).astype(np.int64)
    store = np.where(rng.random(len(who)) < 0.85, home[member_ids - 1], rng.integers(1, STORES + 1, len(who)))
    online = rng.random(len(who)) < 0.05  # online orders carry no store: the home store's zone applies
    order_ids = np.arange(1, len(who) + 1)
    # refunds: ~2% of orders, 1–7 days later (dropped when after the end), 70% in full
    refunded = np.flatnonzero(rng.random(len(who)) < REFUNDS)
    r_at = occurred[refunded] + rng.integers(1, 8, len(refunded)) * 86400 * 10**6
    inside = r_at < int(dt.datetime.combine(END, dt.time(16), tzinfo=dt.UTC).timestamp() * 1e6)
    refunded, r_at = refunded[inside], r_at[inside]
    share = np.where(rng.random(len(refunded)) < 0.7, 1.0, rng.uniform(0.1, 0.9, len(refunded)))
    r_fen = -np.maximum(np.rint(fen[refunded] * share), 1).astype(np.int64)
    rows = np.concatenate([order_ids, order_ids[refunded]])  # the order each row belongs to
    sort = np.argsort(np.concatenate([occurred, r_at]), kind="stable")
    n = len(rows)
    order_text = pc.binary_join_element_wise("P", pc.cast(pa.array(rows[sort]), pa.string()), "")
    is_refund = np.concatenate([np.zeros(len(who), dtype=bool), np.ones(len(refunded), dtype=bool)])[sort]
    source = pa.DictionaryArray.from_arrays(pa.array(is_refund.astype(np.int8)), ["order", "refund"])
    source_ref = pc.binary_join_element_wise(pc.cast(source, pa.string()), "-", pc.cast(pa.array(np.arange(n) + 1),
                                                                                        pa.string()), "")
    skus = pa.DictionaryArray.from_arrays(pa.array(rng.integers(0, 400, n).astype(np.int16)),
                                          [f"SKU{i:04d}" for i in range(400)])
    store_col = np.concatenate([store, store[refunded]])[sort]
    no_store = np.concatenate([online, online[refunded]])[sort]
    from shequn.analytics.snapshot import TABLES

    folder.mkdir(parents=True, exist_ok=True)
    transactions = pa.table({
        "id": pa.array(np.arange(1, n + 1)), "member_id": pa.array(np.concatenate([member_ids,
                                                                                   member_ids[refunded]])[sort]),
        "occurred_at": pa.array(np.concatenate([occurred, r_at])[sort], pa.timestamp("us", tz="UTC")),
        "amount_fen": pa.array(np.concatenate([fen, r_fen])[sort]),
        "quantity": pa.array(rng.integers(1, 6, n)), "order_no": order_text,
        "store_id": pa.array(store_col, mask=no_store), "sku": pc.cast(skus, pa.string()),
        "source": pc.cast(source, pa.string()), "source_ref": source_ref,
    }, schema=TABLES["transactions"][1])
    pq.write_table(transactions, folder / "transactions.parquet", compression="zstd")
    joined = epoch_us - rng.integers(0, 400, members) * 86400 * 10**6
    pq.write_table(pa.table({"id": np.arange(1, members + 1), "home_store_id": home,
                             "joined_at": pa.array(joined, pa.timestamp("us", tz="UTC"))},
                            schema=TABLES["members"][1]), folder / "members.parquet", compression="zstd")
    pq.write_table(pa.table({"id": np.arange(1, STORES + 1), "code": [f"S{i:02d}" for i in range(1, STORES + 1)],
                             "timezone": [ZONE] * STORES}, schema=TABLES["stores"][1]), folder / "stores.parquet")
