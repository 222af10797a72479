"""拼团 services: deals, opening and joining teams, completing them when the last seat is paid, and failing
expired teams with every paid seat refunded exactly once.

Lock order (the same in every path, so no two transactions wait on each other in a circle):
stock level → team → buyer counter → seat. Opening and joining lock the deal's stock level first
because the order they place locks it anyway, and payment / cancellation / refund lock it before
firing the hooks that lock the team."""

import datetime as dt
import secrets

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from shequn.commerce import orders
from shequn.commerce.models import Order, Sku, StockLevel
from shequn.commerce.orders import REFUNDABLE
from shequn.commerce.refunds import refund_order
from shequn.core import audit, clock, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.inputs import aware_datetime, whole_number
from shequn.stores.models import Store

from .errors import (
    AlreadyInTeam,
    InvalidTeamDeal,
    TeamClosed,
    TeamDealClosed,
    TeamFull,
    TeamLimit,
    TeamNotFound,
)
from .models import Team, TeamBuyer, TeamDeal, TeamSeat

SEAT_PAY_WITHIN = dt.timedelta(minutes=15)
MAX_HOURS = 168
MAX_PER_MEMBER = 99
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FAILED_REASON = "拼团未成团，自动退款"


def _whole(value, field: str, low: int, high: int) -> int:
    return whole_number(value, field, low, high, InvalidTeamDeal)


def _aware(value, field: str) -> dt.datetime:
    return aware_datetime(value, field, InvalidTeamDeal)


def create_deal(actor: Actor, *, title: str, sku: Sku, store: Store, team_price_fen: int, team_size: int,
                hours: int, starts_at: dt.datetime, ends_at: dt.datetime, per_member_limit: int = 1) -> TeamDeal:
    """新建拼团活动. The team price must be below the list price; stock is drawn from `store`, where the
    members also pick up."""
    title = (title or "").strip()
    if not title or len(title) > 60:
        raise InvalidTeamDeal("A deal needs a title of at most 60 characters.", field="title")
    _whole(team_size, "team_size", 2, 50)
    _whole(hours, "hours", 1, MAX_HOURS)
    _whole(per_member_limit, "per_member_limit", 1, MAX_PER_MEMBER)
    _whole(team_price_fen, "team_price_fen", 1, 10**9)
    if not (sku.is_active and sku.product.is_active):
        raise InvalidTeamDeal(f"{sku.code} is not on sale.", field="sku")
    if team_price_fen >= sku.price_fen:
        raise InvalidTeamDeal(f"The team price must be below the list price ({sku.price_fen} fen).",
                              field="team_price_fen")
    if store.kind != Store.Kind.STORE or not store.is_active:
        raise InvalidTeamDeal(f"{store.name} is not an open store; team orders are picked up at a store.",
                              field="store_code")
    if _aware(ends_at, "ends_at") <= _aware(starts_at, "starts_at"):
        raise InvalidTeamDeal("The deal must end after it starts.", field="ends_at")
    with transaction.atomic():
        deal = TeamDeal.objects.create(title=title, sku=sku, store=store, team_price_fen=team_price_fen,
                                       team_size=team_size, hours=hours, starts_at=starts_at, ends_at=ends_at,
                                       per_member_limit=per_member_limit, created_by=actor.label[:150])
        audit.record(actor, "team_deal.created", deal, store_id=store.pk,
                     after={"sku": sku.code, "team_price_fen": team_price_fen, "team_size": team_size,
                            "hours": hours, "per_member_limit": per_member_limit})
        outbox.emit("team_deal.created", "team_deal", deal.pk, sku=sku.code, store_id=store.pk,
                     starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    return deal


def set_deal_status(actor: Actor, deal: TeamDeal, status: str) -> TeamDeal:
    """暂停/恢复: a paused deal takes no new teams or joins; teams already forming run to their deadline."""
    if status not in TeamDeal.Status.values:
        raise InvalidTeamDeal("status must be active or paused.", field="status")
    with transaction.atomic():
        deal = TeamDeal.objects.select_for_update().get(pk=deal.pk)
        if deal.status != status:
            before = deal.status
            deal.status = status
            deal.save(update_fields=["status"])
            audit.record(actor, "team_deal.status", deal, store_id=deal.store_id, before={"status": before},
                         after={"status": status})
    return deal


def _check_deal_open(deal: TeamDeal, now: dt.datetime) -> None:
    if deal.status != TeamDeal.Status.ACTIVE:
        raise TeamDealClosed(f"「{deal.title}」 is paused.")
    if now < deal.starts_at:
        raise TeamDealClosed(f"「{deal.title}」 starts at {timezone.localtime(deal.starts_at):%Y-%m-%d %H:%M}.",
                             starts_at=deal.starts_at.isoformat())
    if now >= deal.ends_at:
        raise TeamDealClosed(f"「{deal.title}」 has ended.")


def _lock_stock(deal: TeamDeal) -> None:
    list(StockLevel.objects.select_for_update().filter(sku_id=deal.sku_id, store_id=deal.store_id))


def _take_units(deal: TeamDeal, member, quantity: int) -> None:
    buyer, _ = TeamBuyer.objects.get_or_create(deal=deal, member=member)
    if not TeamBuyer.objects.filter(pk=buyer.pk, units__lte=deal.per_member_limit - quantity).update(
            units=F("units") + quantity):
        raise TeamLimit(f"At most {deal.per_member_limit} per member in 「{deal.title}」.",
                        limit=deal.per_member_limit)


def _give_back_units(seat: TeamSeat, deal_id: int) -> None:
    TeamBuyer.objects.filter(deal_id=deal_id, member_id=seat.member_id, units__gte=seat.quantity).update(
        units=F("units") - seat.quantity)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


def _place_seat(actor: Actor, team: Team, deal: TeamDeal, member, quantity: int, now: dt.datetime) -> TeamSeat:
    order = orders.place_order(
        actor, member=member, items=[{"sku": deal.sku.code, "quantity": quantity}], fulfilment="pickup",
        store=deal.store, channel="team", channel_ref=team.code, unit_prices={deal.sku.code: deal.team_price_fen},
        pay_within=min(SEAT_PAY_WITHIN, team.expires_at - now))
    return TeamSeat.objects.create(team=team, member=member, order=order, quantity=quantity)


def open_team(actor: Actor, deal: TeamDeal, member, *, quantity: int = 1, now: dt.datetime | None = None) -> TeamSeat:
    """开团: the member opens a team, places their order at the team price and takes seat 1."""
    now = now or clock.now()
    _whole(quantity, "quantity", 1, deal.per_member_limit)
    _check_deal_open(deal, now)
    with transaction.atomic():
        _lock_stock(deal)
        _take_units(deal, member, quantity)
        team = Team.objects.create(deal=deal, code=_new_code(), leader=member, size=deal.team_size, seats_taken=1,
                                   opened_at=now, expires_at=now + dt.timedelta(hours=deal.hours))
        seat = _place_seat(actor, team, deal, member, quantity, now)
        audit.record(actor, "team.opened", team, store_id=deal.store_id,
                     after={"deal_id": deal.pk, "code": team.code, "member_id": member.pk,
                            "order_no": seat.order.order_no})
        outbox.emit("team.opened", "team", team.pk, code=team.code, deal_id=deal.pk, member_id=member.pk,
                    expires_at=team.expires_at.isoformat())
    return seat


def team_by_code(code: str) -> Team:
    team = Team.objects.select_related("deal__sku__product", "deal__store", "leader").filter(
        code=(code or "").strip().upper()).first()
    if team is None:
        raise TeamNotFound(f"No team with code {code}.")
    return team


def join_team(actor: Actor, team: Team, member, *, quantity: int = 1, now: dt.datetime | None = None) -> TeamSeat:
    """参团: take the next seat (never more than the team size), and place the order at the team price."""
    now = now or clock.now()
    deal = team.deal
    _whole(quantity, "quantity", 1, deal.per_member_limit)
    if deal.status != TeamDeal.Status.ACTIVE:
        raise TeamDealClosed(f"「{deal.title}」 is paused.")
    with transaction.atomic():
        _lock_stock(deal)
        taken = (Team.objects.filter(pk=team.pk, status=Team.Status.FORMING, expires_at__gt=now,
                                     seats_taken__lt=F("size"))
                 .update(seats_taken=F("seats_taken") + 1))
        if not taken:
            team.refresh_from_db()
            if team.status != Team.Status.FORMING or team.expires_at <= now:
                raise TeamClosed(f"Team {team.code} is {team.get_status_display()}; open a new team instead.",
                                 status_now=team.status)
            raise TeamFull(f"Team {team.code} already has {team.size} members; open a new team instead.")
        if TeamSeat.objects.filter(team=team, member=member, status__in=TeamSeat.ACTIVE).exists():
            raise AlreadyInTeam("You are already in this team; share the link with a friend instead.")
        _take_units(deal, member, quantity)
        seat = _place_seat(actor, team, deal, member, quantity, now)
        audit.record(actor, "team.joined", team, store_id=deal.store_id,
                     after={"member_id": member.pk, "seat_id": seat.pk, "order_no": seat.order.order_no})
    return seat


# Order hooks: they run inside the order's transaction, which holds the order row and its stock level.


def _seat_and_team(order: Order) -> tuple[TeamSeat, Team] | None:
    if order.channel != "team":
        return None
    row = TeamSeat.objects.filter(order_id=order.pk).values_list("pk", "team_id").first()
    if row is None:
        return None
    team = Team.objects.select_for_update().get(pk=row[1])
    return TeamSeat.objects.select_for_update().get(pk=row[0]), team


def on_order_paid(order: Order) -> None:
    """The seat is paid; when it is the last one the team completes and every seat is confirmed."""
    found = _seat_and_team(order)
    if found is None:
        return
    seat, team = found
    if seat.status != TeamSeat.Status.HELD:
        return
    seat.status = TeamSeat.Status.PAID
    seat.save(update_fields=["status", "updated_at"])
    if team.status == Team.Status.FORMING and team.seats.filter(status=TeamSeat.Status.PAID).count() >= team.size:
        _complete(team)


def _complete(team: Team) -> None:
    now = clock.now()
    team.status, team.completed_at = Team.Status.COMPLETE, now
    team.save(update_fields=["status", "completed_at"])
    seats = list(team.seats.filter(status=TeamSeat.Status.PAID).select_related("order"))
    team.seats.filter(status=TeamSeat.Status.PAID).update(status=TeamSeat.Status.CONFIRMED, updated_at=now)
    deal = TeamDeal.objects.get(pk=team.deal_id)
    audit.record(SYSTEM, "team.completed", team, store_id=deal.store_id,
                 after={"code": team.code, "orders": [s.order.order_no for s in seats]})
    outbox.emit("team.completed", "team", team.pk, code=team.code, deal_id=team.deal_id,
                member_ids=[s.member_id for s in seats], order_nos=[s.order.order_no for s in seats])


def on_order_cancelled(order: Order) -> None:
    """An unpaid seat whose order was cancelled frees its place (and the member's units)."""
    found = _seat_and_team(order)
    if found is None:
        return
    seat, team = found
    if seat.status != TeamSeat.Status.HELD:
        return
    _leave(seat, team, TeamSeat.Status.RELEASED)


def on_order_refunded(order: Order, refund=None) -> None:
    """A fully refunded seat leaves its team (a failed team's refunds, or a refund after completion)."""
    if order.status != Order.Status.REFUNDED:
        return
    found = _seat_and_team(order)
    if found is None:
        return
    seat, team = found
    if seat.status not in (TeamSeat.Status.PAID, TeamSeat.Status.CONFIRMED):
        return
    seat.refund_no = refund.refund_no if refund is not None else ""
    _leave(seat, team, TeamSeat.Status.REFUNDED)


def _leave(seat: TeamSeat, team: Team, status: str) -> None:
    seat.status = status
    seat.save(update_fields=["status", "refund_no", "updated_at"])
    if team.status == Team.Status.FORMING:
        Team.objects.filter(pk=team.pk, seats_taken__gt=0).update(seats_taken=F("seats_taken") - 1)
    _give_back_units(seat, team.deal_id)


# The expiry job


def fail_expired(now: dt.datetime | None = None, limit: int = 500) -> int:
    """Teams past their deadline that are still forming become failed (未成团)."""
    now = now or clock.now()
    ids = list(Team.objects.filter(status=Team.Status.FORMING, expires_at__lte=now)
               .order_by("expires_at").values_list("pk", flat=True)[:limit])
    failed = 0
    for team_id in ids:
        with transaction.atomic():
            if not Team.objects.filter(pk=team_id, status=Team.Status.FORMING, expires_at__lte=now).update(
                    status=Team.Status.FAILED, failed_at=now):
                continue
            team = Team.objects.select_related("deal").get(pk=team_id)
            audit.record(SYSTEM, "team.failed", team, store_id=team.deal.store_id,
                         after={"code": team.code, "seats_taken": team.seats_taken})
            outbox.emit("team.failed", "team", team.pk, code=team.code, deal_id=team.deal_id)
            failed += 1
    return failed


def settle_seat(seat_id: int) -> str:
    """Refund (paid) or cancel (unpaid) one seat of a failed team, in its own transaction.

    Every change to a seat happens under its order's row lock, so the order lock taken here (skipping an
    order another worker holds) makes the seat's status final for this transaction: a second worker
    either skips it or finds it already settled. Returns what was done."""
    seat = TeamSeat.objects.select_related("team").filter(pk=seat_id).first()
    if seat is None or seat.team.status != Team.Status.FAILED:
        return "skipped"
    with transaction.atomic():
        order = Order.objects.select_for_update(skip_locked=True).filter(pk=seat.order_id).first()
        if order is None:
            return "busy"
        seat.refresh_from_db()
        if seat.status == TeamSeat.Status.PAID and order.status in REFUNDABLE:
            refund_order(SYSTEM, order, reason=FAILED_REASON, refund_no=f"team-{seat.team_id}-{seat.pk}")
            return "refunded"
        if seat.status == TeamSeat.Status.HELD and order.status == Order.Status.PENDING_PAYMENT:
            orders.cancel_order(SYSTEM, order, reason="拼团未成团")
            return "cancelled"
        if seat.status == TeamSeat.Status.HELD:  # the order went away without its hook (cannot normally happen)
            _leave(seat, Team.objects.select_for_update().get(pk=seat.team_id), TeamSeat.Status.RELEASED)
            return "released"
    return "skipped"


def expire_teams(now: dt.datetime | None = None, limit: int = 500) -> dict:
    """到期未成团: fail the expired teams, then refund every paid seat and cancel every unpaid one.

    Safe to run again or from two workers at once: whatever a run leaves (a crash, its limit) the next run
    picks up, and no seat is ever refunded twice (seat status under the order lock, refund_no unique)."""
    failed = fail_expired(now, limit)
    seat_ids = list(TeamSeat.objects.filter(team__status=Team.Status.FAILED,
                                            status__in=[TeamSeat.Status.HELD, TeamSeat.Status.PAID])
                    .order_by("pk").values_list("pk", flat=True)[:limit])
    done: dict[str, int] = {"failed": failed}
    for seat_id in seat_ids:
        result = settle_seat(seat_id)
        done[result] = done.get(result, 0) + 1
    return done


def check_teams(fix: bool = False) -> list[dict]:
    """Recompute each forming team's seats_taken and each buyer's units from the seats; returns mismatches."""
    problems = []
    active = TeamSeat.ACTIVE
    for team in Team.objects.filter(status=Team.Status.FORMING).iterator():
        count = team.seats.filter(status__in=active).count()
        if count != team.seats_taken:
            problems.append({"team": team.code, "seats_taken": team.seats_taken, "seats": count})
            if fix:
                Team.objects.filter(pk=team.pk).update(seats_taken=count)
    for buyer in TeamBuyer.objects.iterator():
        units = (TeamSeat.objects.filter(team__deal_id=buyer.deal_id, member_id=buyer.member_id, status__in=active)
                 .aggregate(n=Sum("quantity"))["n"] or 0)
        if units != buyer.units:
            problems.append({"deal": buyer.deal_id, "member": buyer.member_id, "units": buyer.units,
                             "seats": units})
            if fix:
                TeamBuyer.objects.filter(pk=buyer.pk).update(units=units)
    return problems
