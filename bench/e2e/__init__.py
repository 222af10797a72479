"""Parts of bench/intelligence_e2e.py: the generated data set, the pandas + lifetimes reference, measuring."""

import datetime as dt
import resource
import time
from pathlib import Path

import numpy as np

END = dt.date(2026, 9, 30)  # RFM as-of date and lifetime-value calibration end
ZONE = "Asia/Shanghai"


def timed(steps: dict, name: str, work):
    """Run `work`, recording wall seconds under `name` and CPU seconds of the process (all threads) under
    `name`_cpu: on a shared machine the CPU seconds are the work done, the wall seconds include waiting."""
    started, cpu = time.perf_counter(), time.process_time()
    result = work()
    steps[name] = time.perf_counter() - started
    steps[f"{name}_cpu"] = time.process_time() - cpu
    return result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def save_summary(path: Path, member_id, frequency, recency, age, monetary_yuan) -> None:
    import pandas as pd

    pd.DataFrame({"member_id": np.asarray(member_id, dtype=np.int64), "frequency": np.asarray(frequency, float),
                  "recency": np.asarray(recency, float), "T": np.asarray(age, float),
                  "monetary": np.asarray(monetary_yuan, float)}).to_parquet(path)
