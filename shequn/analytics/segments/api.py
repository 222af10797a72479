"""客群 over HTTP: CRUD, live preview, materialise, members (paged and exported), coupon grant."""

from django.utils.translation import gettext as _
from ninja import Query, Router

from shequn.core.actor import Actor
from shequn.core.errors import PermissionDenied
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.models import Member

from .. import exports
from . import actions
from . import services as S
from .models import Segment
from .schemas import (
    CouponGrantIn,
    CouponGrantOut,
    MaterialiseOut,
    PreviewIn,
    PreviewOut,
    SegmentIn,
    SegmentMembersPage,
    SegmentOut,
)

router = Router(tags=["segments"])
VIEW, RUN, CAMPAIGNS = "analytics.view", "analytics.run", "commerce.campaigns"
EXPORT_LIMIT = 200_000


def can_build(actor: Actor) -> bool:
    """Analysts and head office build segments over every store; a store manager over their stores' members."""
    return actor.can(RUN) or (actor.scoped and actor.can("members.write"))


def require_builder(actor: Actor) -> None:
    require(actor, VIEW)
    if not can_build(actor):
        raise PermissionDenied(f"Your role ({actor.role or actor.kind}) may not build segments.")


def segment_out(segment: Segment) -> dict:
    return {"id": segment.pk, "name": segment.name, "description": segment.description,
            "conditions": segment.conditions, "stores": sorted(segment.stores.values_list("code", flat=True)),
            "created_by": segment.created_by, "member_count": segment.member_count,
            "materialised_at": segment.materialised_at, "created_at": segment.created_at,
            "updated_at": segment.updated_at}


def member_brief(member: Member) -> dict:
    loyalty = getattr(member, "loyalty", None)
    return {"id": member.pk, "member_no": member.member_no, "name": member.name,
            "store_code": member.home_store.code if member.home_store_id else None,
            "tier": loyalty.tier.code if loyalty is not None else None}


@router.post("/analytics/segments/preview", response=PreviewOut,
             summary="Live count (and a sample) of members matching conditions; nothing is saved")
def preview(request, payload: PreviewIn):
    require(request.auth, VIEW)
    result = S.preview(payload.conditions, request.auth, stores=payload.stores)
    return {"count": result.count, "sample": [member_brief(m) for m in result.sample], "warnings": result.warnings}


@router.get("/analytics/segments", response=list[SegmentOut], summary="客群 you may see, newest first")
def list_segments(request):
    require(request.auth, VIEW)
    return [segment_out(s) for s in S.segments_visible_to(request.auth).prefetch_related("stores")[:500]]


@router.post("/analytics/segments", response={201: SegmentOut}, summary="Save a segment (not materialised yet)")
@idempotent(default_status=201)
def create_segment(request, payload: SegmentIn):
    require_builder(request.auth)
    segment = S.save_segment(request.auth, name=payload.name, description=payload.description,
                             conditions=payload.conditions, stores=payload.stores)
    return 201, segment_out(segment)


@router.get("/analytics/segments/{int:segment_id}", response=SegmentOut)
def get_segment(request, segment_id: int):
    require(request.auth, VIEW)
    return segment_out(S.get_segment(request.auth, segment_id))


@router.put("/analytics/segments/{int:segment_id}", response=SegmentOut, summary="Replace a segment's definition")
@idempotent()
def update_segment(request, segment_id: int, payload: SegmentIn):
    require_builder(request.auth)
    segment = S.get_segment(request.auth, segment_id)
    segment = S.save_segment(request.auth, name=payload.name, description=payload.description,
                             conditions=payload.conditions, stores=payload.stores, segment=segment)
    return segment_out(segment)


@router.delete("/analytics/segments/{int:segment_id}", response={204: None})
@idempotent(default_status=204)
def delete_segment(request, segment_id: int):
    require_builder(request.auth)
    S.delete_segment(request.auth, S.get_segment(request.auth, segment_id))
    return 204, None


@router.post("/analytics/segments/{int:segment_id}/materialise", response=MaterialiseOut,
             summary="Replace the segment's member list with who matches now")
@idempotent()
def materialise(request, segment_id: int):
    require_builder(request.auth)
    return S.materialise(S.get_segment(request.auth, segment_id), request.auth)


@router.get("/analytics/segments/{int:segment_id}/members", response=SegmentMembersPage,
            summary="Members of the last materialisation, paged by cursor")
def members(request, segment_id: int, cursor: str | None = None, limit: int = Query(50, ge=1, le=200)):
    require(request.auth, VIEW)
    segment = S.get_segment(request.auth, segment_id)
    rows, next_cursor = paginate(S.segment_members(segment).select_related("home_store", "loyalty__tier"),
                                 cursor, limit)
    return {"items": [member_brief(m) for m in rows], "next_cursor": next_cursor}


def export_table(segment: Segment) -> exports.Table:
    C = exports.Column
    rows = (S.segment_members(segment).select_related("home_store", "loyalty__tier").order_by("pk")
            [:EXPORT_LIMIT])
    return exports.Table(f"segment-{segment.pk}", segment.name, [
        C(_("会员号")), C(_("姓名")), C(_("手机")), C(_("门店")), C(_("等级")), C(_("入会时间"))],
        [[m.member_no, m.name, m.phone_masked, m.home_store.name if m.home_store_id else "",
          m.loyalty.tier.name if hasattr(m, "loyalty") else "", m.joined_at.date().isoformat()] for m in rows])


@router.get("/analytics/segments/{int:segment_id}/members/export",
            summary="The members as an Excel workbook or CSV (format=xlsx|csv; up to 200,000 rows)")
def export_members(request, segment_id: int, format: str = "xlsx"):
    require(request.auth, VIEW)
    return exports.response(export_table(S.get_segment(request.auth, segment_id)), format)


@router.post("/analytics/segments/{int:segment_id}/grant-coupon", response=CouponGrantOut,
             summary="Grant a coupon template to every member of the segment (活动发放)")
@idempotent(required=True)
def grant_coupon(request, segment_id: int, payload: CouponGrantIn):
    require(request.auth, CAMPAIGNS)
    segment = S.get_segment(request.auth, segment_id)
    ref = payload.ref.strip() or f"segment:{request.headers.get('Idempotency-Key', '').strip()[:60]}"
    return actions.grant_coupon(request.auth, segment, payload.template_id, ref=ref)
