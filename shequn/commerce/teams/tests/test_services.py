import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import orders, payments, refunds, stock
from shequn.commerce.models import Order, Refund, StockLevel
from shequn.commerce.teams import services
from shequn.commerce.teams.errors import (
    AlreadyInTeam,
    InvalidTeamDeal,
    TeamClosed,
    TeamDealClosed,
    TeamFull,
    TeamLimit,
)
from shequn.commerce.teams.models import Team, TeamBuyer, TeamDeal, TeamSeat
from shequn.core.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _pay(actor, seat):
    payments.start_payment(actor, seat.order, "offline")
    seat.refresh_from_db()
    return seat


def _level(deal):
    return StockLevel.objects.get(sku=deal.sku, store=deal.store)


def test_open_places_the_order_at_the_team_price(system_actor, deal, members):
    seat = services.open_team(system_actor, deal, members[0])
    team = seat.team
    assert (team.status, team.seats_taken, team.size, team.leader_id) == ("forming", 1, 3, members[0].pk)
    assert team.expires_at - team.opened_at == dt.timedelta(hours=24)
    order = seat.order
    assert (order.channel, order.channel_ref, order.total_fen) == ("team", team.code, 3990)
    assert order.expires_at <= timezone.now() + dt.timedelta(minutes=15)
    assert seat.status == TeamSeat.Status.HELD
    assert _level(deal).reserved == 1


def test_last_paid_seat_completes_the_team(system_actor, deal, members):
    seats = [services.open_team(system_actor, deal, members[0])]
    team = seats[0].team
    seats += [services.join_team(system_actor, team, m) for m in members[1:3]]
    team.refresh_from_db()
    assert team.seats_taken == 3
    for seat in seats[:2]:
        _pay(system_actor, seat)
    team.refresh_from_db()
    assert team.status == "forming"
    assert [s.status for s in team.seats.all()] == ["paid", "paid", "held"]
    _pay(system_actor, seats[2])
    team.refresh_from_db()
    assert team.status == Team.Status.COMPLETE and team.completed_at
    assert set(team.seats.values_list("status", flat=True)) == {"confirmed"}
    event = OutboxEvent.objects.get(topic="team.completed")
    assert sorted(event.payload["member_ids"]) == sorted(m.pk for m in members[:3])


def test_no_fourth_seat_and_no_second_seat_for_a_member(system_actor, deal, members):
    team = services.open_team(system_actor, deal, members[0]).team
    with pytest.raises(AlreadyInTeam):
        services.join_team(system_actor, team, members[0])
    services.join_team(system_actor, team, members[1])
    services.join_team(system_actor, team, members[2])
    with pytest.raises(TeamFull) as err:
        services.join_team(system_actor, team, members[3])
    assert err.value.type == "team-full"
    team.refresh_from_db()
    assert team.seats_taken == 3 and team.seats.count() == 3
    assert Order.objects.filter(channel="team").count() == 3


def test_cancelled_unpaid_seat_frees_the_place(system_actor, deal, members):
    team = services.open_team(system_actor, deal, members[0]).team
    seat = services.join_team(system_actor, team, members[1])
    orders.cancel_order(system_actor, seat.order, reason="不要了")
    seat.refresh_from_db()
    team.refresh_from_db()
    assert seat.status == TeamSeat.Status.RELEASED and team.seats_taken == 1
    assert TeamBuyer.objects.get(deal=deal, member=members[1]).units == 0
    again = services.join_team(system_actor, team, members[1])  # may come back
    assert again.status == TeamSeat.Status.HELD
    assert services.check_teams() == []


def test_per_member_limit_spans_teams(system_actor, deal, members):
    services.open_team(system_actor, deal, members[0], quantity=2)
    with pytest.raises(TeamLimit):
        services.open_team(system_actor, deal, members[0])
    other = services.open_team(system_actor, deal, members[1]).team
    with pytest.raises(TeamLimit):
        services.join_team(system_actor, other, members[0])
    assert Team.objects.count() == 2 and Order.objects.count() == 2


def test_closed_or_paused_deal_refuses(system_actor, make_deal, members):
    later = make_deal(starts_at=timezone.now() + dt.timedelta(hours=1))
    with pytest.raises(TeamDealClosed):
        services.open_team(system_actor, later, members[0])
    deal = make_deal()
    team = services.open_team(system_actor, deal, members[0]).team
    services.set_deal_status(system_actor, deal, TeamDeal.Status.PAUSED)
    team.refresh_from_db()
    with pytest.raises(TeamDealClosed):
        services.join_team(system_actor, team, members[1])
    with pytest.raises(TeamDealClosed):
        services.open_team(system_actor, team.deal, members[1])


def test_expired_team_cannot_be_joined(system_actor, deal, members):
    team = services.open_team(system_actor, deal, members[0]).team
    with pytest.raises(TeamClosed):
        services.join_team(system_actor, team, members[1], now=team.expires_at + dt.timedelta(seconds=1))


@pytest.mark.parametrize("field, value", [
    ("team_size", 1), ("team_size", 51), ("hours", 0), ("team_price_fen", 5990), ("team_price_fen", 0),
    ("per_member_limit", 0), ("title", ""), ("ends_at", timezone.now() - dt.timedelta(days=9)),
    ("starts_at", dt.datetime(2026, 1, 1)),
])
def test_bad_deals_are_refused(make_deal, field, value):
    with pytest.raises(InvalidTeamDeal) as err:
        make_deal(**{field: value})
    assert err.value.extra["field"] == field
    assert not TeamDeal.objects.exists()


def test_deal_needs_a_store_not_a_warehouse(make_deal):
    from shequn.commerce.stock import default_location

    with pytest.raises(InvalidTeamDeal):
        make_deal(store=default_location())


def _expired_team(actor, deal, members, paid=2, held=1):
    team = services.open_team(actor, deal, members[0]).team
    seats = [team.seats.get()] + [services.join_team(actor, team, m) for m in members[1:paid + held]]
    for seat in seats[:paid]:
        _pay(actor, seat)
    return team, seats


def test_expiry_refunds_paid_seats_and_cancels_unpaid_once(system_actor, deal, members):
    team, seats = _expired_team(system_actor, deal, members)
    later = team.expires_at + dt.timedelta(minutes=1)
    assert services.expire_teams(now=later) == {"failed": 1, "refunded": 2, "cancelled": 1}
    team.refresh_from_db()
    assert team.status == Team.Status.FAILED
    assert [s.status for s in team.seats.order_by("id")] == ["refunded", "refunded", "released"]
    for seat in seats[:2]:
        seat.order.refresh_from_db()
        assert seat.order.status == Order.Status.REFUNDED and seat.order.refunded_fen == seat.order.paid_fen
        refund = Refund.objects.get(order=seat.order)
        assert refund.refund_no == f"team-{team.pk}-{seat.pk}"
    seats[2].order.refresh_from_db()
    assert seats[2].order.status == Order.Status.CANCELLED
    level = _level(deal)
    assert (level.on_hand, level.reserved) == (30, 0)
    assert services.expire_teams(now=later) == {"failed": 0}
    assert Refund.objects.count() == 2
    assert stock.check_stock() == [] and services.check_teams() == []
    assert TeamBuyer.objects.filter(units__gt=0).count() == 0


def test_a_run_that_stops_midway_is_finished_by_the_next(system_actor, deal, members, monkeypatch):
    team, seats = _expired_team(system_actor, deal, members, paid=3, held=0)
    Team.objects.filter(pk=team.pk).update(status="forming")  # completed by the third payment; make it expire
    TeamSeat.objects.filter(team=team).update(status="paid")
    later = team.expires_at + dt.timedelta(minutes=1)
    real = services.settle_seat
    calls = []

    def dies_after_first(seat_id):
        if calls:
            raise RuntimeError("worker died")
        calls.append(seat_id)
        return real(seat_id)

    monkeypatch.setattr(services, "settle_seat", dies_after_first)
    with pytest.raises(RuntimeError):
        services.expire_teams(now=later)
    assert Refund.objects.count() == 1
    monkeypatch.setattr(services, "settle_seat", real)
    assert services.expire_teams(now=later, limit=1) == {"failed": 0, "refunded": 1}
    assert services.expire_teams(now=later) == {"failed": 0, "refunded": 1}
    assert Refund.objects.count() == 3
    assert sorted(Refund.objects.values_list("refund_no", flat=True)) == sorted(
        f"team-{team.pk}-{s.pk}" for s in seats)


def test_payment_after_failure_is_refunded_by_the_next_run(system_actor, deal, members):
    team = services.open_team(system_actor, deal, members[0]).team
    seat = team.seats.get()
    Team.objects.filter(pk=team.pk).update(status="failed")  # the job failed it, but had not reached the seat
    _pay(system_actor, seat)
    assert seat.status == TeamSeat.Status.PAID
    services.expire_teams()
    seat.refresh_from_db()
    assert seat.status == TeamSeat.Status.REFUNDED and seat.refund_no == f"team-{team.pk}-{seat.pk}"


def test_refund_after_completion_keeps_the_team_complete(system_actor, deal, members):
    team, seats = _expired_team(system_actor, deal, members, paid=3, held=0)
    team.refresh_from_db()
    assert team.status == "complete"
    refunds.refund_order(system_actor, seats[1].order, reason="质量问题")
    seats[1].refresh_from_db()
    team.refresh_from_db()
    assert seats[1].status == TeamSeat.Status.REFUNDED and team.status == "complete"


def test_the_expiry_job_is_scheduled_every_minute(system_actor, deal, members):
    from shequn.commerce.teams import tasks
    from shequn.core.scheduler import _registry

    assert _registry["teams.expire_teams"].every == dt.timedelta(minutes=1)
    team = services.open_team(system_actor, deal, members[0]).team
    Team.objects.filter(pk=team.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert tasks.expire_teams.call() == {"failed": 1, "cancelled": 1}
