"""Columns and cell values of a transaction import file (交易导入): header names in English or Chinese, and
parsers for time, amount and quantity that say what is wrong.

Amounts are yuan with at most two decimals, turned into fen with integer arithmetic (never a float): "12.3",
"-5", "1,234.50" (thousands separators in their places), "¥8.80". A number cell from Excel is read at Excel's
own precision (15 significant digits), so 0.1+0.2 computed in a sheet is 0.3, not 0.30000000000000004."""

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from shequn.members.import_fields import text

COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("member_external_id", "external_id", "member_id", "会员编号", "外部会员编号", "会员号"),
    "occurred_at": ("occurred_at", "date", "datetime", "time", "order_time", "paid_at", "交易时间", "下单时间",
                    "购买时间", "消费时间", "日期", "时间"),
    "amount": ("amount", "amount_yuan", "金额", "实付金额", "消费金额", "交易金额"),
    "quantity": ("quantity", "qty", "数量", "件数"),
    "order_no": ("order_no", "order_id", "订单号", "订单编号", "单号"),
    "store_code": ("store_code", "store", "门店编码", "门店代码", "门店编号"),
    "sku": ("sku", "sku_code", "商品编码", "货号"),
}
REQUIRED = ("external_id", "occurred_at", "amount", "quantity")
LABELS = {"external_id": "会员编号", "occurred_at": "交易时间", "amount": "金额", "quantity": "数量",
          "order_no": "订单号", "store_code": "门店编码", "sku": "商品编码"}
MAX_EXTERNAL_ID, MAX_ORDER_NO, MAX_SKU = 64, 64, 40
MAX_QUANTITY = 1_000_000
MAX_AMOUNT_FEN = 10**10  # ¥100,000,000 on one row: anything bigger is a wrong column
EARLIEST = dt.date(1900, 1, 1)

_ALIASES = {re.sub(r"[\s_\-]", "", alias).lower(): name for name, aliases in COLUMNS.items() for alias in aliases}
_PLAIN_AMOUNT = re.compile(r"(-?)(\d+)(?:\.(\d{1,2})0*)?")  # "12.300" is 12.30: trailing zeros lose nothing
_GROUPED_AMOUNT = re.compile(r"(-?)(\d{1,3}(?:,\d{3})+)(?:\.(\d{1,2})0*)?")
_TOO_PRECISE = re.compile(r"-?[\d,]*\.\d{3,}")
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")
_OFFSET = re.compile(r"(Z|[+-]\d{2}:?\d{2})$")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


class BadValue(ValueError):
    """A cell that cannot be used; the message is shown to the operator."""


def map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per known field, and problems (a field given twice, a required one missing).
    Columns with other titles are ignored."""
    columns: dict[str, int] = {}
    problems = []
    for index, title in enumerate(header):
        name = _ALIASES.get(re.sub(r"[\s_\-]", "", title or "").lower())
        if name is None:
            continue
        if name in columns:
            problems.append(f"表头中“{LABELS[name]}”列出现了两次（第 {columns[name] + 1} 列和第 {index + 1} 列）")
            continue
        columns[name] = index
    for name in REQUIRED:
        if name not in columns:
            problems.append(f"表头缺少“{LABELS[name]}”列（{' / '.join(COLUMNS[name][:3])}）")
    return columns, problems


def _text(value: Any) -> str:
    return value.strip() if type(value) is str else text(value)


def parse_external_id(value: Any) -> str:
    ext = _text(value)
    if not ext:
        raise BadValue("缺少会员编号")
    if len(ext) > MAX_EXTERNAL_ID:
        raise BadValue(f"会员编号 {ext[:20]}… 太长（最多 {MAX_EXTERNAL_ID} 个字符）")
    return ext


def parse_code(value: Any, label: str, limit: int) -> str:
    code = _text(value)
    if len(code) > limit:
        raise BadValue(f"{label} {code[:20]}… 太长（最多 {limit} 个字符）")
    return code


def parse_amount(value: Any) -> int:
    """Yuan → fen, exactly. Negative for a refund row."""
    if type(value) is str and (match := _PLAIN_AMOUNT.fullmatch(value)):
        return _fen(*match.groups(), value)
    if isinstance(value, bool):
        raise BadValue(f"金额 {value} 不是数字")
    if isinstance(value, int):
        raw = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise BadValue("金额不是有效数字")
        raw = format(value, ".15g")
    else:
        raw = text(value).replace(" ", "").replace("¥", "").replace("￥", "")
    if not raw:
        raise BadValue("缺少金额")
    match = _PLAIN_AMOUNT.fullmatch(raw) or _GROUPED_AMOUNT.fullmatch(raw)
    if match is None:
        if _TOO_PRECISE.fullmatch(raw):
            raise BadValue(f"金额 {raw} 超过两位小数（金额以元为单位，精确到分）")
        raise BadValue(f"金额 {raw} 不是有效数字（例如 12.30、-5、1,234.50）")
    return _fen(*match.groups(), raw)


def _fen(sign: str, whole: str, cents: str | None, raw: str) -> int:
    fen = int(whole.replace(",", "")) * 100 + (0 if cents is None else int(cents) * (10 if len(cents) == 1 else 1))
    if fen > MAX_AMOUNT_FEN:
        raise BadValue(f"金额 {raw} 太大（单行最多 1 亿元），请检查是否填错了列")
    return -fen if sign else fen


def parse_quantity(value: Any) -> int:
    if type(value) is str and value.isascii() and value.isdigit():  # the usual case: a plain positive count
        quantity = int(value)
        if 0 < quantity <= MAX_QUANTITY:
            return quantity
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = _text(value)
    if not raw:
        raise BadValue("缺少数量")
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise BadValue(f"数量 {raw} 不是整数")
    quantity = int(raw)
    if quantity == 0:
        raise BadValue("数量不能为 0（购买为正数，退货为负数）")
    if abs(quantity) > MAX_QUANTITY:
        raise BadValue(f"数量 {raw} 太大（最多 {MAX_QUANTITY:,}）")
    return quantity


def check_signs(amount_fen: int, quantity: int) -> None:
    """A purchase has a quantity ≥ 1 and an amount ≥ 0; a refund row a negative amount and quantity ≤ -1."""
    if amount_fen < 0 and quantity > 0:
        raise BadValue(f"金额为负（退款）时数量也应为负数（退回件数），现为 {quantity}")
    if amount_fen >= 0 and quantity < 0:
        raise BadValue(f"数量为负（退货）时金额也应为负数（退款金额），现为 {amount_fen / 100:.2f} 元")


def parse_occurred_at(value: Any, tz: ZoneInfo, now: dt.datetime) -> dt.datetime:
    """A date (the start of that day) or a date and time, local to `tz` unless it carries an offset; → UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time.min)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        moment = _from_number(value)
    else:
        raw = text(value)
        if not raw:
            raise BadValue("缺少交易时间")
        moment = _from_text(raw)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    utc = moment.astimezone(dt.UTC)
    if utc > now + dt.timedelta(minutes=5):
        raise BadValue(f"交易时间 {_shown(moment)} 在未来")
    if moment.date() < EARLIEST:
        raise BadValue(f"交易时间 {_shown(moment)} 太早")
    return utc


def _shown(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment.time() != dt.time.min else moment.date().isoformat()


def _from_number(value: float) -> dt.datetime:
    if float(value).is_integer() and 19000101 <= value <= 99991231:
        return _from_text(str(int(value)))
    if 1 <= value <= 80000:  # an Excel serial day number (with the time as the fraction) that lost its format
        return _EXCEL_EPOCH + dt.timedelta(days=float(value))
    raise BadValue(f"交易时间 {value} 无法识别")


def _from_text(raw: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        pass
    try:
        if re.fullmatch(r"\d{8}", raw):
            return dt.datetime(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        if re.fullmatch(r"\d{1,5}(\.\d+)?", raw):
            return _from_number(float(raw))
        return _from_parts(raw)
    except BadValue:
        raise
    except ValueError as exc:
        raise BadValue(f"交易时间 {raw} 不是有效的日期或时间") from exc


def _from_parts(raw: str) -> dt.datetime:
    rest = raw
    offset = _OFFSET.search(rest)
    if offset:
        rest = rest[:offset.start()].rstrip()
    date_match = _DATE.match(rest)
    if date_match is None:
        raise BadValue(f"交易时间 {raw} 无法识别（请用 2026-03-08、2026/3/8 14:05 或 20260308）")
    clock = rest[date_match.end():].lstrip(" T")
    moment = dt.datetime(*(int(g) for g in date_match.groups()))
    if clock:
        time_match = _TIME.fullmatch(clock)
        if time_match is None:
            raise BadValue(f"交易时间 {raw} 中的时刻 {clock} 无法识别（请用 14:05 或 14:05:30）")
        hour, minute, second, fraction = time_match.groups()
        moment = moment.replace(hour=int(hour), minute=int(minute), second=int(second or 0),
                                microsecond=int((fraction or "0").ljust(6, "0")))
    if offset:
        moment = dt.datetime.fromisoformat(moment.isoformat() + offset.group(1).replace("Z", "+00:00"))
    return moment
