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


# -- tiers and points rules (等级与积分规则) ---------------------------------------------------------

class TierConfigOut(TierOut):
    birthday_points: int


class TierPatch(Schema):
    """Only the fields sent change; null clears a threshold (min_spend_fen is in fen)."""

    model_config = {"extra": "forbid"}

    name: str | None = None
    min_spend_fen: int | None = None
    min_orders: int | None = None
    min_growth: int | None = None
    discount_permille: int | None = None
    points_multiplier_pct: int | None = None
    birthday_gift: str | None = None
    birthday_points: int | None = None
    exclusive_service: bool | None = None


class ProgramOut(Schema):
    points_per_yuan: int
    expiry_policy: str
    expiry_days: int
    checkin_points: int
    checkin_streak_bonus: dict[str, int]
    share_points: int
    share_daily_cap: int
    member_day_weekday: int | None
    member_day_of_month: int | None
    member_day_multiplier_pct: int
    birthday_month_multiplier_pct: int
    growth_per_yuan: int
    tier_window_days: int
    downgrade_grace_days: int
    points_per_yuan_offset: int
    offset_cap_pct: int


class ProgramPatch(Schema):
    """Only the fields sent change. expiry_policy: end_of_next_year, rolling_days or never;
    member_day_weekday 0 = Monday, null for none; checkin_streak_bonus {"3": 5, "7": 20}."""

    model_config = {"extra": "forbid"}

    points_per_yuan: int | None = None
    expiry_policy: str | None = None
    expiry_days: int | None = None
    checkin_points: int | None = None
    checkin_streak_bonus: dict[str, int] | None = None
    share_points: int | None = None
    share_daily_cap: int | None = None
    member_day_weekday: int | None = None
    member_day_of_month: int | None = None
    member_day_multiplier_pct: int | None = None
    birthday_month_multiplier_pct: int | None = None
    growth_per_yuan: int | None = None
    tier_window_days: int | None = None
    downgrade_grace_days: int | None = None
    points_per_yuan_offset: int | None = None
    offset_cap_pct: int | None = None


@router.patch("/tiers/{code}", response=TierConfigOut, summary="Change a tier's name, thresholds or benefits")
@idempotent()
def patch_tier(request, code: str, payload: TierPatch):
    actor = request.auth
    require(actor, "loyalty.configure")
    tier = services.update_tier(actor, code, **payload.model_dump(exclude_unset=True))
    return TierConfigOut.model_validate(tier)


@router.get("/loyalty/program", response=ProgramOut, summary="Points rules (积分规则)")
def get_program(request):
    require(request.auth, "loyalty.view")
    return ProgramOut.model_validate(services.program())


@router.patch("/loyalty/program", response=ProgramOut, summary="Change the points rules")
@idempotent()
def patch_program(request, payload: ProgramPatch):
    actor = request.auth
    require(actor, "loyalty.configure")
    services.update_program(actor, **payload.model_dump(exclude_unset=True))
    return ProgramOut.model_validate(services.program())
