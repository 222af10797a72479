"""Referral (裂变) and distribution (分销) over HTTP: links, attribution, review of held referrals, settings,
distributors, commission ledger, withdrawals and reports."""

from django.http import HttpResponse
from ninja import Query, Router, Schema

from shequn.commerce.models import Category
from shequn.commerce.selectors import sku_by_code
from shequn.core.errors import NotFound
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member

from . import distribution, selectors, services
from .errors import InvalidCommissionRates
from .models import CommissionRule
from .schemas import (
    AttributeIn,
    DecisionIn,
    DistributionSettingsOut,
    DistributorIn,
    DistributorOut,
    DistributorPage,
    DistributorRow,
    EntryPage,
    PayoutIn,
    RatesIn,
    ReferralLinkOut,
    ReferralOut,
    ReferralPage,
    ReferralSettingsIn,
    ReferralSettingsOut,
    ReferrerRow,
    RejectIn,
    ReviewIn,
    RuleIn,
    WithdrawalIn,
    WithdrawalOut,
    WithdrawalPage,
    distributor_out,
    entry_out,
    referral_out,
    withdrawal_out,
)

router = Router(tags=["referral"])

VIEW, CAMPAIGNS, COMMISSIONS, MEMBERS_WRITE = ("commerce.view", "commerce.campaigns", "commerce.commissions",
                                               "members.write")


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


class StatusPage(Page):
    status: str = ""


class ReferralFilters(StatusPage):
    referrer_id: int | None = None


# Referral


def _link(request, member) -> dict:
    code = services.code_for(member).code
    path = services.link_path(code)
    return {"member_id": member.pk, "code": code, "path": path, "url": request.build_absolute_uri(path),
            "qr_svg_url": f"/api/v1/members/{member.pk}/referral-qr.svg"}


@router.get("/members/{member_id}/referral-link", response=ReferralLinkOut, summary="A member's referral link")
def referral_link(request, member_id: int):
    require(request.auth, VIEW)
    return _link(request, get_member(request.auth, member_id))


@router.get("/members/{member_id}/referral-qr.svg", summary="QR code (SVG) of a member's referral link")
def referral_qr(request, member_id: int):
    require(request.auth, VIEW)
    link = _link(request, get_member(request.auth, member_id))
    return HttpResponse(services.qr_svg(link["url"]), content_type="image/svg+xml")


@router.post("/referrals/attribute", response={201: ReferralOut}, summary="Attribute a new member to a referrer")
@idempotent()
def attribute(request, payload: AttributeIn):
    actor = request.auth
    require(actor, MEMBERS_WRITE)
    referee = get_member(actor, payload.member_id)
    referral = services.attribute(actor, referee=referee, code=payload.code, device_id=payload.device_id,
                                  ip=payload.ip, clicked_at=payload.clicked_at)
    return 201, referral_out(referral)


@router.get("/referrals", response=ReferralPage, summary="Referrals (held ones with status=held)")
def list_referrals(request, filters: Query[ReferralFilters]):
    require(request.auth, VIEW)
    qs = selectors.referrals_visible_to(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.referrer_id:
        qs = qs.filter(referrer_id=filters.referrer_id)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [referral_out(r) for r in rows], "next_cursor": next_cursor}


@router.get("/referrals/report", response=list[ReferrerRow], summary="Referrals per referrer")
def referral_report(request):
    require(request.auth, VIEW)
    return selectors.referral_report(request.auth)


@router.get("/referrals/{referral_id}", response=ReferralOut, summary="One referral")
def get_referral(request, referral_id: int):
    require(request.auth, VIEW)
    return referral_out(selectors.get_referral(request.auth, referral_id))


@router.post("/referrals/{referral_id}/review", response=ReferralOut, summary="Approve or reject a held referral")
@idempotent()
def review_referral(request, referral_id: int, payload: ReviewIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    selectors.get_referral(actor, referral_id)
    services.review(actor, referral_id, approve=payload.approve, note=payload.note)
    return referral_out(selectors.get_referral(actor, referral_id))


@router.get("/referral-settings", response=ReferralSettingsOut, summary="Referral rewards and rules")
def get_referral_settings(request):
    require(request.auth, VIEW)
    return services.settings_row()


@router.patch("/referral-settings", response=ReferralSettingsOut, summary="Change referral rewards and rules")
@idempotent()
def patch_referral_settings(request, payload: ReferralSettingsIn):
    require(request.auth, CAMPAIGNS)
    return ReferralSettingsOut.from_orm(services.update_settings(request.auth,
                                                                 **payload.model_dump(exclude_none=True)))


# Distribution


def _settings_out() -> dict:
    row = distribution.settings_row()
    rules = [{"category": r.category.name if r.category_id else None, "sku": r.sku.code if r.sku_id else None,
              "level_rates_permille": r.level_rates_permille}
             for r in CommissionRule.objects.select_related("category", "sku").order_by("pk")]
    return {"level_rates_permille": row.level_rates_permille, "min_withdrawal_fen": row.min_withdrawal_fen,
            "rules": rules}


@router.get("/distribution-settings", response=DistributionSettingsOut, summary="Commission rates (two levels)",
            tags=["distribution"])
def get_distribution_settings(request):
    require(request.auth, VIEW)
    return _settings_out()


@router.patch("/distribution-settings", response=DistributionSettingsOut, tags=["distribution"],
              summary="Set the default commission rates; more than two levels is refused")
@idempotent()
def patch_distribution_settings(request, payload: RatesIn):
    distribution.configure(request.auth, level_rates_permille=payload.level_rates_permille,
                           min_withdrawal_fen=payload.min_withdrawal_fen)
    return _settings_out()


@router.put("/distribution-rules", response=DistributionSettingsOut, tags=["distribution"],
            summary="Rates for one category or one SKU")
@idempotent()
def put_distribution_rule(request, payload: RuleIn):
    require(request.auth, COMMISSIONS)
    category = sku = None
    if payload.category:
        category = Category.objects.filter(name=payload.category.strip()).first()
        if category is None:
            raise NotFound(f"No category {payload.category}.", type="category-not-found")
    if payload.sku:
        sku = sku_by_code(payload.sku.strip())
    if category is None and sku is None:
        raise InvalidCommissionRates("Name a category or a SKU for the rule.", field="category")
    distribution.configure(request.auth, level_rates_permille=payload.level_rates_permille, category=category,
                           sku=sku)
    return _settings_out()


@router.post("/distributors", response={201: DistributorOut}, tags=["distribution"],
             summary="Enrol a member as distributor (an application)")
@idempotent()
def apply_distributor(request, payload: DistributorIn):
    actor = request.auth
    require(actor, COMMISSIONS)
    member = get_member(actor, payload.member_id)
    upline = selectors.get_distributor(actor, payload.upline_id) if payload.upline_id else None
    distributor = distribution.apply(actor, member, upline=upline, note=payload.note)
    return 201, distributor_out(selectors.get_distributor(actor, distributor.pk))


@router.get("/distributors", response=DistributorPage, tags=["distribution"], summary="Distributors")
def list_distributors(request, filters: Query[StatusPage]):
    require(request.auth, VIEW)
    qs = selectors.distributors_visible_to(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [distributor_out(d) for d in rows], "next_cursor": next_cursor}


@router.get("/distributors/report", response=list[DistributorRow], tags=["distribution"],
            summary="Sales referred and commission by level per distributor")
def distribution_report(request):
    require(request.auth, VIEW)
    return selectors.distribution_report(request.auth)


@router.get("/distributors/{distributor_id}", response=DistributorOut, tags=["distribution"],
            summary="One distributor with balances")
def get_distributor(request, distributor_id: int):
    require(request.auth, VIEW)
    return distributor_out(selectors.get_distributor(request.auth, distributor_id))


@router.post("/distributors/{distributor_id}/decision", response=DistributorOut, tags=["distribution"],
             summary="Approve or reject an application")
@idempotent()
def decide_distributor(request, distributor_id: int, payload: DecisionIn):
    actor = request.auth
    require(actor, COMMISSIONS)
    selectors.get_distributor(actor, distributor_id)
    distribution.decide(actor, distributor_id, approve=payload.approve, note=payload.note)
    return distributor_out(selectors.get_distributor(actor, distributor_id))


@router.get("/distributors/{distributor_id}/ledger", response=EntryPage, tags=["distribution"],
            summary="Commission ledger of a distributor")
def distributor_ledger(request, distributor_id: int, filters: Query[Page]):
    require(request.auth, VIEW)
    distributor = selectors.get_distributor(request.auth, distributor_id)
    rows, next_cursor = paginate(selectors.ledger(distributor), filters.cursor, filters.limit)
    return {"items": [entry_out(e) for e in rows], "next_cursor": next_cursor}


@router.post("/distributors/{distributor_id}/withdrawals", response={201: WithdrawalOut}, tags=["distribution"],
             summary="Request a withdrawal (frozen until decided)")
@idempotent()
def request_withdrawal(request, distributor_id: int, payload: WithdrawalIn):
    actor = request.auth
    require(actor, COMMISSIONS)
    distributor = selectors.get_distributor(actor, distributor_id)
    withdrawal = distribution.request_withdrawal(actor, distributor, payload.amount_fen)
    return 201, withdrawal_out(selectors.get_withdrawal(actor, withdrawal.pk))


@router.get("/withdrawals", response=WithdrawalPage, tags=["distribution"], summary="Withdrawal requests")
def list_withdrawals(request, filters: Query[StatusPage]):
    require(request.auth, VIEW)
    qs = selectors.withdrawals_visible_to(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [withdrawal_out(w) for w in rows], "next_cursor": next_cursor}


@router.post("/withdrawals/{withdrawal_id}/approve", response=WithdrawalOut, tags=["distribution"],
             summary="Mark a withdrawal paid, with the transfer reference")
@idempotent()
def approve_withdrawal(request, withdrawal_id: int, payload: PayoutIn):
    actor = request.auth
    require(actor, COMMISSIONS)
    selectors.get_withdrawal(actor, withdrawal_id)
    distribution.decide_withdrawal(actor, withdrawal_id, approve=True, reference=payload.reference,
                                   note=payload.note)
    return withdrawal_out(selectors.get_withdrawal(actor, withdrawal_id))


@router.post("/withdrawals/{withdrawal_id}/reject", response=WithdrawalOut, tags=["distribution"],
             summary="Reject a withdrawal; the amount goes back to available")
@idempotent()
def reject_withdrawal(request, withdrawal_id: int, payload: RejectIn):
    actor = request.auth
    require(actor, COMMISSIONS)
    selectors.get_withdrawal(actor, withdrawal_id)
    distribution.decide_withdrawal(actor, withdrawal_id, approve=False, note=payload.note)
    return withdrawal_out(selectors.get_withdrawal(actor, withdrawal_id))
