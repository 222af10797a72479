import json

from django import forms, template

from shequn.core.money import format_fen

from .. import labels

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
    """'store_manager' -> '店长' (Store manager in English)."""
    return labels.label(labels.ROLES, role)


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


@register.filter
def points_source(source: str) -> str:
    return labels.label(labels.POINTS_SOURCES, source)


@register.filter
def entry_kind(kind: str) -> str:
    return labels.label(labels.ENTRY_KINDS, kind)


@register.filter
def grant_status(status: str) -> str:
    return labels.label(labels.GRANT_STATUSES, status)


@register.filter
def gender_label(gender: str) -> str:
    return labels.label(labels.GENDERS, gender)


@register.filter
def member_source(source: str) -> str:
    return labels.label(labels.MEMBER_SOURCES, source)


@register.filter
def audit_values(data) -> list[tuple[str, str]]:
    """Before/after of an audit entry as (field, value) pairs, values as readable JSON."""
    if not isinstance(data, dict):
        return [("", json.dumps(data, ensure_ascii=False))] if data not in (None, "") else []
    return [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
            for key, value in data.items() if value not in ("", None)]
