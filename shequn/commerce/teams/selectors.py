"""Reads for team purchases: deals and teams a staff member may see, a team's seats and time left."""

import datetime as dt

from django.db.models import Count, Q, QuerySet

from shequn.core import clock
from shequn.core.actor import Actor

from .errors import TeamDealNotFound
from .models import Team, TeamDeal, TeamSeat


def deals_visible_to(actor: Actor) -> QuerySet[TeamDeal]:
    qs = TeamDeal.objects.select_related("sku__product", "store").annotate(
        teams_forming=Count("teams", filter=Q(teams__status=Team.Status.FORMING), distinct=True),
        teams_complete=Count("teams", filter=Q(teams__status=Team.Status.COMPLETE), distinct=True),
        teams_failed=Count("teams", filter=Q(teams__status=Team.Status.FAILED), distinct=True))
    if actor.scoped:
        qs = qs.filter(store_id__in=actor.store_ids)
    return qs


def get_deal(actor: Actor, deal_id: int) -> TeamDeal:
    deal = deals_visible_to(actor).filter(pk=deal_id).first() if 0 < deal_id < 2**63 else None
    if deal is None:
        raise TeamDealNotFound(f"No team purchase deal {deal_id}.")
    return deal


def open_deals(now: dt.datetime | None = None) -> QuerySet[TeamDeal]:
    """Deals a member can open a team in right now."""
    now = now or clock.now()
    return (TeamDeal.objects.select_related("sku__product", "store")
            .filter(status=TeamDeal.Status.ACTIVE, starts_at__lte=now, ends_at__gt=now).order_by("ends_at"))


def teams_of(deal: TeamDeal, status: str = "") -> QuerySet[Team]:
    qs = deal.teams.select_related("leader").order_by("-id")
    return qs.filter(status=status) if status else qs


def seats_of(team: Team) -> list[TeamSeat]:
    return list(team.seats.select_related("member", "order").order_by("id"))


def forming_teams(deal: TeamDeal, now: dt.datetime | None = None, exclude_member=None) -> QuerySet[Team]:
    """Teams with room a member could join (newest deadline last: the nearly done ones first)."""
    now = now or clock.now()
    qs = deal.teams.select_related("leader").filter(status=Team.Status.FORMING, expires_at__gt=now).order_by(
        "expires_at")
    if exclude_member is not None:
        qs = qs.exclude(seats__member=exclude_member, seats__status__in=TeamSeat.ACTIVE)
    return qs


def seconds_left(team: Team, now: dt.datetime | None = None) -> int:
    if team.status != Team.Status.FORMING:
        return 0
    return max(0, int((team.expires_at - (now or clock.now())).total_seconds()))


def member_seat(team: Team, member) -> TeamSeat | None:
    return (team.seats.select_related("order").filter(member=member).order_by("-id").first()
            if member is not None else None)


def share_path(team: Team) -> str:
    """参团链接: the member page friends open to join (its QR code carries the same path)."""
    from django.urls import reverse

    return reverse("h5:team", kwargs={"code": team.code})
