"""Money is integer fen: exact parsing, formatting only at the edge."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shequn.core.money import format_fen, yuan_to_fen


@pytest.mark.parametrize("fen, text", [
    (0, "¥0.00"), (5, "¥0.05"), (1230, "¥12.30"), (12345, "¥123.45"), (123456789, "¥1,234,567.89"),
    (-5, "-¥0.05"), (-100000, "-¥1,000.00"),
])
def test_format_fen(fen, text):
    assert format_fen(fen) == text


@pytest.mark.parametrize("text, fen", [
    ("12.3", 1230), ("12.30", 1230), ("0.01", 1), ("19.99", 1999), ("¥1,234.56", 123456), (" 8 ", 800),
    (5, 500), (Decimal("0.07"), 7), ("0.1", 10), ("1.10", 110), ("1.230", 123),
])
def test_yuan_to_fen_is_exact(text, fen):
    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["1.234", "0.001", "19.999"])
def test_yuan_to_fen_refuses_a_third_decimal(text):
    with pytest.raises(ValueError, match="more than two decimals"):
        yuan_to_fen(text)


@pytest.mark.parametrize("text", ["", "abc", "12元", "NaN", "Infinity", "1.2.3"])
def test_yuan_to_fen_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError, match="not an amount"):
        yuan_to_fen(text)


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_format_then_parse_round_trips(fen):
    assert yuan_to_fen(format_fen(fen).replace("-¥", "-").replace("¥", "")) == fen
