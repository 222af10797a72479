"""Groups core over HTTP: groups, members and roles, rules, blacklist, reports, entry codes, invite links."""

from django.http import HttpResponse
from ninja import Query, Router, Schema, Status

from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member
from shequn.stores.selectors import store_by_code

from . import selectors, services
from .invites import invite_link_url
from .models import Dimension, Group, Membership, ViolationReport
from .schemas import (
    BlacklistIn,
    BlacklistOut,
    DimensionIn,
    DimensionOut,
    EntryCodeCreated,
    EntryCodeIn,
    EntryCodeJoinIn,
    EntryCodeJoinOut,
    EntryCodeOut,
    EntryCodePatch,
    EntryCodePreviewOut,
    GroupIn,
    GroupOut,
    GroupPage,
    GroupPatch,
    InviteLinkIn,
    InviteLinkOut,
    InviterStatsOut,
    JoinIn,
    JoinOut,
    MatrixColumn,
    MembershipOut,
    MembershipPage,
    RemoveIn,
    ReportIn,
    ReportOut,
    ReportPage,
    ReviewIn,
    RoleIn,
    RulesIn,
    RulesOut,
    SeedIn,
    group_out,
    membership_out,
)

router = Router(tags=["groups"])

VIEW, MANAGE, MODERATE = "communities.view", "communities.manage", "communities.moderate"


class GroupFilters(Schema):
    store: str = ""
    dimension: str = ""
    status: str = ""
    q: str = ""
    cursor: str | None = None
    limit: int = 50


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


class ReportFilters(Page):
    status: str = ""


def _membership(group: Group, member) -> Membership:
    return Membership.objects.select_related("member").get(group=group, member=member, left_at__isnull=True)


def _rules_out(rules) -> dict:
    return {"group_id": rules.group_id, "version": rules.version, "text": rules.text,
            "created_by": rules.created_by, "created_at": rules.created_at}


# Groups


@router.post("/groups", response={201: GroupOut}, summary="Create a group")
@idempotent()
def create_group(request, payload: GroupIn):
    actor = request.auth
    require(actor, MANAGE)
    store = store_by_code(actor, payload.store_code)
    admins = [get_member(actor, mid) for mid in payload.admin_member_ids]
    group = services.create_group(
        actor, name=payload.name, store=store, capacity=payload.capacity, dimension=payload.dimension,
        description=payload.description, rules_text=payload.rules_text, admins=admins,
        external_chat_id=payload.external_chat_id, topic_calendar=payload.topic_calendar)
    return 201, group_out(selectors.get_group(actor, group.pk))


@router.get("/groups", response=GroupPage, summary="List groups")
def list_groups(request, filters: Query[GroupFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.groups_visible_to(actor)
    if filters.store:
        qs = qs.filter(store__code=filters.store)
    if filters.dimension:
        qs = qs.filter(dimension__code=filters.dimension)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.q.strip():
        qs = qs.filter(name__icontains=filters.q.strip())
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [group_out(g) for g in rows], "next_cursor": next_cursor}


@router.get("/groups/matrix", response=list[MatrixColumn], summary="Groups laid out by dimension")
def group_matrix(request):
    actor = request.auth
    require(actor, VIEW)
    return [{"dimension": col["dimension"].code if col["dimension"] else None,
             "dimension_name": col["dimension"].name if col["dimension"] else "未分类",
             "groups": [group_out(g) for g in col["groups"]]} for col in selectors.matrix(actor)]


@router.get("/groups/{int:group_id}", response=GroupOut, summary="One group")
def get_group(request, group_id: int):
    require(request.auth, VIEW)
    return group_out(selectors.get_group(request.auth, group_id))


@router.patch("/groups/{int:group_id}", response=GroupOut, summary="Change a group")
@idempotent()
def patch_group(request, group_id: int, payload: GroupPatch):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items()
               if v is not None or k == "dimension"}
    services.update_group(actor, group, **changes)
    return 200, group_out(selectors.get_group(actor, group_id))


@router.post("/groups/{int:group_id}/archive", response=GroupOut, summary="Archive a group")
@idempotent()
def archive_group(request, group_id: int):
    actor = request.auth
    require(actor, MANAGE)
    services.archive_group(actor, selectors.get_group(actor, group_id))
    return 200, group_out(selectors.get_group(actor, group_id))


@router.get("/dimensions", response=list[DimensionOut], summary="Dimensions of the community matrix")
def list_dimensions(request):
    require(request.auth, VIEW)
    return [{"code": d.code, "name": d.name, "kind": d.kind, "sort": d.sort} for d in Dimension.objects.all()]


@router.post("/dimensions", response={201: DimensionOut}, summary="Add a dimension to the matrix")
@idempotent()
def create_dimension(request, payload: DimensionIn):
    actor = request.auth
    require(actor, MANAGE)
    d = services.create_dimension(actor, code=payload.code, name=payload.name, kind=payload.kind, sort=payload.sort)
    return 201, {"code": d.code, "name": d.name, "kind": d.kind, "sort": d.sort}


# Members of a group


@router.get("/groups/{int:group_id}/members", response=MembershipPage, summary="Current members of a group")
def list_members(request, group_id: int, page: Query[Page]):
    actor = request.auth
    require(actor, VIEW)
    group = selectors.get_group(actor, group_id)
    rows, next_cursor = paginate(selectors.current_members(group), page.cursor, page.limit, newest_first=False)
    return {"items": [membership_out(m) for m in rows], "next_cursor": next_cursor}


@router.post("/groups/{int:group_id}/members", response={200: JoinOut, 201: JoinOut},
             summary="Add a member (201), or return the current membership (200)")
@idempotent()
def join(request, group_id: int, payload: JoinIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    member = get_member(actor, payload.member_id)
    membership, created = services.join_group(actor, group, member, source="api",
                                              accepted_rules_version=payload.accepted_rules_version)
    return (201 if created else 200), {"group_id": group.pk, "group_name": group.name,
                                       "membership_id": membership.pk, "created": created}


@router.post("/groups/{int:group_id}/members/{int:member_id}/leave", response=MembershipOut,
             summary="The member leaves the group")
@idempotent()
def leave(request, group_id: int, member_id: int):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    return 200, membership_out(services.leave_group(actor, group, get_member(actor, member_id)))


@router.post("/groups/{int:group_id}/members/{int:member_id}/remove", response=MembershipOut,
             summary="Remove a member with a reason")
@idempotent()
def remove(request, group_id: int, member_id: int, payload: RemoveIn):
    actor = request.auth
    require(actor, MODERATE)
    group = selectors.get_group(actor, group_id)
    membership = services.remove_member(actor, group, get_member(actor, member_id), reason=payload.reason,
                                        note=payload.note)
    return 200, membership_out(membership)


@router.post("/groups/{int:group_id}/members/{int:member_id}/role", response=MembershipOut,
             summary="Set a member's role (owner, admin, kol, member)")
@idempotent()
def set_role(request, group_id: int, member_id: int, payload: RoleIn):
    actor = request.auth
    require(actor, MODERATE)
    group = selectors.get_group(actor, group_id)
    member = get_member(actor, member_id)
    services.set_role(actor, group, member, payload.role)
    return 200, membership_out(_membership(group, member))


@router.post("/groups/{int:group_id}/members/{int:member_id}/seed", response=MembershipOut,
             summary="Mark or unmark a seed user (种子用户)")
@idempotent()
def mark_seed(request, group_id: int, member_id: int, payload: SeedIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    member = get_member(actor, member_id)
    services.mark_seed(actor, group, member, payload.is_seed)
    return 200, membership_out(_membership(group, member))


# Rules


@router.get("/groups/{int:group_id}/rules", response={200: RulesOut, 204: None},
            summary="Current rules (204 when the group has none)")
def get_rules(request, group_id: int):
    require(request.auth, VIEW)
    rules = services.current_rules(selectors.get_group(request.auth, group_id))
    return Status(200, _rules_out(rules)) if rules else Status(204, None)


@router.post("/groups/{int:group_id}/rules", response={201: RulesOut}, summary="Publish a new rules version")
@idempotent()
def set_rules(request, group_id: int, payload: RulesIn):
    actor = request.auth
    require(actor, MANAGE)
    rules = services.set_rules(actor, selectors.get_group(actor, group_id), payload.text)
    return 201, _rules_out(rules)


# Blacklist


def _blacklist_out(entry) -> dict:
    return {"member_id": entry.member_id, "member_no": entry.member.member_no, "name": entry.member.name,
            "reason": entry.reason, "created_by": entry.created_by, "created_at": entry.created_at}


@router.get("/blacklist", response=list[BlacklistOut], summary="Blacklisted members")
def blacklist(request):
    require(request.auth, VIEW)
    return [_blacklist_out(e) for e in selectors.blacklist_visible_to(request.auth)[:500]]


@router.post("/blacklist", response={201: BlacklistOut}, summary="Blacklist a member (removes them from all groups)")
@idempotent()
def add_to_blacklist(request, payload: BlacklistIn):
    actor = request.auth
    require(actor, MODERATE)
    entry = services.blacklist_member(actor, get_member(actor, payload.member_id), payload.reason)
    return 201, _blacklist_out(entry)


@router.delete("/blacklist/{int:member_id}", response={204: None}, summary="Take a member off the blacklist")
def remove_from_blacklist(request, member_id: int):
    actor = request.auth
    require(actor, MODERATE)
    services.unblacklist_member(actor, get_member(actor, member_id))
    return Status(204, None)


# Violation reports


def _report_out(r: ViolationReport) -> dict:
    return {f: getattr(r, f) for f in ("id", "group_id", "reporter_id", "offender_id", "reason", "note", "status",
                                       "reviewed_by", "reviewed_at", "points_entry_id", "created_at")}


@router.post("/groups/{int:group_id}/reports", response={201: ReportOut}, summary="A member reports another")
@idempotent()
def report(request, group_id: int, payload: ReportIn):
    actor = request.auth
    require(actor, MANAGE)
    group = selectors.get_group(actor, group_id)
    created = services.report_violation(actor, group, get_member(actor, payload.reporter_id),
                                        get_member(actor, payload.offender_id), payload.reason, payload.note)
    return 201, _report_out(created)


@router.get("/reports", response=ReportPage, summary="Violation reports")
def list_reports(request, filters: Query[ReportFilters]):
    require(request.auth, VIEW)
    qs = selectors.reports_visible_to(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [_report_out(r) for r in rows], "next_cursor": next_cursor}


@router.post("/reports/{int:report_id}/review", response=ReportOut,
             summary="Decide a report; a valid one earns the reporter points")
@idempotent()
def review(request, report_id: int, payload: ReviewIn):
    actor = request.auth
    require(actor, MODERATE)
    return 200, _report_out(services.review_report(actor, selectors.get_report(actor, report_id), payload.valid))


# Entry codes (活码)


def _qr_url(code: str, kind: str) -> str:
    return f"/api/v1/entry-codes/{code}/qr.{kind}"


def _entry_code_out(entry_code) -> dict:
    slots = entry_code.slots.select_related("group", "store").order_by("position", "id")
    return {"code": entry_code.code, "name": entry_code.name, "url": services.entry_code_join_url(entry_code),
            "qr_svg_url": _qr_url(entry_code.code, "svg"), "qr_png_url": _qr_url(entry_code.code, "png"),
            "overflow": entry_code.overflow, "routing": entry_code.routing, "is_active": entry_code.is_active,
            "overflow_count": entry_code.overflow_count, "created_at": entry_code.created_at,
            "groups": [{"group_id": s.group_id, "group_name": s.group.name, "member_count": s.group.member_count,
                        "capacity": s.group.capacity, "store_code": s.store.code if s.store else None,
                        "tier_code": s.tier_code} for s in slots]}


@router.post("/entry-codes", response={201: EntryCodeCreated}, summary="Create an entry code (活码)")
@idempotent()
def create_entry_code(request, payload: EntryCodeIn):
    actor = request.auth
    require(actor, MANAGE)
    slots = [s.dict() for s in payload.slots] if payload.slots else None
    entry_code = services.create_entry_code(actor, name=payload.name, group_ids=payload.group_ids,
                                            overflow=payload.overflow, routing=payload.routing, slots=slots)
    return 201, {"code": entry_code.code, "url": services.entry_code_join_url(entry_code),
                 "qr_svg_url": _qr_url(entry_code.code, "svg")}


@router.get("/entry-codes", response=list[EntryCodeOut], summary="Entry codes")
def list_entry_codes(request):
    require(request.auth, VIEW)
    return [_entry_code_out(c) for c in selectors.entry_codes_visible_to(request.auth)[:200]]


@router.get("/entry-codes/{code}", response=EntryCodeOut, summary="One entry code with its groups")
def get_entry_code(request, code: str):
    require(request.auth, VIEW)
    return _entry_code_out(selectors.get_entry_code(code, request.auth))


@router.post("/entry-codes/{code}/join", response={200: EntryCodeJoinOut, 201: EntryCodeJoinOut},
             summary="Route a member to a group with room (201), or their current group of this code (200)")
@idempotent()
def join_via_code(request, code: str, payload: EntryCodeJoinIn):
    actor = request.auth
    require(actor, MANAGE)
    entry_code = selectors.get_entry_code(code, actor)
    member = get_member(actor, payload.member_id)
    membership, created = services.join_via_code(actor, entry_code, member, source="api",
                                                 accepted_rules_version=payload.accepted_rules_version)
    return (201 if created else 200), {"group_id": membership.group_id, "group_name": membership.group.name,
                                       "created": created}


@router.patch("/entry-codes/{code}", response=EntryCodeOut, summary="Rename or (de)activate an entry code")
@idempotent()
def patch_entry_code(request, code: str, payload: EntryCodePatch):
    actor = request.auth
    require(actor, MANAGE)
    entry_code = selectors.get_entry_code(code, actor)
    if payload.is_active is not None:
        services.set_entry_code_active(actor, entry_code, payload.is_active)
    if payload.name is not None and payload.name.strip() != entry_code.name:
        services.rename_entry_code(actor, entry_code, payload.name)
    return 200, _entry_code_out(selectors.get_entry_code(code, actor))


@router.get("/entry-codes/{code}/preview", response=EntryCodePreviewOut,
            summary="The group (and its rules) a scan would put this member in, before they accept")
def preview_entry_code(request, code: str, member_id: int):
    actor = request.auth
    require(actor, VIEW)
    entry_code = selectors.get_entry_code(code, actor)
    member = get_member(actor, member_id)
    group = services.target_group(entry_code, member)
    rules = services.current_rules(group) if group else None
    already = group is not None and selectors.current_membership(group, member) is not None
    return {"group_id": group.pk if group else None, "group_name": group.name if group else None,
            "rules_version": rules.version if rules else None, "rules_text": rules.text if rules else "",
            "already_member": already, "can_join": group is not None and entry_code.is_active}


@router.get("/members/{int:member_id}/groups", response=list[GroupOut], summary="Groups a member is in")
def member_groups(request, member_id: int):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    visible = selectors.groups_visible_to(request.auth).values("pk")
    return [group_out(g) for g in selectors.member_groups(member).filter(pk__in=visible)]


@router.get("/entry-codes/{code}/qr.svg", summary="The entry code's QR as SVG")
def entry_code_svg(request, code: str):
    require(request.auth, VIEW)
    entry_code = selectors.get_entry_code(code, request.auth)
    return HttpResponse(services.qr_svg(entry_code, request.build_absolute_uri("/")), content_type="image/svg+xml")


@router.get("/entry-codes/{code}/qr.png", summary="The entry code's QR as PNG")
def entry_code_png(request, code: str):
    require(request.auth, VIEW)
    entry_code = selectors.get_entry_code(code, request.auth)
    return HttpResponse(services.qr_png(entry_code, request.build_absolute_uri("/")), content_type="image/png")


# Invite links of seed users and KOLs


@router.post("/invite-links", response={201: InviteLinkOut}, summary="A member's personal invite link")
@idempotent()
def create_invite_link(request, payload: InviteLinkIn):
    actor = request.auth
    require(actor, MANAGE)
    member = get_member(actor, payload.member_id)
    group = selectors.get_group(actor, payload.group_id) if payload.group_id else None
    link = services.create_invite_link(actor, member, group)
    return 201, {"code": link.code, "url": invite_link_url(link), "inviter_id": link.inviter_id,
                 "group_id": link.group_id}


@router.get("/inviters/{int:member_id}/stats", response=InviterStatsOut,
            summary="How many members an inviter brought in and how active they are")
def inviter_stats(request, member_id: int):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    return dict(services.inviter_stats(member), member_id=member.pk)
