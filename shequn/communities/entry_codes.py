"""活码: one QR code that routes each scanning member to a group with room, opening an
overflow group when all are full (if configured)."""

import io
import re
import secrets

import segno
from django.conf import settings
from django.db import IntegrityError, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict
from shequn.core.locks import serialize_on

from .errors import AllGroupsFull, InvalidGroup
from .groups import check_acting_for, insert_group
from .membership import ensure_not_blacklisted, lock_member_joins, try_join
from .models import EntryCode, EntryCodeGroup, Group, Membership
from .selectors import current_rules, get_entry_code, get_group, group_admins

Routing = EntryCode.Routing
Overflow = EntryCode.Overflow
_NUMBERED = re.compile(r"^(.*?)(\d+)群$")


def new_code() -> str:
    return secrets.token_urlsafe(6)  # 8 URL-safe characters


def entry_code_join_url(code) -> str:
    code = code.code if isinstance(code, EntryCode) else code
    return f"/m/join/{code}/"


def absolute_join_url(code, base_url: str = "") -> str:
    base = (base_url or getattr(settings, "SHEQUN_PUBLIC_URL", "") or "http://localhost:8000").rstrip("/")
    return base + entry_code_join_url(code)


def _qr(code, base_url: str):
    return segno.make(absolute_join_url(code, base_url), error="m")


def qr_svg(code, base_url: str = "", scale: int = 6) -> str:
    """The entry code's QR as an SVG document encoding the absolute join URL."""
    buffer = io.BytesIO()
    _qr(code, base_url).save(buffer, kind="svg", scale=scale, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode()


def qr_png(code, base_url: str = "", scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(code, base_url).save(buffer, kind="png", scale=scale, border=2)
    return buffer.getvalue()


def _clean_slots(actor: Actor, group_ids, slots) -> list[dict]:
    from shequn.loyalty.models import Tier
    from shequn.stores.models import Store

    if slots:
        raw = [dict(s) for s in slots]
    else:
        raw = [{"group_id": gid} for gid in (group_ids or [])]
    if not raw:
        raise InvalidGroup("An entry code needs at least one group.", field="group_ids")
    if len(raw) > 100:
        raise InvalidGroup("An entry code has at most 100 groups.", field="group_ids")
    seen, clean = set(), []
    for position, slot in enumerate(raw):
        gid = slot.get("group_id")
        if isinstance(gid, bool) or not isinstance(gid, int):
            raise InvalidGroup(f"Group {position + 1}: group_id must be a number.", field="group_ids")
        if gid in seen:
            raise InvalidGroup(f"Group {gid} is listed twice.", field="group_ids")
        seen.add(gid)
        group = get_group(actor, gid)
        if group.status != Group.Status.ACTIVE:
            raise InvalidGroup(f"{group.name} is archived.", field="group_ids")
        store = None
        if slot.get("store_code"):
            store = Store.objects.filter(code=slot["store_code"]).first()
            if store is None:
                raise InvalidGroup(f"No store {slot['store_code']!r}.", field="slots")
        tier_code = slot.get("tier_code") or ""
        if tier_code and not Tier.objects.filter(code=tier_code).exists():
            raise InvalidGroup(f"No tier {tier_code!r}.", field="slots")
        clean.append({"group": group, "position": position, "store": store, "tier_code": tier_code})
    return clean


def create_entry_code(actor: Actor, *, name: str, group_ids=(), overflow: str = Overflow.REJECT,
                      routing: str = Routing.ORDER, slots: list[dict] | None = None) -> EntryCode:
    """slots (for attribute routing): [{group_id, store_code?, tier_code?}]; blank attributes match anyone."""
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidGroup("An entry code needs a name of 1 to 60 characters.", field="name")
    if overflow not in Overflow.values:
        raise InvalidGroup(f"overflow must be one of {', '.join(Overflow.values)}.", field="overflow")
    if routing not in Routing.values:
        raise InvalidGroup(f"routing must be one of {', '.join(Routing.values)}.", field="routing")
    clean = _clean_slots(actor, group_ids, slots)
    for _ in range(5):
        try:
            with transaction.atomic():
                entry_code = EntryCode.objects.create(code=new_code(), name=name, overflow=overflow,
                                                      routing=routing, created_by=actor.label[:150])
                EntryCodeGroup.objects.bulk_create(EntryCodeGroup(entry_code=entry_code, **s) for s in clean)
                audit.record(actor, "entry_code.created", entry_code,
                             after={"code": entry_code.code, "name": name, "overflow": overflow,
                                    "routing": routing, "groups": [s["group"].pk for s in clean]})
                outbox.emit("entry_code.created", "entry_code", entry_code.pk, code=entry_code.code)
            return entry_code
        except IntegrityError:  # the random code was taken; draw another
            continue
    raise Conflict("Could not allocate a unique code; try again.", type="entry-code-collision")


def set_entry_code_active(actor: Actor, entry_code: EntryCode, active: bool) -> EntryCode:
    with transaction.atomic():
        if entry_code.is_active != active:
            entry_code.is_active = active
            entry_code.save(update_fields=["is_active"])
            audit.record(actor, "entry_code.activated" if active else "entry_code.deactivated", entry_code)
            outbox.emit("entry_code.updated", "entry_code", entry_code.pk, active=active)
    return entry_code


def rename_entry_code(actor: Actor, entry_code: EntryCode, name: str) -> EntryCode:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise InvalidGroup("An entry code needs a name of 1 to 60 characters.", field="name")
    with transaction.atomic():
        before, entry_code.name = entry_code.name, name
        entry_code.save(update_fields=["name"])
        audit.record(actor, "entry_code.renamed", entry_code, before={"name": before}, after={"name": name})
    return entry_code


def _member_tier(member) -> str:
    from shequn.loyalty.models import LoyaltyAccount

    return (LoyaltyAccount.objects.filter(member=member).values_list("tier__code", flat=True).first()) or ""


def candidate_slots(entry_code: EntryCode, member) -> list[EntryCodeGroup]:
    """Active slots this member may be routed to, best first."""
    slots = list(entry_code.slots.select_related("group").filter(group__status=Group.Status.ACTIVE)
                 .order_by("position", "id"))
    if entry_code.routing != Routing.ATTRIBUTES:
        return slots
    tier = _member_tier(member)
    matching = [s for s in slots if (s.store_id is None or s.store_id == member.home_store_id)
                and (not s.tier_code or s.tier_code == tier)]
    # The most specific slot wins: store and tier, then one of them, then catch-all slots.
    matching.sort(key=lambda s: (-(bool(s.store_id) + bool(s.tier_code)), s.position, s.id))
    return matching


def existing_membership(entry_code: EntryCode, member) -> Membership | None:
    return (Membership.objects.filter(member=member, left_at__isnull=True,
                                      group__in=entry_code.slots.values("group_id"))
            .select_related("group").first())


def target_group(entry_code: EntryCode, member) -> Group | None:
    """The group a scan would put this member in right now (for showing its rules before joining):
    their current group of this code, else the first with room, else the template of an overflow
    group (which copies its rules), else None (all full, overflow rejected)."""
    existing = existing_membership(entry_code, member)
    if existing is not None:
        return existing.group
    slots = candidate_slots(entry_code, member)
    for slot in slots:
        if slot.group.member_count < slot.group.capacity:
            return slot.group
    if slots and entry_code.overflow == Overflow.CREATE:
        return slots[0].group
    return None


def overflow_name(template: Group, number: int) -> str:
    match = _NUMBERED.match(template.name)
    base, sep = (match.group(1), "") if match else (template.name, " ")
    suffix = f"{sep}{number}群"
    return base[: 60 - len(suffix)] + suffix


def _open_overflow_group(actor: Actor, entry_code: EntryCode, template_slot: EntryCodeGroup) -> Group:
    """A copy of the template group (store, dimension, capacity, current rules, admins), added to the code."""
    template = template_slot.group
    siblings = entry_code.slots.filter(store_id=template_slot.store_id, tier_code=template_slot.tier_code).count()
    rules = current_rules(template)
    admins = sorted(group_admins(template), key=lambda m: (m.role != Membership.Role.OWNER, m.joined_at, m.pk))
    group = insert_group(
        actor, name=overflow_name(template, siblings + 1), store=template.store, capacity=template.capacity,
        dimension=template.dimension, topic_calendar=template.topic_calendar, description=template.description,
        rules_text=rules.text if rules else "", rules_version=rules.version if rules else 1,
        admins=[m.member for m in admins], overflow_of=template.overflow_of or template)
    last = entry_code.slots.order_by("-position").values_list("position", flat=True).first() or 0
    EntryCodeGroup.objects.create(entry_code=entry_code, group=group, position=last + 1,
                                  store_id=template_slot.store_id, tier_code=template_slot.tier_code)
    EntryCode.objects.filter(pk=entry_code.pk).update(overflow_count=entry_code.overflow_count + 1)
    audit.record(actor, "entry_code.overflow_group_opened", entry_code,
                 after={"group": group.pk, "name": group.name, "template": template.pk})
    return group


def join_via_code(actor: Actor, code, member, *, accepted_rules_version: int | None = None,
                  source: str = "h5") -> tuple[Membership, bool]:
    """Route a scanning member to a group with room; returns (membership, created)."""
    entry_code = code if isinstance(code, EntryCode) else get_entry_code(code)
    check_acting_for(actor, member)
    if not entry_code.is_active:
        raise Conflict(f"The entry code {entry_code.name} is no longer in use.", type="entry-code-inactive")
    with transaction.atomic():
        lock_member_joins(member)
        existing = existing_membership(entry_code, member)
        if existing is not None:
            return existing, False
        ensure_not_blacklisted(member)
        join = dict(accepted_rules_version=accepted_rules_version, entry_code=entry_code, source=source)
        for slot in candidate_slots(entry_code, member):
            membership = try_join(actor, slot.group, member, **join)
            if membership is not None:
                return membership, True
        if entry_code.overflow != Overflow.CREATE:
            raise AllGroupsFull(f"All groups of {entry_code.name} are full.", entry_code=entry_code.code)
        # One scanner at a time opens the overflow group; the others then find room in it.
        serialize_on(f"entry-code-overflow:{entry_code.pk}")
        entry_code.refresh_from_db()
        slots = candidate_slots(entry_code, member)
        for slot in slots:
            membership = try_join(actor, slot.group, member, **join)
            if membership is not None:
                return membership, True
        if not slots:
            raise AllGroupsFull(f"{entry_code.name} has no open group for this member.",
                                entry_code=entry_code.code)
        group = _open_overflow_group(actor, entry_code, slots[0])
        membership = try_join(actor, group, member, **join)
        if membership is None:  # the template's admins fill the whole capacity
            raise AllGroupsFull(f"All groups of {entry_code.name} are full.", entry_code=entry_code.code)
        return membership, True
