"""Group writes: create, update, archive, rules (群规)."""

from django.db import transaction
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied

from .errors import GroupNotFound, InvalidGroup, NotYourself
from .models import Dimension, Group, GroupRules
from .selectors import current_rules

UPDATABLE = {"name", "capacity", "dimension", "external_chat_id", "topic_calendar", "description"}
MAX_RULES_LENGTH = 5000


def check_group_scope(actor: Actor, group: Group) -> None:
    """Store-scoped staff see other stores' groups as missing."""
    if actor.store_ids is not None and group.store_id not in actor.store_ids:
        raise GroupNotFound(f"No group {group.pk}.")


def check_acting_for(actor: Actor, member) -> None:
    """A member session may act only for that member; staff act for anyone in scope."""
    if actor.kind == "member" and str(actor.id) != str(member.pk):
        raise NotYourself("You can only do this for yourself.")


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidGroup("A group needs a name.", field="name")
    if len(name) > 60:
        raise InvalidGroup("A group name has at most 60 characters.", field="name")
    return name


def _clean_capacity(capacity, member_count: int = 0) -> int:
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise InvalidGroup("Capacity must be a whole number.", field="capacity")
    if not 1 <= capacity <= Group.MAX_CAPACITY:
        raise InvalidGroup(f"Capacity must be between 1 and {Group.MAX_CAPACITY}.", field="capacity")
    if capacity < member_count:
        raise InvalidGroup(f"The group has {member_count} members; capacity cannot be lower.", field="capacity")
    return capacity


def _clean_calendar(calendar) -> dict:
    if not calendar:
        return {}
    if not isinstance(calendar, dict):
        raise InvalidGroup("The topic calendar maps weekdays (0 = Monday … 6 = Sunday) to topics.",
                           field="topic_calendar")
    clean = {}
    for day, topic in calendar.items():
        if str(day) not in {str(d) for d in range(7)} or not isinstance(topic, str) or len(topic) > 100:
            raise InvalidGroup(f"Topic calendar entry {day!r}: use weekday 0–6 and a topic of at most 100 "
                               "characters.", field="topic_calendar")
        if topic.strip():
            clean[str(day)] = topic.strip()
    return clean


def _clean_text(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise InvalidGroup(f"{field} has at most {limit} characters.", field=field)
    return value


def _clean_dimension(dimension) -> Dimension | None:
    if dimension is None or isinstance(dimension, Dimension):
        return dimension
    found = Dimension.objects.filter(code=dimension).first()
    if found is None:
        raise InvalidGroup(f"No dimension {dimension!r}.", field="dimension")
    return found


def _snapshot(group: Group) -> dict:
    return {"name": group.name, "capacity": group.capacity, "status": group.status,
            "dimension": group.dimension.code if group.dimension else None, "description": group.description,
            "external_chat_id": group.external_chat_id, "topic_calendar": group.topic_calendar}


def create_group(actor: Actor, *, name: str, store, capacity: int = 200, dimension=None,
                 external_chat_id: str = "", topic_calendar: dict | None = None, description: str = "",
                 rules_text: str = "", admins=(), overflow_of: Group | None = None) -> Group:
    """A new group; the first admin becomes its owner (群主), the others admins."""
    if actor.store_ids is not None and store.pk not in actor.store_ids:
        raise PermissionDenied("You can only create groups for your own stores.", type="store-out-of-scope")
    return insert_group(actor, name=name, store=store, capacity=capacity, dimension=dimension,
                        external_chat_id=external_chat_id, topic_calendar=topic_calendar, description=description,
                        rules_text=rules_text, admins=admins, overflow_of=overflow_of)


def insert_group(actor: Actor, *, name: str, store, capacity: int = 200, dimension=None,
                 external_chat_id: str = "", topic_calendar: dict | None = None, description: str = "",
                 rules_text: str = "", admins=(), overflow_of: Group | None = None,
                 rules_version: int = 1) -> Group:
    """create_group without the store-scope check: for groups the system opens itself (overflow)."""
    from .membership import add_admins

    fields = {
        "name": _clean_name(name), "capacity": _clean_capacity(capacity), "dimension": _clean_dimension(dimension),
        "external_chat_id": _clean_text(external_chat_id, "external_chat_id", 100),
        "topic_calendar": _clean_calendar(topic_calendar), "description": _clean_text(description, "description", 200),
    }
    rules_text = _clean_text(rules_text, "rules_text", MAX_RULES_LENGTH)
    admins = list(admins)
    if len({a.pk for a in admins}) != len(admins):
        raise InvalidGroup("An admin is listed twice.", field="admins")
    if len(admins) > fields["capacity"]:
        raise InvalidGroup("More admins than the group has room for.", field="admins")
    with transaction.atomic():
        group = Group.objects.create(store=store, overflow_of=overflow_of, **fields)
        if rules_text:
            GroupRules.objects.create(group=group, version=rules_version, text=rules_text, created_by=actor.label[:150])
        add_admins(actor, group, admins)
        audit.record(actor, "group.created", group, store_id=store.pk,
                     after=dict(_snapshot(group), store=store.code, admins=[a.pk for a in admins],
                                overflow_of=overflow_of.pk if overflow_of else None))
        outbox.emit("group.created", "group", group.pk, store=store.code, name=group.name)
    group.refresh_from_db()
    return group


def update_group(actor: Actor, group: Group, **fields) -> Group:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise InvalidGroup(f"Cannot change: {', '.join(sorted(unknown))}.", fields=sorted(unknown))
    check_group_scope(actor, group)
    with transaction.atomic():
        group = Group.objects.select_for_update(of=("self",)).select_related("dimension").get(pk=group.pk)
        before = _snapshot(group)
        cleaners = {
            "name": _clean_name, "capacity": lambda v: _clean_capacity(v, group.member_count),
            "dimension": _clean_dimension, "topic_calendar": _clean_calendar,
            "external_chat_id": lambda v: _clean_text(v, "external_chat_id", 100),
            "description": lambda v: _clean_text(v, "description", 200),
        }
        for field, value in fields.items():
            setattr(group, field, cleaners[field](value))
        group.save()
        audit.record(actor, "group.updated", group, store_id=group.store_id, before=before, after=_snapshot(group))
        outbox.emit("group.updated", "group", group.pk, fields=sorted(fields))
    return group


def archive_group(actor: Actor, group: Group) -> Group:
    """No new members; current members and history stay."""
    check_group_scope(actor, group)
    with transaction.atomic():
        group = Group.objects.select_for_update().get(pk=group.pk)
        if group.status == Group.Status.ARCHIVED:
            return group
        group.status, group.archived_at = Group.Status.ARCHIVED, timezone.now()
        group.save(update_fields=["status", "archived_at"])
        audit.record(actor, "group.archived", group, store_id=group.store_id)
        outbox.emit("group.archived", "group", group.pk)
    return group


def set_rules(actor: Actor, group: Group, text: str) -> GroupRules:
    """A new rules version; members joining from now on accept this one."""
    check_group_scope(actor, group)
    text = (text or "").strip()
    if not text:
        raise InvalidGroup("The rules text is empty.", field="text")
    if len(text) > MAX_RULES_LENGTH:
        raise InvalidGroup(f"The rules have at most {MAX_RULES_LENGTH} characters.", field="text")
    with transaction.atomic():
        Group.objects.select_for_update().filter(pk=group.pk).first()  # serialise version numbers
        current = current_rules(group)
        if current is not None and current.text == text:
            return current
        rules = GroupRules.objects.create(group=group, version=(current.version + 1) if current else 1,
                                          text=text, created_by=actor.label[:150])
        audit.record(actor, "group.rules_changed", group, store_id=group.store_id,
                     before={"version": current.version} if current else None,
                     after={"version": rules.version, "text": text})
        outbox.emit("group.rules_changed", "group", group.pk, version=rules.version)
    return rules


def create_dimension(actor: Actor, *, code: str, name: str, kind: str = Dimension.Kind.OTHER,
                     sort: int = 0) -> Dimension:
    """A column of the community matrix (region/store, interest, tier, lifecycle …)."""
    code, name = (code or "").strip(), (name or "").strip()
    if not code or len(code) > 32 or not code.replace("-", "").replace("_", "").isalnum():
        raise InvalidGroup("A dimension code is 1 to 32 letters, digits, - or _.", field="code")
    if not name or len(name) > 50:
        raise InvalidGroup("A dimension needs a name of 1 to 50 characters.", field="name")
    if kind not in Dimension.Kind.values:
        raise InvalidGroup(f"kind must be one of {', '.join(Dimension.Kind.values)}.", field="kind")
    if not 0 <= sort <= 32767:
        raise InvalidGroup("sort must be between 0 and 32767.", field="sort")
    with transaction.atomic():
        if Dimension.objects.filter(code=code).exists():
            raise InvalidGroup(f"Dimension {code!r} already exists.", field="code", type="dimension-exists")
        dimension = Dimension.objects.create(code=code, name=name, kind=kind, sort=sort)
        audit.record(actor, "group.dimension_created", dimension, after={"code": code, "name": name, "kind": kind})
    return dimension
