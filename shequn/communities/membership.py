"""Joining, leaving, removal, roles, seed users and the blacklist.

Seats are taken with a conditional UPDATE (member_count < capacity), so no group ever holds
more members than its capacity, however many joins arrive at once."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import NotFound
from shequn.core.locks import serialize_on

from .errors import (
    AlreadyBlacklisted,
    Blacklisted,
    GroupArchived,
    GroupFull,
    InvalidGroup,
    LastAdmin,
    NotAGroupMember,
    RulesChanged,
)
from .events import record_event
from .groups import check_acting_for, check_group_scope
from .models import Blacklist, Group, Membership
from .selectors import ADMIN_ROLES, current_membership, current_rules

Role = Membership.Role
Reason = Membership.LeaveReason
REMOVAL_REASONS = [r for r in Reason.values if r != Reason.LEFT]


def lock_member_joins(member) -> None:
    """One join at a time per member, so simultaneous scans never put a member in two groups of a code."""
    serialize_on(f"member-join:{member.pk}")


def ensure_not_blacklisted(member) -> None:
    if Blacklist.objects.filter(member=member).exists():
        raise Blacklisted("This member is blacklisted and cannot join groups.", member_id=member.pk)


def check_rules_accepted(actor: Actor, group: Group, accepted_rules_version: int | None) -> int | None:
    """The rules version recorded on the membership. Members must accept the current version;
    staff adding someone without a version records none."""
    rules = current_rules(group)
    if rules is None:
        return None
    if accepted_rules_version is None and actor.kind != "member":
        return None
    if accepted_rules_version != rules.version:
        raise RulesChanged(f"The rules of {group.name} are now version {rules.version}; read and accept them.",
                           group_id=group.pk, current_version=rules.version)
    return rules.version


def take_seat(group_id: int) -> bool:
    """Atomically add one to member_count if the group is active and has room."""
    return bool(Group.objects.filter(pk=group_id, status=Group.Status.ACTIVE, member_count__lt=F("capacity"))
                .update(member_count=F("member_count") + 1))


def _free_seat(group_id: int) -> None:
    Group.objects.filter(pk=group_id).update(member_count=F("member_count") - 1)


def _raise_no_seat(group_id: int) -> None:
    group = Group.objects.get(pk=group_id)
    if group.status == Group.Status.ARCHIVED:
        raise GroupArchived(f"{group.name} is archived and takes no new members.", group_id=group.pk)
    raise GroupFull(f"{group.name} is full ({group.capacity} members).", group_id=group.pk,
                    capacity=group.capacity)


def insert_membership(actor: Actor, group: Group, member, *, role: str = Role.MEMBER,
                      rules_version: int | None = None, entry_code=None, invited_by=None,
                      source: str = "h5") -> Membership:
    """Record a membership whose seat is already taken, with its join event, audit and outbox rows."""
    now = timezone.now()
    membership = Membership.objects.create(
        group=group, member=member, role=role, rules_version=rules_version, entry_code=entry_code,
        invited_by=invited_by if invited_by is not None and invited_by.pk != member.pk else None, joined_at=now)
    record_event(group.pk, "join", event_id=f"join:{membership.pk}", member_id=member.pk, occurred_at=now,
                 by_admin=role in ADMIN_ROLES,
                 payload={"via": source, "entry_code": entry_code.code if entry_code else None,
                          "invited_by": membership.invited_by_id})
    audit.record(actor, "group.member_joined", membership, store_id=group.store_id,
                 after={"group": group.pk, "member": member.pk, "role": role, "via": source,
                        "rules_version": rules_version})
    outbox.emit("group.member_joined", "group", group.pk, member_id=member.pk, role=role, via=source,
                entry_code=entry_code.code if entry_code else None, invited_by=membership.invited_by_id)
    return membership


def try_join(actor: Actor, group: Group, member, *, accepted_rules_version: int | None, entry_code=None,
             invited_by=None, source: str = "h5") -> Membership | None:
    """Join if there is room (None when full or archived). The caller holds the member's join lock.

    Rules are checked after the seat is taken, so a full group's rules never block routing to the
    next one; a refusal rolls the seat back with the transaction."""
    if not take_seat(group.pk):
        return None
    rules_version = check_rules_accepted(actor, group, accepted_rules_version)
    return insert_membership(actor, group, member, rules_version=rules_version, entry_code=entry_code,
                             invited_by=invited_by, source=source)


def join_group(actor: Actor, group: Group, member, *, accepted_rules_version: int | None, entry_code=None,
               invited_by=None, source: str = "h5") -> tuple[Membership, bool]:
    """Put a member in a group; returns (membership, created). Already in it: the existing one."""
    check_acting_for(actor, member)
    check_group_scope(actor, group)
    with transaction.atomic():
        lock_member_joins(member)
        existing = current_membership(group, member)
        if existing is not None:
            return existing, False
        ensure_not_blacklisted(member)
        status = Group.objects.filter(pk=group.pk).values_list("status", flat=True).first()
        if status == Group.Status.ARCHIVED:
            raise GroupArchived(f"{group.name} is archived and takes no new members.", group_id=group.pk)
        membership = try_join(actor, group, member, accepted_rules_version=accepted_rules_version,
                              entry_code=entry_code, invited_by=invited_by, source=source)
        if membership is None:
            _raise_no_seat(group.pk)
    return membership, True


def add_admins(actor: Actor, group: Group, admins) -> list[Membership]:
    """Seat the given members as admins; the first becomes owner when the group has none."""
    rules = current_rules(group)
    has_owner = Membership.objects.filter(group=group, left_at__isnull=True, role=Role.OWNER).exists()
    added = []
    for member in admins:
        ensure_not_blacklisted(member)
        if current_membership(group, member) is not None:
            raise InvalidGroup(f"Member {member.pk} is already in {group.name}.", field="admins")
        if not take_seat(group.pk):
            _raise_no_seat(group.pk)
        role = Role.ADMIN if has_owner else Role.OWNER
        has_owner = True
        added.append(insert_membership(actor, group, member, role=role,
                                       rules_version=rules.version if rules else None, source="system"))
    return added


def _lock(group: Group) -> Group:
    return Group.objects.select_for_update().get(pk=group.pk)


def _current_or_403(group: Group, member) -> Membership:
    membership = current_membership(group, member)
    if membership is None:
        raise NotAGroupMember(f"Member {member.pk} is not in {group.name}.", group_id=group.pk,
                              member_id=member.pk)
    return membership


def ensure_admin_remains(group: Group, membership: Membership) -> None:
    """Refuse to take away the last owner/admin. The group row must be locked by the caller."""
    if membership.role not in ADMIN_ROLES:
        return
    others = (Membership.objects.filter(group=group, left_at__isnull=True, role__in=ADMIN_ROLES)
              .exclude(pk=membership.pk).exists())
    if not others:
        raise LastAdmin(f"{membership.member.name or membership.member_id} is the last admin of {group.name}; "
                        "make another member admin first.", group_id=group.pk, member_id=membership.member_id)


def end_membership(actor: Actor, group: Group, membership: Membership, reason: str, note: str = "") -> Membership:
    """Close a membership and free its seat (the group row is locked by the caller)."""
    membership.left_at, membership.leave_reason, membership.leave_note = timezone.now(), reason, note[:200]
    membership.save(update_fields=["left_at", "leave_reason", "leave_note"])
    _free_seat(group.pk)
    record_event(group.pk, "leave", event_id=f"leave:{membership.pk}", member_id=membership.member_id,
                 occurred_at=membership.left_at, payload={"reason": reason})
    audit.record(actor, "group.member_left" if reason == Reason.LEFT else "group.member_removed", membership,
                 store_id=group.store_id, before={"role": membership.role},
                 after={"group": group.pk, "member": membership.member_id, "reason": reason, "note": note})
    outbox.emit("group.member_left", "group", group.pk, member_id=membership.member_id, reason=reason)
    return membership


def leave_group(actor: Actor, group: Group, member) -> Membership:
    check_acting_for(actor, member)
    check_group_scope(actor, group)
    with transaction.atomic():
        group = _lock(group)
        membership = _current_or_403(group, member)
        ensure_admin_remains(group, membership)
        return end_membership(actor, group, membership, Reason.LEFT)


def remove_member(actor: Actor, group: Group, member, *, reason: str, note: str = "") -> Membership:
    """Remove with a reason (ads, poaching 挖人, spam, inactivity …)."""
    if reason not in REMOVAL_REASONS:
        raise InvalidGroup(f"Unknown removal reason {reason!r}; use one of {', '.join(REMOVAL_REASONS)}.",
                           field="reason")
    if len(note or "") > 200:
        raise InvalidGroup("The note has at most 200 characters.", field="note")
    check_group_scope(actor, group)
    with transaction.atomic():
        group = _lock(group)
        membership = _current_or_403(group, member)
        ensure_admin_remains(group, membership)
        return end_membership(actor, group, membership, reason, note or "")


def set_role(actor: Actor, group: Group, member, role: str) -> Membership:
    """Change a role; making someone owner turns the previous owner into an admin."""
    if role not in Role.values:
        raise InvalidGroup(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.", field="role")
    check_group_scope(actor, group)
    with transaction.atomic():
        group = _lock(group)
        membership = _current_or_403(group, member)
        before = membership.role
        if before == role:
            return membership
        if role not in ADMIN_ROLES:
            ensure_admin_remains(group, membership)
        if role == Role.OWNER:
            Membership.objects.filter(group=group, left_at__isnull=True, role=Role.OWNER).update(role=Role.ADMIN)
        membership.role = role
        membership.save(update_fields=["role"])
        audit.record(actor, "group.role_changed", membership, store_id=group.store_id,
                     before={"role": before}, after={"role": role, "member": member.pk, "group": group.pk})
        outbox.emit("group.role_changed", "group", group.pk, member_id=member.pk, role=role)
    return membership


def mark_seed(actor: Actor, group: Group, member, is_seed: bool = True) -> Membership:
    """种子用户: tracked for the members they bring in through their invite links."""
    check_group_scope(actor, group)
    with transaction.atomic():
        membership = _current_or_403(group, member)
        if membership.is_seed != is_seed:
            membership.is_seed = is_seed
            membership.save(update_fields=["is_seed"])
            audit.record(actor, "group.seed_marked", membership, store_id=group.store_id,
                         after={"member": member.pk, "group": group.pk, "is_seed": is_seed})
            outbox.emit("group.seed_marked", "group", group.pk, member_id=member.pk, is_seed=is_seed)
    return membership


def _check_member_scope(actor: Actor, member) -> None:
    if actor.store_ids is not None and member.home_store_id not in actor.store_ids:
        raise NotFound(f"No member {member.pk}.", type="member-not-found")


def blacklist_member(actor: Actor, member, reason: str) -> Blacklist:
    """Bar a member from every group of the retailer and remove them from the groups they are in."""
    _check_member_scope(actor, member)
    reason = (reason or "").strip()
    if not reason or len(reason) > 200:
        raise InvalidGroup("Give a reason of 1 to 200 characters.", field="reason")
    with transaction.atomic():
        lock_member_joins(member)
        if Blacklist.objects.filter(member=member).exists():
            raise AlreadyBlacklisted(f"Member {member.pk} is already blacklisted.")
        entry = Blacklist.objects.create(member=member, reason=reason, created_by=actor.label[:150])
        memberships = (Membership.objects.filter(member=member, left_at__isnull=True)
                       .select_related("member").order_by("group_id"))
        removed = []
        for membership in memberships:
            group = _lock(membership.group)
            ensure_admin_remains(group, membership)
            end_membership(actor, group, membership, Reason.BLACKLISTED, reason)
            removed.append(group.pk)
        audit.record(actor, "member.blacklisted", member, store_id=member.home_store_id,
                     after={"reason": reason, "removed_from": removed})
        outbox.emit("member.blacklisted", "member", member.pk, removed_from=removed)
    return entry


def unblacklist_member(actor: Actor, member) -> None:
    _check_member_scope(actor, member)
    with transaction.atomic():
        deleted, _ = Blacklist.objects.filter(member=member).delete()
        if not deleted:
            raise NotFound(f"Member {member.pk} is not blacklisted.", type="not-blacklisted")
        audit.record(actor, "member.unblacklisted", member, store_id=member.home_store_id)
        outbox.emit("member.unblacklisted", "member", member.pk)
