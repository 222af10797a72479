"""Columns and cell values of a member import file: header names in English or
Chinese, and parsers for phone, date, gender and tags that say what is wrong."""

import datetime as dt
import re
from typing import Any

from shequn.core.phones import InvalidPhone, normalise_cn_mobile

from .models import Member

# field -> accepted header spellings (compared case-, space- and underscore-insensitively)
COLUMNS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "mobile", "phone_number", "手机号", "手机", "手机号码", "电话"),
    "name": ("name", "姓名", "名字", "会员姓名"),
    "birthday": ("birthday", "birth_date", "date_of_birth", "生日", "出生日期"),
    "gender": ("gender", "sex", "性别"),
    "store_code": ("store_code", "store", "门店编码", "门店代码", "门店编号"),
    "external_id": ("external_id", "member_id", "会员编号", "外部编号", "会员号"),
    "tags": ("tags", "tag", "标签"),
}
FIELD_LABELS = {"phone": "手机号", "name": "姓名", "birthday": "生日", "gender": "性别",
                "store_code": "门店编码", "external_id": "会员编号", "tags": "标签"}

_ALIASES = {re.sub(r"[\s_\-]", "", alias).lower(): field
            for field, aliases in COLUMNS.items() for alias in aliases}

_GENDERS = {"男": Member.Gender.MALE, "male": Member.Gender.MALE, "m": Member.Gender.MALE,
            "女": Member.Gender.FEMALE, "female": Member.Gender.FEMALE, "f": Member.Gender.FEMALE,
            "未知": Member.Gender.UNKNOWN, "unknown": Member.Gender.UNKNOWN}
_TAG_SPLIT = re.compile(r"[,，;；|、]")
_DATE_SEP = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)
MAX_NAME, MAX_TAG, MAX_EXTERNAL_ID = 64, 50, 64


class BadValue(ValueError):
    """A cell that cannot be used; the message is shown to the operator."""


def map_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    """Column index per known field, and problems (a field given twice)."""
    columns: dict[str, int] = {}
    problems = []
    for index, title in enumerate(header):
        field = _ALIASES.get(re.sub(r"[\s_\-]", "", title or "").lower())
        if field is None:
            continue
        if field in columns:
            problems.append(f"表头中“{FIELD_LABELS[field]}”列出现了两次（第 {columns[field] + 1} 列和"
                            f"第 {index + 1} 列）")
            continue
        columns[field] = index
    return columns, problems


def text(value: Any) -> str:
    """A cell as text; whole numbers from Excel lose their '.0'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


_PLAIN_MOBILE = re.compile(r"1\d{10}")
_segments: dict[str, bool] = {}


def _segment_is_mobile(number: str) -> bool:
    """Whether the number range (号段) of a plain 11-digit number is a valid mobile range.

    phonenumbers' CN patterns decide an 11-digit number within its first 5 digits
    (e.g. 17400-17405), so one check per 6-digit prefix (at most 100,000 of them)
    saves the ~40 µs phonenumbers spends on every row of a large file."""
    segment = number[:6]
    known = _segments.get(segment)
    if known is None:
        try:
            known = normalise_cn_mobile(number) == number
        except InvalidPhone:
            known = False
        _segments[segment] = known
    return known


def parse_phone(value: Any) -> str | None:
    raw = text(value)
    if not raw:
        return None
    if _PLAIN_MOBILE.fullmatch(raw):
        if _segment_is_mobile(raw):
            return raw
    else:
        try:
            return normalise_cn_mobile(raw)
        except InvalidPhone:
            pass
    raise BadValue(f"手机号 {raw} 无效（需要 11 位中国大陆手机号）")


def parse_date(value: Any, today: dt.date) -> dt.date | None:
    """1990-01-02, 1990/1/2, 1990.1.2, 1990年1月2日, 19900102, an Excel date or serial number."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    else:
        raw = text(value)
        if not raw:
            return None
        day = _date_from_text(raw)
    if day > today:
        raise BadValue(f"生日 {day.isoformat()} 在未来")
    if day.year < 1900:
        raise BadValue(f"生日 {day.isoformat()} 太早")
    return day


def _date_from_text(raw: str) -> dt.date:
    head = raw.split(" ")[0].split("T")[0]
    try:
        if match := _DATE_SEP.match(head):
            return dt.date(*(int(g) for g in match.groups()))
        if re.fullmatch(r"\d{8}", head):
            return dt.date(int(head[:4]), int(head[4:6]), int(head[6:]))
        if re.fullmatch(r"\d{1,5}(\.0+)?", head):  # an Excel serial day number that lost its format
            serial = int(float(head))
            if 1 <= serial <= 80000:
                return _EXCEL_EPOCH + dt.timedelta(days=serial)
    except ValueError as exc:
        raise BadValue(f"生日 {raw} 不是有效日期") from exc
    raise BadValue(f"生日 {raw} 无法识别（请用 1990-01-02、1990/1/2 或 19900102）")


def parse_gender(value: Any) -> str:
    raw = text(value)
    if not raw:
        return Member.Gender.UNKNOWN
    gender = _GENDERS.get(raw.lower())
    if gender is None:
        raise BadValue(f"性别 {raw} 无法识别（请填 男/女、male/female 或 M/F）")
    return gender


def parse_tags(value: Any) -> list[str]:
    tags = []
    for part in _TAG_SPLIT.split(text(value)):
        tag = part.strip()
        if not tag:
            continue
        if len(tag) > MAX_TAG:
            raise BadValue(f"标签“{tag[:20]}…”太长（最多 {MAX_TAG} 个字）")
        if tag not in tags:
            tags.append(tag)
    return tags


def parse_name(value: Any) -> str:
    name = text(value)
    if len(name) > MAX_NAME:
        raise BadValue(f"姓名太长（{len(name)} 个字，最多 {MAX_NAME} 个字）")
    return name


def parse_external_id(value: Any) -> str | None:
    ext = text(value)
    if len(ext) > MAX_EXTERNAL_ID:
        raise BadValue(f"会员编号 {ext[:20]}… 太长（最多 {MAX_EXTERNAL_ID} 个字符）")
    return ext or None
