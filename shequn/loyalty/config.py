"""等级与积分规则: changing the tier ladder and the points rules (the LoyaltyProgram row).

Every change is validated as a whole (the ladder after the change must still make sense),
written in one transaction with an audit entry (before/after) and an outbox event.

Invalid input raises ValidationProblem with `errors`, a list like the API's schema errors:
{"loc": [...], "type": <slug>, "msg": <English sentence>, ...context}, so a page can show
each problem in its own language from the slug and the context.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import IntegrityError, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict, NotFound, PermissionDenied, ValidationProblem

from .models import LoyaltyProgram, Tier
from .program import program

THRESHOLD_FIELDS = ("min_spend_fen", "min_orders", "min_growth")
TIER_FIELDS = ("name", *THRESHOLD_FIELDS, "discount_permille", "points_multiplier_pct", "birthday_gift",
               "birthday_points", "exclusive_service")
PROGRAM_FIELDS = ("points_per_yuan", "expiry_policy", "expiry_days", "checkin_points",
                  "checkin_streak_bonus", "share_points", "share_daily_cap", "member_day_weekday",
                  "member_day_of_month", "member_day_multiplier_pct", "birthday_month_multiplier_pct",
                  "growth_per_yuan", "tier_window_days", "downgrade_grace_days",
                  "points_per_yuan_offset", "offset_cap_pct")

# Whole numbers: (lowest, highest) allowed.
TIER_NUMBERS = {
    "min_spend_fen": (0, 10**12), "min_orders": (0, 100_000), "min_growth": (0, 100_000_000),
    "discount_permille": (1, 1000),  # 950 = 95折, 1000 = no discount
    "points_multiplier_pct": (0, 1000), "birthday_points": (0, 1_000_000),
}
PROGRAM_NUMBERS = {
    "points_per_yuan": (0, 1000), "expiry_days": (1, 3650), "checkin_points": (0, 10_000),
    "share_points": (0, 10_000), "share_daily_cap": (0, 100), "member_day_weekday": (0, 6),
    "member_day_of_month": (1, 31), "member_day_multiplier_pct": (100, 1000),
    "birthday_month_multiplier_pct": (100, 1000), "growth_per_yuan": (0, 1000),
    "tier_window_days": (30, 3650), "downgrade_grace_days": (0, 365),
    "points_per_yuan_offset": (1, 100_000), "offset_cap_pct": (0, 100),
}
NULLABLE = {*THRESHOLD_FIELDS, "member_day_weekday", "member_day_of_month"}
TEXTS = {"name": (1, 30), "birthday_gift": (0, 100)}  # (shortest, longest) after stripping
STREAK_DAYS, STREAK_POINTS, STREAK_MAX_STEPS = (1, 365), (1, 100_000), 30
TIER_CODE = re.compile(r"[A-Za-z0-9_-]{1,20}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _require(actor: Actor) -> None:
    if not actor.can("loyalty.configure"):
        raise PermissionDenied("Your role may not change tiers or points rules.")


def _error(loc: Iterable, type_: str, msg: str, **context: Any) -> dict[str, Any]:
    return {"loc": list(loc), "type": type_, "msg": msg, **context}


def _clean_number(value: Any, field: str, bounds: tuple[int, int], loc: list, errors: list) -> int | None:
    if value is None:
        if field not in NULLABLE:
            errors.append(_error(loc, "required", f"{field} is required."))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(_error(loc, "not-an-integer", f"{field} must be a whole number."))
        return None
    lo, hi = bounds
    if not lo <= value <= hi:
        errors.append(_error(loc, "out-of-range", f"{field} must be between {lo:,} and {hi:,}.",
                             min=lo, max=hi))
        return None
    return value


def _clean_text(value: Any, field: str, loc: list, errors: list) -> str | None:
    shortest, longest = TEXTS[field]
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors.append(_error(loc, "not-a-string", f"{field} must be text."))
        return None
    value = value.strip()
    if _CONTROL.search(value):
        errors.append(_error(loc, "invalid-characters", f"{field} contains control characters."))
    elif len(value) < shortest:
        errors.append(_error(loc, "required", f"{field} is required."))
    elif len(value) > longest:
        errors.append(_error(loc, "too-long", f"{field} is longer than {longest} characters.", max=longest))
    else:
        return value
    return None


def _clean_fields(fields: Mapping[str, Any], allowed: tuple[str, ...], loc: tuple, errors: list) -> dict:
    """Type and range checks field by field; problems go to `errors`, good values are returned."""
    clean: dict[str, Any] = {}
    for field, value in fields.items():
        where = [*loc, field]
        if field not in allowed:
            errors.append(_error(where, "unknown-field",
                                 f"{field} cannot be set here; the fields are: {', '.join(allowed)}."))
            continue
        before = len(errors)
        if field in TEXTS:
            value = _clean_text(value, field, where, errors)
        elif field == "exclusive_service":
            if not isinstance(value, bool):
                errors.append(_error(where, "not-a-boolean", f"{field} must be true or false."))
        elif field == "expiry_policy":
            if value not in LoyaltyProgram.Expiry.values:
                errors.append(_error(where, "invalid-choice",
                                     f"{field} must be one of {', '.join(LoyaltyProgram.Expiry.values)}.",
                                     choices=list(LoyaltyProgram.Expiry.values)))
        elif field == "checkin_streak_bonus":
            value = _clean_streak_bonus(value, where, errors)
        else:
            value = _clean_number(value, field, TIER_NUMBERS.get(field) or PROGRAM_NUMBERS[field], where, errors)
        if len(errors) == before:
            clean[field] = value
    return clean


def _clean_streak_bonus(value: Any, loc: list, errors: list) -> dict[str, int] | None:
    """{day: extra points} for reaching a check-in streak of that many days; keys as strings."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.append(_error(loc, "invalid-streak-bonus",
                             'checkin_streak_bonus must be an object of {"day": points}, e.g. {"3": 5, "7": 20}.'))
        return None
    if len(value) > STREAK_MAX_STEPS:
        errors.append(_error(loc, "invalid-streak-bonus",
                             f"checkin_streak_bonus has more than {STREAK_MAX_STEPS} steps."))
        return None
    bonus: dict[int, int] = {}
    for key, points in value.items():
        day = key if isinstance(key, int) and not isinstance(key, bool) else (
            int(key) if isinstance(key, str) and key.isascii() and key.isdigit() else None)
        if day is None or not STREAK_DAYS[0] <= day <= STREAK_DAYS[1]:
            errors.append(_error([*loc, str(key)[:20]], "invalid-streak-day",
                                 f"Streak day {str(key)[:20]!r} must be a whole number of days from "
                                 f"{STREAK_DAYS[0]} to {STREAK_DAYS[1]}.", min=STREAK_DAYS[0], max=STREAK_DAYS[1]))
        elif day in bonus:
            errors.append(_error([*loc, str(day)], "duplicate-streak-day",
                                 f"Streak day {day} is set twice.", day=day))
        elif (isinstance(points, bool) or not isinstance(points, int)
              or not STREAK_POINTS[0] <= points <= STREAK_POINTS[1]):
            errors.append(_error([*loc, str(day)], "invalid-streak-points",
                                 f"The bonus for day {day} must be a whole number of points from "
                                 f"{STREAK_POINTS[0]} to {STREAK_POINTS[1]:,}.",
                                 day=day, min=STREAK_POINTS[0], max=STREAK_POINTS[1]))
        else:
            bonus[day] = points
    return {str(day): bonus[day] for day in sorted(bonus)}


def _raise_if(errors: list[dict], type_: str = "validation-error") -> None:
    if errors:
        raise ValidationProblem(" ".join(e["msg"] for e in errors), type=type_, errors=errors)


def ladder_errors(ladder: list[Tier]) -> list[dict]:
    """Tiers lowest first: every tier above the base needs a threshold, a set threshold there
    is above zero, and each threshold is higher than the same threshold of the tier below."""
    errors = []
    for lower, upper in zip(ladder, ladder[1:], strict=False):
        context = {"tier": upper.code, "tier_name": upper.name}
        set_fields = [f for f in THRESHOLD_FIELDS if getattr(upper, f) is not None]
        if not set_fields:
            errors.append(_error(["tiers", upper.code], "no-threshold",
                                 f"{upper.name} ({upper.code}) needs at least one threshold (spend, orders or "
                                 "growth); otherwise every member would reach it.", **context))
        for field in set_fields:
            low, high = getattr(lower, field), getattr(upper, field)
            if high == 0:
                errors.append(_error(["tiers", upper.code, field], "threshold-zero",
                                     f"{upper.name} ({upper.code}): a {field} threshold of 0 lets every member "
                                     "in; leave it empty instead.", field=field, **context))
            elif low is not None and high <= low:
                errors.append(_error(["tiers", upper.code, field], "threshold-not-higher",
                                     f"{upper.name} ({upper.code}) needs a higher {field} than "
                                     f"{lower.name} ({lower.code}): {high:,} <= {low:,}.",
                                     field=field, below=lower.code, below_name=lower.name, **context))
    return errors


def _diff(obj: Any, values: Mapping[str, Any]) -> tuple[dict, dict]:
    before, after = {}, {}
    for field, value in values.items():
        if getattr(obj, field) != value:
            before[field], after[field] = getattr(obj, field), value
    return before, after


def _tier_code(tier: Tier | str) -> str:
    return tier.code if isinstance(tier, Tier) else str(tier)


def update_tiers(actor: Actor, changes: Mapping[str, Mapping[str, Any]]) -> list[Tier]:
    """Change several tiers at once ({tier code: {field: value}}); the ladder is checked
    after all the changes, so thresholds can move up together. Returns the tiers changed."""
    _require(actor)
    errors: list[dict] = []
    cleaned = {}
    for code, fields in changes.items():
        cleaned[code] = _clean_fields(fields, TIER_FIELDS, ("tiers", code), errors)
    _raise_if(errors)
    with transaction.atomic():
        ladder = list(Tier.objects.select_for_update().order_by("rank"))
        by_code = {t.code: t for t in ladder}
        unknown = sorted(set(cleaned) - set(by_code))
        if unknown:
            raise NotFound(f"No tier {', '.join(unknown)}.", type="tier-not-found", codes=unknown)
        diffs = {}
        for code, values in cleaned.items():
            before, after = _diff(by_code[code], values)
            if after:
                diffs[code] = (before, after)
                for field, value in after.items():
                    setattr(by_code[code], field, value)
        if not diffs:
            return []
        _raise_if(ladder_errors(ladder), "invalid-tier-ladder")
        changed = []
        for tier in ladder:  # lowest first: a stable order for audit and events
            if tier.code not in diffs:
                continue
            before, after = diffs[tier.code]
            tier.save(update_fields=list(after))
            audit.record(actor, "loyalty.tier_updated", tier, before=before, after=after)
            outbox.emit("loyalty.tier_updated", "tier", tier.pk, code=tier.code, fields=sorted(after),
                        changes=after)
            changed.append(tier)
    return changed


def update_tier(actor: Actor, tier: Tier | str, **fields: Any) -> Tier:
    """Change one tier (by instance or code); returns it as saved."""
    _require(actor)
    code = _tier_code(tier)
    if not TIER_CODE.fullmatch(code):
        raise NotFound(f"No tier {code[:40]!r}.", type="tier-not-found")
    update_tiers(actor, {code: fields})
    return Tier.objects.get(code=code)


def create_tier(actor: Actor, *, code: str, **fields: Any) -> Tier:
    """Add a tier above the current top tier (it must ask more than the top tier does)."""
    _require(actor)
    errors: list[dict] = []
    if not isinstance(code, str) or not TIER_CODE.fullmatch(code):
        errors.append(_error(["code"], "invalid-code",
                             "code must be 1-20 letters, digits, '-' or '_' (for example platinum)."))
    values = _clean_fields(fields, TIER_FIELDS, (), errors)
    if "name" not in fields and not errors:
        errors.append(_error(["name"], "required", "name is required."))
    _raise_if(errors)
    with transaction.atomic():
        ladder = list(Tier.objects.select_for_update().order_by("rank"))
        if any(t.code == code for t in ladder):
            raise Conflict(f"There is already a tier with code {code}.", type="tier-exists", code=code)
        tier = Tier(code=code, rank=ladder[-1].rank + 1 if ladder else 0, **values)
        _raise_if(ladder_errors([*ladder, tier]), "invalid-tier-ladder")
        try:
            with transaction.atomic():
                tier.save()
        except IntegrityError:  # a tier added at the same moment took the code or the rank
            raise Conflict("Another tier was added at the same time; reload and try again.",
                           type="tier-exists", code=code) from None
        snapshot = {"code": tier.code, "rank": tier.rank, **{f: getattr(tier, f) for f in TIER_FIELDS}}
        audit.record(actor, "loyalty.tier_created", tier, after=snapshot)
        outbox.emit("loyalty.tier_created", "tier", tier.pk, **snapshot)
    return tier


def update_program(actor: Actor, **fields: Any) -> dict[str, Any]:
    """Change the points rules; returns the fields that changed with their new values."""
    _require(actor)
    errors: list[dict] = []
    values = _clean_fields(fields, PROGRAM_FIELDS, (), errors)
    _raise_if(errors)
    program()  # the row exists from here on
    with transaction.atomic():
        prog = LoyaltyProgram.objects.select_for_update().get(pk=1)
        before, after = _diff(prog, values)
        if after:
            for field, value in after.items():
                setattr(prog, field, value)
            prog.save(update_fields=[*after, "updated_at"])
            audit.record(actor, "loyalty.program_updated", prog, before=before, after=after)
            outbox.emit("loyalty.program_updated", "loyalty_program", prog.pk, fields=sorted(after),
                        changes=after)
    return after
