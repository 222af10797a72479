"""The CDNOW sample (Fader, Hardie & Lee 2005) as a transaction import file.

The data ships inside the `lifetimes` wheel (a development dependency only): lifetimes/datasets/CDNOW_sample.txt,
one purchase a line: customer id, customer index (1..2357), date YYYYMMDD, quantity (CDs), amount in dollars.
`cdnow_csv` writes it in the columns of `shequn import-transactions`; the amount (dollars) goes in as-is, so
monetary figures of a fit on the import read in dollars. Finding the file does not import lifetimes."""

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

CUSTOMERS = 2357
ROWS = 6919
ZERO_AMOUNT_ROWS = 8  # purchases of $0.00 (kept: they count as purchases)
FIRST_DAY, LAST_DAY = dt.date(1997, 1, 1), dt.date(1998, 6, 30)
CALIBRATION_END = dt.date(1997, 9, 30)
HEADER = "member_external_id,occurred_at,amount,quantity"


def cdnow_sample_path() -> Path:
    """Where CDNOW_sample.txt is; skips the calling test when the lifetimes wheel is not installed."""
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("the lifetimes wheel (dev dependency) is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "CDNOW_sample.txt"
    if not path.exists():
        pytest.skip(f"{path} is missing")
    return path


def external_id(customer_id: str) -> str:
    """The member external id a CDNOW customer gets in the import file."""
    return f"CDNOW-{customer_id}"


def cdnow_csv(tmp_path: Path) -> Path:
    """Write the CDNOW sample as an import CSV in `tmp_path`; returns its path."""
    lines = [HEADER]
    for raw in cdnow_sample_path().read_text().splitlines():
        if not raw.strip():
            continue
        customer, _index, day, quantity, dollars = raw.split()
        lines.append(f"{external_id(customer)},{day[:4]}-{day[4:6]}-{day[6:]},{dollars},{quantity}")
    path = Path(tmp_path) / "cdnow_sample.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
