"""Writes behind the tier and points-rules page: one transaction, audited with
before/after, an outbox event so caches and integrations can follow."""

from django.db import transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.loyalty.models import LoyaltyProgram, Tier
from shequn.loyalty.services import program

from .forms.loyalty import PROGRAM_FIELDS, TIER_FIELDS


def _require(actor: Actor) -> None:
    if not actor.can("loyalty.configure"):
        raise PermissionDenied("Your role may not change tiers or points rules.")


def _diff(obj, data: dict, fields: tuple[str, ...]) -> tuple[dict, dict]:
    before, after = {}, {}
    for field in fields:
        if field in data and getattr(obj, field) != data[field]:
            before[field], after[field] = getattr(obj, field), data[field]
    return before, after


def update_tiers(actor: Actor, rows: list[dict]) -> int:
    """Apply edited tier rows ({"id": pk, field: value...}); returns how many changed."""
    _require(actor)
    changed = 0
    with transaction.atomic():
        tiers = Tier.objects.select_for_update().in_bulk([row["id"] for row in rows])
        for row in rows:
            tier = tiers[row["id"]]
            before, after = _diff(tier, row, TIER_FIELDS)
            if not after:
                continue
            for field, value in after.items():
                setattr(tier, field, value)
            tier.save(update_fields=list(after))
            audit.record(actor, "loyalty.tier_updated", tier, before=before, after=after)
            changed += 1
        if changed:
            outbox.emit("loyalty.tiers_changed", "loyalty", "tiers", changed=changed)
    return changed


def create_tier(actor: Actor, data: dict) -> Tier:
    """Add a tier above the current top tier."""
    _require(actor)
    with transaction.atomic():
        top = Tier.objects.select_for_update().order_by("-rank").first()
        tier = Tier.objects.create(code=data["code"], rank=top.rank + 1 if top else 0,
                                   **{f: data[f] for f in TIER_FIELDS})
        audit.record(actor, "loyalty.tier_created", tier,
                     after={"code": tier.code, "rank": tier.rank, **{f: data[f] for f in TIER_FIELDS}})
        outbox.emit("loyalty.tiers_changed", "loyalty", "tiers", created=tier.code)
    return tier


def update_program(actor: Actor, data: dict) -> dict:
    """Change the points rules; returns the changed fields (after values)."""
    _require(actor)
    program()  # the row exists from here on
    with transaction.atomic():
        prog = LoyaltyProgram.objects.select_for_update().get(pk=1)
        before, after = _diff(prog, data, PROGRAM_FIELDS)
        if after:
            for field, value in after.items():
                setattr(prog, field, value)
            prog.save(update_fields=[*after, "updated_at"])
            audit.record(actor, "loyalty.program_updated", prog, before=before, after=after)
            outbox.emit("loyalty.program_changed", "loyalty", "program", fields=sorted(after))
    return after
