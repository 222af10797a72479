"""Community reads, filtered to the actor's stores."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from shequn.core.actor import Actor

from .errors import EntryCodeNotFound, GroupNotFound
from .models import (
    Activity,
    Blacklist,
    Dimension,
    EntryCode,
    Group,
    GroupCost,
    GroupEvent,
    GroupRules,
    InviteLink,
    Membership,
    Post,
    RedPacket,
    ViolationReport,
)

ADMIN_ROLES = (Membership.Role.OWNER, Membership.Role.ADMIN)


def _in_scope(actor: Actor, qs: QuerySet, store_field: str = "store_id") -> QuerySet:
    if actor.store_ids is not None:
        qs = qs.filter(**{f"{store_field}__in": actor.store_ids})
    return qs


def groups_visible_to(actor: Actor) -> QuerySet[Group]:
    return _in_scope(actor, Group.objects.select_related("store", "dimension"))


def get_group(actor: Actor, group_id: int) -> Group:
    """404 for groups outside the actor's stores, as if they did not exist."""
    group = groups_visible_to(actor).filter(pk=group_id).first() if 0 < group_id < 2**63 else None
    if group is None:
        raise GroupNotFound(f"No group {group_id}.")
    return group


def current_members(group: Group) -> QuerySet[Membership]:
    return (Membership.objects.filter(group=group, left_at__isnull=True)
            .select_related("member", "member__loyalty__tier", "invited_by").order_by("joined_at", "id"))


def current_membership(group: Group, member) -> Membership | None:
    return Membership.objects.filter(group=group, member=member, left_at__isnull=True).first()


def group_admins(group: Group) -> QuerySet[Membership]:
    return current_members(group).filter(role__in=ADMIN_ROLES)


def member_groups(member) -> QuerySet[Group]:
    """Groups the member is currently in."""
    return (Group.objects.filter(memberships__member=member, memberships__left_at__isnull=True)
            .select_related("store", "dimension").distinct().order_by("id"))


def current_rules(group: Group) -> GroupRules | None:
    return group.rules_versions.order_by("-version").first()


def is_blacklisted(member) -> bool:
    return Blacklist.objects.filter(member=member).exists()


def blacklist_visible_to(actor: Actor) -> QuerySet[Blacklist]:
    return _in_scope(actor, Blacklist.objects.select_related("member").order_by("-id"), "member__home_store_id")


def matrix(actor: Actor, *, include_archived: bool = False) -> list[dict]:
    """Groups laid out by dimension; groups without a dimension come last under None."""
    groups = groups_visible_to(actor)
    if not include_archived:
        groups = groups.filter(status=Group.Status.ACTIVE)
    by_dimension: dict[int | None, list[Group]] = {}
    for group in groups.order_by("store__code", "name", "id"):
        by_dimension.setdefault(group.dimension_id, []).append(group)
    columns = [{"dimension": d, "groups": by_dimension.get(d.pk, [])} for d in Dimension.objects.all()]
    if None in by_dimension:
        columns.append({"dimension": None, "groups": by_dimension[None]})
    return columns


def entry_codes_visible_to(actor: Actor) -> QuerySet[EntryCode]:
    """Entry codes with at least one group in the actor's stores."""
    qs = EntryCode.objects.prefetch_related("slots__group").order_by("-id")
    if actor.store_ids is not None:
        qs = qs.filter(slots__group__store_id__in=actor.store_ids).distinct()
    return qs


def get_entry_code(code: str, actor: Actor | None = None) -> EntryCode:
    qs = entry_codes_visible_to(actor) if actor is not None else EntryCode.objects.all()
    entry_code = qs.filter(code=code).first()
    if entry_code is None:
        raise EntryCodeNotFound(f"No entry code {code}.")
    return entry_code


def get_invite_link(code: str) -> InviteLink:
    link = InviteLink.objects.select_related("inviter", "group").filter(code=code).first()
    if link is None:
        raise EntryCodeNotFound(f"No invite link {code}.", type="invite-link-not-found")
    return link


def reports_visible_to(actor: Actor) -> QuerySet[ViolationReport]:
    qs = ViolationReport.objects.select_related("group", "reporter", "offender").order_by("-id")
    return _in_scope(actor, qs, "group__store_id")


def get_report(actor: Actor, report_id: int) -> ViolationReport:
    report = reports_visible_to(actor).filter(pk=report_id).first() if 0 < report_id < 2**63 else None
    if report is None:
        raise GroupNotFound(f"No report {report_id}.", type="report-not-found")
    return report


def group_posts(group: Group, *, include_scheduled: bool = False, kind: str = "") -> QuerySet[Post]:
    qs = Post.objects.filter(group=group)
    if not include_scheduled:
        qs = qs.filter(published_at__isnull=False)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def group_red_packets(group: Group) -> QuerySet[RedPacket]:
    return RedPacket.objects.filter(group=group)


def get_red_packet(actor: Actor, red_packet_id: int) -> RedPacket:
    """404 for packets of groups outside the actor's stores."""
    from .red_packets import RedPacketNotFound

    packet = (_in_scope(actor, RedPacket.objects.select_related("group"), "group__store_id")
              .filter(pk=red_packet_id).first() if 0 < red_packet_id < 2**63 else None)
    if packet is None:
        raise RedPacketNotFound(f"No red packet {red_packet_id}.")
    return packet


def activities_visible_to(actor: Actor, *, store_code: str = "", group_id: int | None = None) -> QuerySet[Activity]:
    qs = _in_scope(actor, Activity.objects.select_related("store"))
    if store_code:
        qs = qs.filter(store__code=store_code)
    if group_id:
        qs = qs.filter(group_id=group_id)
    return qs


def group_costs(group: Group) -> tuple[QuerySet[GroupCost], int]:
    """The group's cost ledger, newest first, and its total in fen (spent minus returned)."""
    rows = GroupCost.objects.filter(group=group).order_by("-created_at", "-id")
    return rows, rows.aggregate(total=Sum("amount_fen"))["total"] or 0


def group_activities(group: Group) -> QuerySet[Activity]:
    return Activity.objects.filter(group=group).select_related("store").order_by("-starts_at", "-id")


def entry_code_joins(codes) -> dict[int, dict]:
    """Per entry code: members who ever joined through it and those still in the group."""
    rows = (Membership.objects.filter(entry_code__in=[c.pk for c in codes]).values("entry_code_id")
            .annotate(joined=Count("id"), current=Count("id", filter=Q(left_at__isnull=True))))
    return {r["entry_code_id"]: {"joined": r["joined"], "current": r["current"]} for r in rows}


TIMELINE_PAGE = 30
TIMELINE_EVENT_KINDS = ("order", "refund")


def group_timeline(group: Group, *, before: dt.datetime | None = None, skip: int = 0,
                   limit: int = TIMELINE_PAGE) -> list[dict]:
    """The group's recent happenings, newest first: joins, leaves and removals (with reasons), posts and polls,
    red packets, activities, attributed orders and refunds.

    Page on with `before` = the last item's `at` and `skip` = how many items of the page had exactly that
    time (ties are ordered by kind and id, so none is lost or shown twice)."""
    take = limit + skip

    def window(qs, field):
        if before is not None:
            qs = qs.filter(**{f"{field}__lte": before})
        return qs.order_by(f"-{field}", "-id")[:take]

    memberships = Membership.objects.filter(group=group).select_related("member", "invited_by", "entry_code")
    items = [{"at": m.joined_at, "kind": "join", "member": m.member, "obj": m}
             for m in window(memberships, "joined_at")]
    items += [{"at": m.left_at, "kind": "leave", "member": m.member, "obj": m}
              for m in window(memberships.filter(left_at__isnull=False), "left_at")]
    posts = Post.objects.filter(group=group, published_at__isnull=False).select_related("author_member")
    items += [{"at": p.published_at, "kind": "poll" if p.kind == Post.Kind.POLL else "post",
               "member": p.author_member, "obj": p} for p in window(posts, "published_at")]
    items += [{"at": r.created_at, "kind": "red_packet", "member": None, "obj": r}
              for r in window(RedPacket.objects.filter(group=group), "created_at")]
    items += [{"at": a.created_at, "kind": "activity", "member": None, "obj": a}
              for a in window(Activity.objects.filter(group=group), "created_at")]
    events = GroupEvent.objects.filter(group=group, kind__in=TIMELINE_EVENT_KINDS).select_related("member")
    items += [{"at": e.occurred_at, "kind": e.kind, "member": e.member, "obj": e}
              for e in window(events, "occurred_at")]
    items.sort(key=lambda i: (i["at"], i["kind"], i["obj"].pk), reverse=True)
    if before is not None:
        items = items[skip:]
    return items[:limit]
