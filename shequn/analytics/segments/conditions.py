"""Segment conditions: the JSON an operator builds, checked field by field with a message per condition.

A condition list is ANDed; an item `{"any": [c1, c2, ...]}` matches when any of its conditions does. A leaf is
`{"field": ..., "op": ..., "value": ..., "window": {"days": N} | {"from": "YYYY-MM-DD", "to": "YYYY-MM-DD"}}`
(the window only for spend and orders). `validate` returns the cleaned list or raises one 422 naming every bad
condition by its position (1-based, "2.1" for the first condition of the second item's group)."""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from shequn.core.errors import ValidationProblem

MAX_CONDITIONS = 20
MAX_WINDOW_DAYS = 3660
MAX_YUAN = 100_000_000
YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")
CONSENT_PURPOSES = ("marketing", "profiling", "third_party")
CHURN_RISKS = ("low", "medium", "high")
ORDER_UNITS = ("orders", "days")


@dataclass(frozen=True)
class Field:
    label: str
    ops: tuple[str, ...]
    windowed: bool = False


# Labels are Chinese msgids translated where shown; op names are the API's.
FIELDS = {
    "tier": Field("会员等级", ("in", "not_in")),
    "store": Field("归属门店", ("in", "not_in")),
    "spend": Field("消费金额", ("gte", "lte"), windowed=True),
    "orders": Field("购买次数", ("gte", "lte"), windowed=True),
    "last_order": Field("最近购买", ("before", "after", "more_than_days_ago", "less_than_days_ago")),
    "never_ordered": Field("从未购买", ("is",)),
    "joined": Field("入会时间", ("before", "after", "more_than_days_ago", "less_than_days_ago")),
    "community_group": Field("所在社群", ("in", "not_in")),
    "tag": Field("标签", ("has", "has_not")),
    "rfm_cell": Field("RFM 分群", ("in", "not_in")),
    "value_decile": Field("价值十分位", ("lte", "in")),
    "churn_risk": Field("流失风险", ("in",)),
    "consent": Field("授权同意", ("granted", "not_granted")),
}


class InvalidConditions(ValidationProblem):
    type = "invalid-segment-conditions"


@dataclass
class Catalog:
    """What conditions may name: looked up once per validation (codes → ids, names → ids)."""

    tiers: dict[str, int]
    stores: dict[str, int]  # the stores the actor may target
    groups: set[int]
    tags: dict[str, int]
    cells: set[str]
    errors: list[dict] = field(default_factory=list)


def _text_list(value, *, allowed=None, what: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(_("请至少选择一个%(what)s。") % {"what": what})
    clean = sorted({v.strip() for v in value})
    unknown = [v for v in clean if allowed is not None and v not in allowed]
    if unknown:
        raise ValueError(_("没有这些%(what)s：%(items)s。") % {"what": what, "items": "、".join(unknown)})
    return clean


def _int(value, low: int, high: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise ValueError(_("%(what)s必须是整数。") % {"what": what})
    number = int(value)
    if not low <= number <= high:
        raise ValueError(_("%(what)s必须在 %(low)s 到 %(high)s 之间。") % {"what": what, "low": low, "high": high})
    return number


def _date(value, what: str) -> str:
    try:
        day = dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(_("%(what)s不是有效日期（YYYY-MM-DD）。") % {"what": what}) from None
    if not 1970 <= day.year <= 2100:
        raise ValueError(_("%(what)s必须在 1970 年到 2100 年之间。") % {"what": what})
    return day.isoformat()


def _yuan(value) -> str:
    text = str(value).strip() if isinstance(value, int | float | str) and not isinstance(value, bool) else ""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if round(value, 2) == value else "x"
    if not YUAN.match(text) or float(text) > MAX_YUAN:
        raise ValueError(_("金额必须是 0 到 1 亿元之间、最多两位小数的数字。"))
    return text


def _window(window) -> dict:
    if not isinstance(window, dict):
        raise ValueError(_("请选择时间范围：近 N 天或起止日期。"))
    if "days" in window:
        return {"days": _int(window["days"], 1, MAX_WINDOW_DAYS, _("天数"))}
    start, end = _date(window.get("from"), _("开始日期")), _date(window.get("to"), _("结束日期"))
    if start > end:
        raise ValueError(_("开始日期不能晚于结束日期。"))
    return {"from": start, "to": end}


def _leaf_value(name: str, op: str, value, cond: dict, cat: Catalog):
    if name == "tier":
        return _text_list(value, allowed=cat.tiers, what=_("等级"))
    if name == "store":
        return _text_list(value, allowed=cat.stores, what=_("门店"))
    if name == "spend":
        return _yuan(value)
    if name == "orders":
        return _int(value, 0, 100_000, _("次数"))
    if name in ("last_order", "joined"):
        return _date(value, _("日期")) if op in ("before", "after") else _int(value, 0, MAX_WINDOW_DAYS, _("天数"))
    if name == "never_ordered":
        return True
    if name == "community_group":
        values = value if isinstance(value, list) else [value]
        ids = sorted({_int(v, 1, 2**62, _("社群")) for v in values}) if values else []
        missing = [str(i) for i in ids if i not in cat.groups]
        if not ids or missing:
            raise ValueError(_("请选择你可以查看的社群。") if not missing else
                             _("没有这些社群：%(items)s。") % {"items": "、".join(missing)})
        return ids
    if name == "tag":
        return _text_list(value, allowed=cat.tags, what=_("标签"))
    if name == "rfm_cell":
        return _text_list(value, allowed=cat.cells, what=_("RFM 分群"))
    if name == "value_decile":
        if op == "lte":
            return _int(value, 1, 10, _("十分位"))
        values = value if isinstance(value, list) and value else None
        if values is None:
            raise ValueError(_("请至少选择一个十分位。"))
        return sorted({_int(v, 1, 10, _("十分位")) for v in values})
    if name == "churn_risk":
        return _text_list(value, allowed=CHURN_RISKS, what=_("流失风险"))
    if name == "consent":
        return _text_list(value, allowed=CONSENT_PURPOSES, what=_("授权用途"))[0]
    raise AssertionError(name)


def _leaf(cond, position: str, cat: Catalog) -> dict | None:
    name = cond.get("field") if isinstance(cond, dict) else None
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        cat.errors.append({"condition": position, "field": name if isinstance(name, str) else None,
                           "message": _("没有这个条件字段：%(name)s。") % {"name": name}})
        return None
    op = cond.get("op") or spec.ops[0]
    try:
        if op not in spec.ops:
            raise ValueError(_("“%(label)s”不支持运算 %(op)s，可用：%(ops)s。") % {
                "label": _(spec.label), "op": op, "ops": "、".join(spec.ops)})
        clean = {"field": name, "op": op, "value": _leaf_value(name, op, cond.get("value"), cond, cat)}
        if spec.windowed:
            clean["window"] = _window(cond.get("window"))
        if name == "orders":
            unit = cond.get("unit") or "orders"
            if unit not in ORDER_UNITS:
                raise ValueError(_("次数单位只能是 orders（订单）或 days（购买天数）。"))
            clean["unit"] = unit
        return clean
    except ValueError as bad:
        cat.errors.append({"condition": position, "field": name, "message": f"{_(spec.label)}：{bad}"})
        return None


def validate(conditions, cat: Catalog) -> list:
    """The cleaned conditions, or InvalidConditions listing every bad one."""
    if not isinstance(conditions, list):
        raise InvalidConditions(_("条件必须是一个列表。"), errors=[])
    if len(conditions) > MAX_CONDITIONS:
        raise InvalidConditions(_("最多 %(n)s 个条件。") % {"n": MAX_CONDITIONS}, errors=[])
    clean = []
    for index, cond in enumerate(conditions, start=1):
        if isinstance(cond, dict) and "any" in cond:
            items = cond["any"]
            if not isinstance(items, list) or not items or any(isinstance(i, dict) and "any" in i for i in items):
                cat.errors.append({"condition": str(index), "field": None,
                                   "message": _("“任一满足”组需要一个或多个条件，且不能再嵌套。")})
                continue
            group = [_leaf(item, f"{index}.{sub}", cat) for sub, item in enumerate(items, start=1)]
            clean.append({"any": group})
        else:
            clean.append(_leaf(cond, str(index), cat))
    if cat.errors:
        detail = "; ".join(_("条件 %(n)s：%(message)s") % {"n": e["condition"], "message": e["message"]}
                           for e in cat.errors)
        raise InvalidConditions(detail, errors=cat.errors)
    return clean


def leaves(conditions: list):
    """Every leaf condition, groups flattened."""
    for cond in conditions:
        yield from cond["any"] if "any" in cond else [cond]
