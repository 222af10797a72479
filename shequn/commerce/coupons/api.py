"""Coupons over HTTP: templates, grants, claims, a member's coupons, checkout quotes and the cost report."""

import datetime as dt

from ninja import Query, Router, Schema

from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member

from . import redemption, selectors, services
from .errors import CouponNotFound
from .models import Coupon
from .schemas import (
    CampaignCost,
    ClaimIn,
    CouponOut,
    CouponPage,
    GrantIn,
    GrantOut,
    QuoteIn,
    QuoteOut,
    TemplateIn,
    TemplateOut,
    TemplatePage,
    VoidIn,
    coupon_out,
    discount_out,
    template_out,
)

router = Router(tags=["coupons"])

VIEW, CAMPAIGNS, ORDERS = "commerce.view", "commerce.campaigns", "commerce.orders"


class TemplateFilters(Schema):
    status: str = ""
    campaign: str = ""
    q: str = ""
    cursor: str | None = None
    limit: int = 50


class CouponFilters(Schema):
    status: str = ""  # available | used | expired (tabs)
    cursor: str | None = None
    limit: int = 50


class ReportFilters(Schema):
    campaign: str = ""
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def _template_out(actor, template) -> dict:
    return template_out(template, selectors.usage([template.pk], actor).get(template.pk))


@router.post("/coupons/templates", response={201: TemplateOut}, summary="Create a coupon template")
@idempotent()
def create_template(request, payload: TemplateIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    template = services.create_template(actor, **payload.dict())
    return 201, _template_out(actor, template)


@router.get("/coupons/templates", response=TemplatePage, summary="Coupon templates with usage, newest first")
def list_templates(request, filters: Query[TemplateFilters]):
    actor = request.auth
    require(actor, VIEW)
    rows, next_cursor = paginate(selectors.templates(status=filters.status, campaign=filters.campaign,
                                                     q=filters.q.strip()), filters.cursor, filters.limit)
    usage = selectors.usage([t.pk for t in rows], actor)
    return {"items": [template_out(t, usage.get(t.pk)) for t in rows], "next_cursor": next_cursor}


@router.get("/coupons/templates/{int:template_id}", response=TemplateOut, summary="One coupon template")
def get_template(request, template_id: int):
    require(request.auth, VIEW)
    return _template_out(request.auth, selectors.get_template(template_id))


@router.post("/coupons/templates/{int:template_id}/pause", response=TemplateOut,
             summary="Stop issuing (issued coupons stay usable)")
@idempotent()
def pause(request, template_id: int):
    actor = request.auth
    require(actor, CAMPAIGNS)
    return 200, _template_out(actor, services.set_status(actor, selectors.get_template(template_id), "paused"))


@router.post("/coupons/templates/{int:template_id}/resume", response=TemplateOut, summary="Issue again")
@idempotent()
def resume(request, template_id: int):
    actor = request.auth
    require(actor, CAMPAIGNS)
    return 200, _template_out(actor, services.set_status(actor, selectors.get_template(template_id), "active"))


@router.post("/coupons/templates/{int:template_id}/grant", response=GrantOut,
             summary="Grant to members (活动发放); a retry with the same ref gives nobody a second coupon")
@idempotent(required=True)
def grant(request, template_id: int, payload: GrantIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    template = selectors.get_template(template_id)
    members = selectors.members_for_grant(actor, member_ids=payload.member_ids, member_nos=payload.member_nos,
                                          tag=payload.tag.strip(), tier=payload.tier.strip())
    ref = payload.ref.strip() or f"api:{request.headers.get('Idempotency-Key', '').strip()[:70]}"
    result = services.grant(actor, template, members, ref=ref, holdout_percent=payload.holdout_percent)
    return 200, {"template_id": template.pk, "ref": ref, "members": len(members), **result}


@router.post("/coupons/templates/{int:template_id}/claim", response={201: CouponOut},
             summary="A member claims one (领券), within the per-member limit")
@idempotent()
def claim(request, template_id: int, payload: ClaimIn):
    actor = request.auth
    require(actor, ORDERS)
    member = get_member(actor, payload.member_id)
    coupon = services.claim(actor, selectors.get_template(template_id), member)
    return 201, coupon_out(Coupon.objects.select_related("template", "order").get(pk=coupon.pk))


@router.get("/members/{int:member_id}/coupons", response=CouponPage, summary="A member's coupons (我的优惠券)")
def member_coupons(request, member_id: int, filters: Query[CouponFilters]):
    actor = request.auth
    require(actor, VIEW)
    member = get_member(actor, member_id)
    tab = filters.status if filters.status in selectors.TABS else ""
    rows, next_cursor = paginate(selectors.member_coupons(member, tab), filters.cursor, filters.limit)
    return {"items": [coupon_out(c) for c in rows], "next_cursor": next_cursor}


@router.post("/coupons/{int:coupon_id}/void", response=CouponOut, summary="Void an unused coupon")
@idempotent()
def void(request, coupon_id: int, payload: VoidIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    coupon = Coupon.objects.filter(pk=coupon_id).first() if 0 < coupon_id < 2**63 else None
    if coupon is None or (actor.scoped and coupon.member.home_store_id not in actor.store_ids):
        raise CouponNotFound(f"No coupon {coupon_id}.")
    services.void(actor, coupon, reason=payload.reason)
    return 200, coupon_out(Coupon.objects.select_related("template", "order").get(pk=coupon_id))


@router.post("/coupons/quote", response=QuoteOut,
             summary="What coupons take off a cart, and the best set the member holds (nothing is written)")
def quote(request, payload: QuoteIn):
    actor = request.auth
    require(actor, VIEW)
    member = get_member(actor, payload.member_id)
    lines = redemption.lines_for(member, [{"sku": i.sku, "quantity": i.quantity} for i in payload.items])
    discounts = redemption.preview(member, payload.coupon_ids, lines)
    best, best_discounts = redemption.best_for(member, lines)
    return {"goods_fen": sum(line.total_fen for line in lines), "discounts": [discount_out(d) for d in discounts],
            "coupon_fen": sum(d.amount_fen for d in discounts), "best_coupon_ids": [c.pk for c in best],
            "best_coupon_fen": sum(d.amount_fen for d in best_discounts)}


@router.get("/coupons/report", response=list[CampaignCost],
            summary="Coupon cost per campaign and template: issued, used, discount, orders and sales")
def report(request, filters: Query[ReportFilters]):
    actor = request.auth
    require(actor, VIEW)
    return selectors.cost_report(actor, campaign=filters.campaign, since=filters.since, until=filters.until)
