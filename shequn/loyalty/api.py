from ninja import Query, Router, Schema

from shequn.core.errors import NotFound
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member, members_visible_to
from shequn.stores.selectors import store_by_code

from . import selectors, services, tasks
from .models import BulkGrant
from .schemas import (
    BulkGrantIn,
    BulkGrantOut,
    CheckInOut,
    LedgerPage,
    PointsIn,
    PointsOut,
    PurchaseIn,
    PurchaseOut,
    TierOut,
)

router = Router(tags=["loyalty"])


class Page(Schema):
    cursor: str | None = None
    limit: int = 50


@router.post("/members/{int:member_id}/points/earn", response={201: PointsOut}, summary="Credit points")
@idempotent(required=True)
def earn(request, member_id: int, payload: PointsIn):
    actor = request.auth
    require(actor, "points.adjust")
    get_member(actor, member_id)
    entry = services.earn(actor, member_id, payload.points, source="api", reason=payload.reason)
    return 201, {"entry_id": entry.pk, "balance": entry.balance_after}


@router.post("/members/{int:member_id}/points/redeem", response={201: PointsOut}, summary="Spend points")
@idempotent(required=True)
def redeem(request, member_id: int, payload: PointsIn):
    actor = request.auth
    require(actor, "points.adjust")
    get_member(actor, member_id)
    entry = services.redeem(actor, member_id, payload.points, source="api", reason=payload.reason)
    return 201, {"entry_id": entry.pk, "balance": entry.balance_after}


@router.get("/members/{int:member_id}/points/ledger", response=LedgerPage, summary="Points ledger, newest first")
def ledger(request, member_id: int, page: Query[Page]):
    require(request.auth, "members.view")
    get_member(request.auth, member_id)
    rows, next_cursor = paginate(selectors.ledger(member_id), page.cursor, page.limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post("/members/{int:member_id}/check-in", response={201: CheckInOut}, summary="Daily check-in (签到)")
@idempotent()
def check_in(request, member_id: int):
    actor = request.auth
    require(actor, "members.write")
    get_member(actor, member_id)
    checkin = services.check_in(actor, member_id)
    return 201, {"points_awarded": checkin.points, "streak": checkin.streak}


@router.post("/members/{int:member_id}/purchases", response={201: PurchaseOut},
             summary="Record a purchase from a POS: earns points and counts toward the tier")
@idempotent()
def purchase(request, member_id: int, payload: PurchaseIn):
    actor = request.auth
    require(actor, "points.adjust")
    get_member(actor, member_id)
    store = store_by_code(actor, payload.store_code) if payload.store_code else None
    entry = services.record_purchase(actor, member_id, payload.amount_fen, ref=payload.ref, source="api",
                                     occurred_at=payload.occurred_at, store_id=store.pk if store else None)
    account = selectors.account(member_id)
    return 201, {"points_awarded": entry.points if entry else 0, "balance": account.points_balance,
                 "tier": account.tier.code}


@router.get("/tiers", response=list[TierOut], summary="Tier ladder and benefits")
def tiers(request):
    require(request.auth, "loyalty.view")
    return list(selectors.tiers())


@router.post("/points/bulk-grants", response={202: BulkGrantOut}, summary="Grant points to many members")
@idempotent(required=True)
def bulk_grant(request, payload: BulkGrantIn):
    actor = request.auth
    require(actor, "points.bulk_grant")
    visible = set(members_visible_to(actor).filter(pk__in=payload.member_ids).values_list("pk", flat=True))
    missing = sorted(set(payload.member_ids) - visible)
    if missing:
        raise NotFound(f"Unknown members: {', '.join(map(str, missing[:20]))}", type="member-not-found",
                       missing=missing[:100])
    grant, created = services.create_bulk_grant(
        actor, idempotency_key=request.headers["Idempotency-Key"], points_each=payload.points,
        reason=payload.reason, member_ids=payload.member_ids)
    if created:
        tasks.run_bulk_grant.enqueue(grant.pk, actor.label)
    return 202, BulkGrantOut.model_validate(grant)


@router.get("/points/bulk-grants/{int:grant_id}", response=BulkGrantOut, summary="Progress of a bulk grant")
def bulk_grant_status(request, grant_id: int):
    require(request.auth, "points.bulk_grant")
    grant = BulkGrant.objects.filter(pk=grant_id).first() if 0 < grant_id < 2**63 else None
    if grant is None:
        raise NotFound(f"No bulk grant {grant_id}.")
    return grant

