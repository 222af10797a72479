"""Team purchase (拼团) over HTTP: deals, opening and joining teams for a member, team status."""

from ninja import Query, Router, Schema

from shequn.commerce.selectors import sku_by_code
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member
from shequn.stores.selectors import store_by_code

from . import selectors, services
from .errors import TeamNotFound
from .models import Team, TeamDeal, TeamSeat
from .schemas import DealIn, DealOut, DealPage, DealStatusIn, JoinOut, SeatIn, TeamOut, TeamPage

router = Router(tags=["team purchase"])

VIEW, CAMPAIGNS, ORDERS = "commerce.view", "commerce.campaigns", "commerce.orders"


class DealFilters(Schema):
    status: str = ""
    store: str = ""
    cursor: str | None = None
    limit: int = 50


class TeamFilters(Schema):
    status: str = ""
    cursor: str | None = None
    limit: int = 50


def deal_out(deal: TeamDeal) -> dict:
    return {"id": deal.pk, "title": deal.title, "sku": deal.sku.code, "product_name": deal.sku.product.name,
            "store_code": deal.store.code, "list_price_fen": deal.sku.price_fen,
            "team_price_fen": deal.team_price_fen, "team_size": deal.team_size, "hours": deal.hours,
            "per_member_limit": deal.per_member_limit, "starts_at": deal.starts_at, "ends_at": deal.ends_at,
            "status": deal.status, "teams_forming": getattr(deal, "teams_forming", 0),
            "teams_complete": getattr(deal, "teams_complete", 0), "teams_failed": getattr(deal, "teams_failed", 0)}


def seat_out(seat: TeamSeat) -> dict:
    order = seat.order
    return {"id": seat.pk, "member_id": seat.member_id, "member_name": seat.member.name, "quantity": seat.quantity,
            "status": seat.status, "order_id": order.pk, "order_no": order.order_no, "order_status": order.status,
            "total_fen": order.total_fen, "pay_by": order.expires_at, "refund_no": seat.refund_no}


def team_out(team: Team) -> dict:
    return {"id": team.pk, "code": team.code, "deal_id": team.deal_id, "title": team.deal.title,
            "leader_member_id": team.leader_id, "status": team.status, "size": team.size,
            "seats_taken": team.seats_taken, "seats_left": max(team.size - team.seats_taken, 0),
            "opened_at": team.opened_at, "expires_at": team.expires_at, "seconds_left": selectors.seconds_left(team),
            "share_url": selectors.share_path(team), "seats": [seat_out(s) for s in selectors.seats_of(team)]}


def _team(actor, code: str) -> Team:
    team = services.team_by_code(code)
    if actor.scoped and team.deal.store_id not in actor.store_ids:
        raise TeamNotFound(f"No team with code {code}.")
    return team


@router.post("/team-deals", response={201: DealOut}, summary="Create a team purchase deal (拼团活动)")
@idempotent()
def create_deal(request, payload: DealIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    deal = services.create_deal(actor, title=payload.title, sku=sku_by_code(payload.sku),
                                store=store_by_code(actor, payload.store_code), team_price_fen=payload.team_price_fen,
                                team_size=payload.team_size, hours=payload.hours, starts_at=payload.starts_at,
                                ends_at=payload.ends_at, per_member_limit=payload.per_member_limit)
    return 201, deal_out(selectors.get_deal(actor, deal.pk))


@router.get("/team-deals", response=DealPage, summary="List team purchase deals")
def list_deals(request, filters: Query[DealFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.deals_visible_to(actor)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.store:
        qs = qs.filter(store__code=filters.store)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [deal_out(d) for d in rows], "next_cursor": next_cursor}


@router.get("/team-deals/{deal_id}", response=DealOut, summary="A team purchase deal")
def get_deal(request, deal_id: int):
    actor = request.auth
    require(actor, VIEW)
    return deal_out(selectors.get_deal(actor, deal_id))


@router.post("/team-deals/{deal_id}/status", response=DealOut, summary="Pause or resume a deal")
@idempotent()
def set_deal_status(request, deal_id: int, payload: DealStatusIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    services.set_deal_status(actor, selectors.get_deal(actor, deal_id), payload.status)
    return deal_out(selectors.get_deal(actor, deal_id))


@router.get("/team-deals/{deal_id}/teams", response=TeamPage, summary="Teams of a deal, newest first")
def list_teams(request, deal_id: int, filters: Query[TeamFilters]):
    actor = request.auth
    require(actor, VIEW)
    deal = selectors.get_deal(actor, deal_id)
    rows, next_cursor = paginate(selectors.teams_of(deal, filters.status).select_related("deal"), filters.cursor,
                                 filters.limit)
    return {"items": [team_out(t) for t in rows], "next_cursor": next_cursor}


@router.post("/team-deals/{deal_id}/teams", response={201: JoinOut},
             summary="Open a team for a member (开团): places their order at the team price")
@idempotent(required=True)
def open_team(request, deal_id: int, payload: SeatIn):
    actor = request.auth
    require(actor, ORDERS)
    deal = selectors.get_deal(actor, deal_id)
    seat = services.open_team(actor, deal, get_member(actor, payload.member_id), quantity=payload.quantity)
    team = services.team_by_code(seat.team.code)
    return 201, {"team": team_out(team), "seat": seat_out(seat)}


@router.get("/teams/{code}", response=TeamOut, summary="A team: seats, status and time left")
def get_team(request, code: str):
    actor = request.auth
    require(actor, VIEW)
    return team_out(_team(actor, code))


@router.post("/teams/{code}/join", response={201: JoinOut}, summary="Join a team for a member (参团)")
@idempotent(required=True)
def join_team(request, code: str, payload: SeatIn):
    actor = request.auth
    require(actor, ORDERS)
    team = _team(actor, code)
    seat = services.join_team(actor, team, get_member(actor, payload.member_id), quantity=payload.quantity)
    return 201, {"team": team_out(services.team_by_code(code)), "seat": seat_out(seat)}

