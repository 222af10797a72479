import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequn.analytics import import_fields as fields

FEN = st.integers(min_value=-fields.MAX_AMOUNT_FEN, max_value=fields.MAX_AMOUNT_FEN)


def yuan(fen: int, *, grouped: bool = False, decimals: int = 2) -> str:
    text = f"{abs(fen) // 100:,}" if grouped else str(abs(fen) // 100)
    cents = f"{abs(fen) % 100:02d}"
    if decimals == 1 and cents.endswith("0"):
        cents = cents[0]
    elif decimals == 0 and cents == "00":
        return ("-" if fen < 0 else "") + text
    return ("-" if fen < 0 else "") + f"{text}.{cents}"


@given(FEN, st.booleans(), st.sampled_from([0, 1, 2]))
def test_any_yuan_text_is_exact_fen(fen, grouped, decimals):
    assert fields.parse_amount(yuan(fen, grouped=grouped, decimals=decimals)) == fen


@given(st.decimals(min_value=-10**7, max_value=10**7, places=2, allow_nan=False, allow_infinity=False))
def test_excel_number_cells_are_exact_fen(amount):
    # what openpyxl hands over for a number cell: the nearest float
    assert fields.parse_amount(float(amount)) == int(amount * 100)


@given(st.decimals(min_value=-10**6, max_value=10**6, places=3, allow_nan=False, allow_infinity=False))
def test_three_decimals_are_refused_not_rounded(amount):
    text = f"{amount:.3f}"
    if text.endswith("0"):
        assert fields.parse_amount(text) == int(Decimal(text) * 100)
    else:
        with pytest.raises(fields.BadValue, match="两位小数"):
            fields.parse_amount(text)


@pytest.mark.parametrize("value", [True, float("nan"), float("inf"), "1e5", "12,34", "1.2.3", "--1", "", None])
def test_bad_amounts(value):
    with pytest.raises(fields.BadValue):
        fields.parse_amount(value)


def test_ambiguous_and_excel_times():
    shanghai = ZoneInfo("Asia/Shanghai")
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert fields.parse_occurred_at(45000.5, shanghai, now) == dt.datetime(2023, 3, 15, 4, 0, tzinfo=dt.UTC)
    assert fields.parse_occurred_at("45000", shanghai, now) == dt.datetime(2023, 3, 14, 16, 0, tzinfo=dt.UTC)
    assert fields.parse_occurred_at(20260105, shanghai, now) == dt.datetime(2026, 1, 4, 16, 0, tzinfo=dt.UTC)
    with pytest.raises(fields.BadValue, match="太早"):
        fields.parse_occurred_at("1899-12-31", shanghai, now)
    with pytest.raises(fields.BadValue, match="无法识别"):
        fields.parse_occurred_at("2026-01-05 下午三点", shanghai, now)
