"""The segment builder's condition rows ⇄ the condition JSON. Each row posts `c-<n>-<part>` inputs; rows that
share an "any" letter form one 任一满足 group, placed where its first row is."""

import dataclasses
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

from shequn.analytics.segments.conditions import FIELDS

OPS = {
    "in": gettext_lazy("属于"), "not_in": gettext_lazy("不属于"), "gte": gettext_lazy("至少"),
    "lte": gettext_lazy("至多"), "before": gettext_lazy("早于日期"), "after": gettext_lazy("晚于日期"),
    "more_than_days_ago": gettext_lazy("超过 N 天前"), "less_than_days_ago": gettext_lazy("N 天以内"),
    "is": gettext_lazy("是"), "has": gettext_lazy("有"), "has_not": gettext_lazy("没有"),
    "granted": gettext_lazy("已同意"), "not_granted": gettext_lazy("未同意"),
}
GROUPS = ("", "A", "B", "C")
DATE_OPS = ("before", "after")


@dataclass
class Row:
    """One condition row's widget state (strings as the form posts them)."""

    n: int
    field: str = "tier"
    op: str = ""
    values: list[str] = dataclasses.field(default_factory=list)
    number: str = ""
    date: str = ""
    wtype: str = "days"
    days: str = "90"
    date_from: str = ""
    date_to: str = ""
    unit: str = "orders"
    group: str = ""
    error: str = ""
    shown: list[str] = dataclasses.field(default_factory=list)  # the values as people read them

    @property
    def ops(self) -> list[tuple[str, str]]:
        return [(op, str(OPS[op])) for op in FIELDS[self.field].ops]

    @property
    def label(self) -> str:
        return str(gettext_lazy(FIELDS[self.field].label))


def field_choices() -> list[tuple[str, str]]:
    return [(name, str(gettext_lazy(spec.label))) for name, spec in FIELDS.items()]


def rows_from_post(data) -> list[Row]:
    rows = []
    for raw in data.getlist("c"):
        if not raw.isdigit():
            continue
        n, get = int(raw), (lambda part, n=raw: data.get(f"c-{n}-{part}", "").strip())
        name = get("field") if get("field") in FIELDS else "tier"
        op = get("op") if get("op") in FIELDS[name].ops else FIELDS[name].ops[0]
        rows.append(Row(n=n, field=name, op=op, values=[v for v in data.getlist(f"c-{raw}-values") if v],
                        number=get("number"), date=get("date"), wtype=get("wtype") or "days", days=get("days"),
                        date_from=get("from"), date_to=get("to"), unit=get("unit") or "orders",
                        group=get("group") if get("group") in GROUPS else ""))
    return rows


def _value(row: Row):
    name, op = row.field, row.op
    if name in ("spend", "orders"):
        return row.number
    if name in ("last_order", "joined"):
        return row.date if op in DATE_OPS else row.number
    if name == "never_ordered":
        return True
    if name == "community_group":
        return [int(v) if v.isdigit() else v for v in row.values]
    if name == "value_decile":
        return row.number if op == "lte" else [int(v) for v in row.values if v.isdigit()]
    if name == "consent":
        return row.values[0] if row.values else ""
    return row.values


def _leaf(row: Row) -> dict:
    cond = {"field": row.field, "op": row.op, "value": _value(row)}
    if row.field in ("spend", "orders"):
        cond["window"] = {"days": row.days} if row.wtype == "days" else {"from": row.date_from, "to": row.date_to}
    if row.field == "orders":
        cond["unit"] = row.unit
    return cond


def to_conditions(rows: list[Row]) -> tuple[list, dict[str, Row]]:
    """(conditions, position → row) so an error at "2" or "2.1" can be shown on its row."""
    conditions, where, groups = [], {}, {}
    for row in rows:
        if row.group:
            if row.group not in groups:
                groups[row.group] = len(conditions)
                conditions.append({"any": []})
            index = groups[row.group]
            conditions[index]["any"].append(_leaf(row))
            where[f"{index + 1}.{len(conditions[index]['any'])}"] = row
            where.setdefault(str(index + 1), row)
        else:
            conditions.append(_leaf(row))
            where[str(len(conditions))] = row
    return conditions, where


def from_conditions(conditions: list) -> list[Row]:
    """Rows for saved conditions (editing a segment or a rule tag)."""
    rows, letters = [], iter(GROUPS[1:])
    for cond in conditions or []:
        group = next(letters, "C") if "any" in cond else ""
        for leaf in cond["any"] if "any" in cond else [cond]:
            rows.append(_row(len(rows) + 1, leaf, group))
    return rows


def _row(n: int, leaf: dict, group: str) -> Row:
    row = Row(n=n, field=leaf["field"], op=leaf["op"], group=group)
    value = leaf.get("value")
    if isinstance(value, list):
        row.values = [str(v) for v in value]
    elif leaf["field"] == "consent":
        row.values = [value]
    elif isinstance(value, str) and leaf["field"] in ("last_order", "joined") and row.op in DATE_OPS:
        row.date = value
    elif value is not True:
        row.number = str(value)
    window = leaf.get("window") or {}
    if "days" in window:
        row.wtype, row.days = "days", str(window["days"])
    elif window:
        row.wtype, row.date_from, row.date_to = "range", window["from"], window["to"]
    row.unit = leaf.get("unit", "orders")
    return row


def attach_errors(problem, where: dict[str, Row]) -> list[str]:
    """Put each condition's message on its row; messages without a row are returned."""
    loose = []
    for error in problem.extra.get("errors") or []:
        row = where.get(error["condition"])
        if row is not None:
            row.error = error["message"]
        else:
            loose.append(error["message"])
    if not problem.extra.get("errors"):
        loose.append(problem.detail)
    return loose
