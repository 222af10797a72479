"""Money is integer fen (分); formatting and parsing happen only at the edges."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def format_fen(fen: int) -> str:
    """12345 -> '¥123.45'; -5 -> '-¥0.05'."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}¥{yuan:,}.{cents:02d}"


def yuan_to_fen(text: str | int | Decimal) -> int:
    """Parse a yuan amount with at most two decimals exactly ('12.3' -> 1230)."""
    try:
        value = Decimal(str(text).strip().replace(",", "").lstrip("¥"))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    fen = value * 100
    if fen != fen.to_integral_value():
        raise ValueError(f"more than two decimals: {text!r}")
    return int(fen.to_integral_value(rounding=ROUND_HALF_UP))
