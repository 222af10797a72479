"""商城设置: change the one CommerceSettings row (points as cash, unpaid timeout, delivery fee)."""

from django.db import transaction

from shequn.core import audit
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem

from .models import CommerceSettings
from .pricing import settings_row


class InvalidSettings(ValidationProblem):
    type, title = "invalid-settings", "Invalid commerce settings"


# field → (lowest, highest) allowed
LIMITS = {
    "points_per_yuan": (1, 10_000),
    "points_offset_max_percent": (0, 100),
    "unpaid_timeout_minutes": (1, 1440),
    "complete_after_days": (1, 60),
    "delivery_fee_fen": (0, 100_000),
    "free_delivery_from_fen": (0, 10_000_000),
}


def settings_dict(row: CommerceSettings) -> dict:
    return {name: getattr(row, name) for name in LIMITS}


def update_settings(actor: Actor, **values) -> CommerceSettings:
    """Set any of the LIMITS fields; every value is checked before anything is written."""
    unknown = set(values) - set(LIMITS)
    if unknown:
        raise InvalidSettings(f"Unknown setting {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    for name, value in values.items():
        low, high = LIMITS[name]
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidSettings(f"{name} must be a whole number between {low:,} and {high:,}.", field=name)
    with transaction.atomic():
        row = CommerceSettings.objects.select_for_update().get(pk=settings_row().pk)
        before = settings_dict(row)
        for name, value in values.items():
            setattr(row, name, value)
        row.save()
        audit.record(actor, "commerce.settings_changed", row, before=before, after=settings_dict(row))
    return row
