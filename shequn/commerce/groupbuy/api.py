"""Group buy (社群团购) over HTTP: leaders, campaigns, orders through a leader, order sheets, pickups,
commission ledger and statements."""

import datetime as dt

from django.http import HttpResponse
from ninja import Query, Router, Schema

from shequn.commerce.selectors import sku_by_code
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member
from shequn.stores.selectors import store_by_code

from . import campaigns, exports, leaders, selectors, statements
from .commissions import ledger_totals, verify_pickup_by_leader
from .errors import InvalidStatement
from .ordering import place_groupbuy_order
from .schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPage,
    CampaignIn,
    CampaignOut,
    CampaignPage,
    CommissionsOut,
    GroupBuyOrderIn,
    ItemIn,
    LeaderOut,
    LeaderPage,
    OrderOut,
    PayIn,
    PeriodIn,
    PickupIn,
    ReasonIn,
    SheetOut,
    StatementDetailOut,
    StatementOut,
    application_out,
    campaign_out,
    entry_out,
    leader_out,
    statement_out,
)

router = Router(tags=["group buy"])

VIEW, CAMPAIGNS, ORDERS, COMMISSIONS = "commerce.view", "commerce.campaigns", "commerce.orders", "commerce.commissions"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


class ApplicationFilters(Page):
    status: str = ""


class StatementFilters(Page):
    period_start: str = ""
    period_end: str = ""
    leader_id: int | None = None
    status: str = ""


def _xlsx(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _campaign(request, campaign_id: int):
    campaign = selectors.get_campaign(request.auth, campaign_id)
    return campaign, campaign_out(campaign, selectors.campaign_progress(campaign))


def order_out(order) -> dict:
    gb = getattr(order, "groupbuy", None)
    return {"id": order.pk, "order_no": order.order_no, "status": order.status, "total_fen": order.total_fen,
            "paid_fen": order.paid_fen, "refunded_fen": order.refunded_fen,
            "campaign_id": gb.campaign_id if gb else None, "leader_code": gb.leader.code if gb else "",
            "pickup_point": order.pickup_point.name if order.pickup_point_id else "",
            "pickup_code": order.pickup_code}


# Leaders


@router.post("/groupbuy/leader-applications", response={201: ApplicationOut}, summary="A member applies to lead")
@idempotent()
def apply(request, payload: ApplicationIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    member = get_member(actor, payload.member_id)
    application = leaders.apply(actor, member, point_name=payload.point_name, address=payload.address,
                                hours=payload.hours, store=store_by_code(actor, payload.store_code), note=payload.note)
    return 201, application_out(selectors.get_application(actor, application.pk))


@router.get("/groupbuy/leader-applications", response=ApplicationPage, summary="Leader applications")
def list_applications(request, filters: Query[ApplicationFilters]):
    require(request.auth, VIEW)
    rows, cursor = paginate(selectors.applications_visible_to(request.auth, filters.status), filters.cursor,
                            filters.limit)
    return {"items": [application_out(a) for a in rows], "next_cursor": cursor}


@router.post("/groupbuy/leader-applications/{int:application_id}/approve", response={201: LeaderOut},
             summary="Approve: creates the pickup point and the leader code")
@idempotent()
def approve(request, application_id: int):
    actor = request.auth
    leader = leaders.approve(actor, selectors.get_application(actor, application_id))
    return 201, leader_out(selectors.get_leader(actor, leader.pk))


@router.post("/groupbuy/leader-applications/{int:application_id}/reject", response=ApplicationOut,
             summary="Reject with a reason")
@idempotent()
def reject(request, application_id: int, payload: ReasonIn):
    actor = request.auth
    application = leaders.reject(actor, selectors.get_application(actor, application_id), reason=payload.reason)
    return 200, application_out(application)


@router.get("/groupbuy/leaders", response=LeaderPage, summary="Leaders")
def list_leaders(request, page: Query[Page]):
    require(request.auth, VIEW)
    rows, cursor = paginate(selectors.leaders_visible_to(request.auth), page.cursor, page.limit)
    return {"items": [leader_out(x) for x in rows], "next_cursor": cursor}


@router.get("/groupbuy/leaders/{int:leader_id}", response=LeaderOut, summary="One leader")
def get_leader(request, leader_id: int):
    require(request.auth, VIEW)
    return leader_out(selectors.get_leader(request.auth, leader_id))


@router.get("/groupbuy/leaders/{int:leader_id}/qr.svg", summary="The leader's link as a QR (SVG)")
def leader_qr(request, leader_id: int):
    require(request.auth, VIEW)
    leader = selectors.get_leader(request.auth, leader_id)
    return HttpResponse(leaders.qr_svg(leader, request.build_absolute_uri("/")), content_type="image/svg+xml")


@router.post("/groupbuy/leaders/{int:leader_id}/suspend", response=LeaderOut, summary="Suspend a leader")
@idempotent()
def suspend(request, leader_id: int, payload: ReasonIn):
    actor = request.auth
    leaders.suspend(actor, selectors.get_leader(actor, leader_id), reason=payload.reason)
    return 200, leader_out(selectors.get_leader(actor, leader_id))


@router.post("/groupbuy/leaders/{int:leader_id}/resume", response=LeaderOut, summary="Resume a leader")
@idempotent()
def resume(request, leader_id: int):
    actor = request.auth
    leaders.resume(actor, selectors.get_leader(actor, leader_id))
    return 200, leader_out(selectors.get_leader(actor, leader_id))


# Campaigns


@router.post("/groupbuy/campaigns", response={201: CampaignOut}, summary="Create a draft campaign")
@idempotent()
def create_campaign(request, payload: CampaignIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    stores = [store_by_code(actor, code) for code in dict.fromkeys(payload.store_codes)]
    campaign = campaigns.create_campaign(
        actor, title=payload.title, description=payload.description, starts_at=payload.starts_at,
        ends_at=payload.ends_at, pickup_date=payload.pickup_date, commission_permille=payload.commission_permille,
        min_quantity=payload.min_quantity, stores=stores)
    return 201, _campaign(request, campaign.pk)[1]


@router.get("/groupbuy/campaigns", response=CampaignPage, summary="Campaigns")
def list_campaigns(request, page: Query[Page], status: str = ""):
    require(request.auth, VIEW)
    qs = selectors.campaigns_visible_to(request.auth)
    if status:
        qs = qs.filter(status=status)
    rows, cursor = paginate(qs, page.cursor, page.limit)
    return {"items": [campaign_out(c, selectors.campaign_progress(c)) for c in rows], "next_cursor": cursor}


@router.get("/groupbuy/campaigns/{int:campaign_id}", response=CampaignOut, summary="One campaign with sales so far")
def get_campaign(request, campaign_id: int):
    require(request.auth, VIEW)
    return _campaign(request, campaign_id)[1]


@router.put("/groupbuy/campaigns/{int:campaign_id}/items/{sku}", response=CampaignOut,
            summary="Add or change a product at its group-buy price (draft only)")
@idempotent()
def put_item(request, campaign_id: int, sku: str, payload: ItemIn):
    actor = request.auth
    campaign = selectors.get_campaign(actor, campaign_id)
    campaigns.add_item(actor, campaign, sku=sku_by_code(sku), group_price_fen=payload.group_price_fen,
                       per_member_limit=payload.per_member_limit, commission_permille=payload.commission_permille)
    return 200, _campaign(request, campaign_id)[1]


@router.delete("/groupbuy/campaigns/{int:campaign_id}/items/{sku}", response=CampaignOut,
               summary="Remove a product (draft only)")
def delete_item(request, campaign_id: int, sku: str):
    actor = request.auth
    campaigns.remove_item(actor, selectors.get_campaign(actor, campaign_id), sku_by_code(sku))
    return _campaign(request, campaign_id)[1]


@router.post("/groupbuy/campaigns/{int:campaign_id}/open", response=CampaignOut, summary="Open for orders")
@idempotent()
def open_campaign(request, campaign_id: int):
    actor = request.auth
    campaigns.open_campaign(actor, selectors.get_campaign(actor, campaign_id))
    return 200, _campaign(request, campaign_id)[1]


@router.post("/groupbuy/campaigns/{int:campaign_id}/close", response=CampaignOut,
             summary="Close now: succeeds or fails on the minimum (failed: refunds and cancels)")
@idempotent()
def close_campaign(request, campaign_id: int):
    actor = request.auth
    campaigns.close_campaign(actor, selectors.get_campaign(actor, campaign_id))
    return 200, _campaign(request, campaign_id)[1]


@router.post("/groupbuy/campaigns/{int:campaign_id}/orders", response={201: OrderOut},
             summary="Order through a leader (pickup at the leader's point)")
@idempotent(required=True)
def place_order(request, campaign_id: int, payload: GroupBuyOrderIn):
    actor = request.auth
    require(actor, ORDERS)
    campaign = selectors.get_campaign(actor, campaign_id)
    leader = selectors.leader_by_code(payload.leader_code)
    member = get_member(actor, payload.member_id)
    order = place_groupbuy_order(actor, campaign=campaign, leader=leader, member=member,
                                 items=[i.dict() for i in payload.items], note=payload.note)
    return 201, order_out(order)


@router.get("/groupbuy/campaigns/{int:campaign_id}/leaders/{int:leader_id}/sheet", response=SheetOut,
            summary="The leader's order sheet (团长订单汇总) with the picking list")
def order_sheet(request, campaign_id: int, leader_id: int):
    require(request.auth, VIEW)
    campaign = selectors.get_campaign(request.auth, campaign_id)
    return selectors.order_sheet(campaign, selectors.get_leader(request.auth, leader_id))


@router.get("/groupbuy/campaigns/{int:campaign_id}/leaders/{int:leader_id}/sheet.xlsx",
            summary="The leader's order sheet as Excel")
def order_sheet_xlsx(request, campaign_id: int, leader_id: int):
    require(request.auth, VIEW)
    campaign = selectors.get_campaign(request.auth, campaign_id)
    leader = selectors.get_leader(request.auth, leader_id)
    return _xlsx(exports.order_sheet_xlsx(selectors.order_sheet(campaign, leader)),
                 exports.sheet_filename(campaign, leader))


# Pickups and commissions


@router.post("/groupbuy/leaders/{int:leader_id}/pickups", response=OrderOut,
             summary="Verify a pickup at the leader's point by its code")
@idempotent()
def verify_pickup(request, leader_id: int, payload: PickupIn):
    actor = request.auth
    order = verify_pickup_by_leader(actor, selectors.get_leader(actor, leader_id), payload.code)
    return 200, order_out(order)


@router.get("/groupbuy/leaders/{int:leader_id}/commissions", response=CommissionsOut,
            summary="The leader's commission ledger")
def commissions(request, leader_id: int, page: Query[Page]):
    require(request.auth, VIEW)
    leader = selectors.get_leader(request.auth, leader_id)
    rows, cursor = paginate(selectors.commission_entries(leader), page.cursor, page.limit)
    return {"leader_code": leader.code, **ledger_totals(leader), "entries": [entry_out(e) for e in rows],
            "next_cursor": cursor}


# Statements


def _statements(request, filters: StatementFilters):
    qs = selectors.statements_visible_to(request.auth)
    try:
        if filters.period_start:
            qs = qs.filter(period_start=dt.date.fromisoformat(filters.period_start))
        if filters.period_end:
            qs = qs.filter(period_end=dt.date.fromisoformat(filters.period_end))
    except ValueError:
        raise InvalidStatement("period_start and period_end are dates (YYYY-MM-DD).", field="period_start") from None
    if filters.leader_id:
        qs = qs.filter(leader_id=filters.leader_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.post("/groupbuy/statements", response={201: list[StatementOut]},
             summary="Generate the period's statements for every leader (idempotent)")
@idempotent()
def generate_statements(request, payload: PeriodIn):
    actor = request.auth
    made = statements.generate(actor, period_start=payload.period_start, period_end=payload.period_end)
    return 201, [statement_out(selectors.get_statement(actor, s.pk)) for s in made
                 if selectors.statements_visible_to(actor).filter(pk=s.pk).exists()]


@router.get("/groupbuy/statements", response=list[StatementOut], summary="Statements")
def list_statements(request, filters: Query[StatementFilters]):
    require(request.auth, VIEW)
    rows, _ = paginate(_statements(request, filters), filters.cursor, filters.limit)
    return [statement_out(s) for s in rows]


@router.get("/groupbuy/statements.xlsx", summary="Every statement of a period as Excel")
def statements_xlsx(request, filters: Query[StatementFilters]):
    require(request.auth, VIEW)
    if not (filters.period_start and filters.period_end):
        raise InvalidStatement("Give period_start and period_end (YYYY-MM-DD).", field="period_start")
    rows = list(_statements(request, filters).order_by("leader_id"))
    return _xlsx(exports.period_xlsx(rows), f"groupbuy-statements-{filters.period_start}-{filters.period_end}.xlsx")


@router.get("/groupbuy/statements/{int:statement_id}", response=StatementDetailOut, summary="One statement")
def get_statement(request, statement_id: int):
    require(request.auth, VIEW)
    s = selectors.get_statement(request.auth, statement_id)
    return {**statement_out(s), "entries": [entry_out(e) for e in
                                            s.entries.select_related("groupbuy_order__order").order_by("id")]}


@router.get("/groupbuy/statements/{int:statement_id}.xlsx", summary="One statement as Excel")
def statement_xlsx(request, statement_id: int):
    require(request.auth, VIEW)
    s = selectors.get_statement(request.auth, statement_id)
    return _xlsx(exports.statement_xlsx(s), f"statement-{s.pk}-{s.leader.code}-{s.period_start}.xlsx")


@router.post("/groupbuy/statements/{int:statement_id}/confirm", response=StatementOut, summary="Confirm")
@idempotent()
def confirm_statement(request, statement_id: int):
    actor = request.auth
    return 200, statement_out(statements.confirm(actor, selectors.get_statement(actor, statement_id)))


@router.post("/groupbuy/statements/{int:statement_id}/pay", response=StatementOut, summary="Mark paid")
@idempotent()
def pay_statement(request, statement_id: int, payload: PayIn):
    actor = request.auth
    s = statements.mark_paid(actor, selectors.get_statement(actor, statement_id), reference=payload.reference,
                             paid_at=payload.paid_at)
    return 200, statement_out(selectors.get_statement(actor, s.pk))
