import json

from django import forms, template

from shequn.accounts.roles import ROLE_LABELS, Role
from shequn.core.money import format_fen

register = template.Library()


@register.filter
def fen(value) -> str:
    """Integer fen as money: 12345 -> ¥123.45."""
    if value is None or value == "":
        return "—"
    return format_fen(int(value))


@register.filter
def can(actor, permission: str) -> bool:
    return bool(actor is not None and actor.can(permission))


@register.filter
def role_label(role: str) -> str:
    """'store_manager' -> '店长' (the Chinese half of the label)."""
    try:
        return ROLE_LABELS[Role(role)].split(" ")[0]
    except ValueError:
        return role


@register.filter
def signed(value: int) -> str:
    return f"+{value:,}" if value > 0 else f"{value:,}"


@register.filter
def is_checkbox(bound_field) -> bool:
    """A single checkbox (not a group of them): rendered with its label beside it."""
    return isinstance(bound_field.field.widget, forms.CheckboxInput)


@register.filter
def num(value) -> str:
    """Whole numbers with thousands separators (12,345), whatever the locale's grouping."""
    if value is None or value == "":
        return "—"
    return f"{int(value):,}"


POINTS_SOURCES = {
    "purchase": "消费", "check_in": "签到", "share": "分享", "manual": "人工调整", "gift": "礼品",
    "cash_offset": "积分抵现", "bulk_grant": "批量发放", "birthday": "生日礼", "expiry": "到期",
    "reversal": "退款冲正", "api": "API", "pos": "收银", "import": "导入",
}


@register.filter
def points_source(source: str) -> str:
    return POINTS_SOURCES.get(source, source)


@register.filter
def audit_values(data) -> list[tuple[str, str]]:
    """Before/after of an audit entry as (field, value) pairs, values as readable JSON."""
    if not isinstance(data, dict):
        return [("", json.dumps(data, ensure_ascii=False))] if data not in (None, "") else []
    return [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in data.items() if value not in ("", None)]
