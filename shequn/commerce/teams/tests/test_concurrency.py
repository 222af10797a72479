"""PostgreSQL, real threads and connections: a team never takes more members than its size, and an expired
team's members are each refunded exactly once even when two expiry jobs run at the same moment."""

import datetime as dt

import pytest

from shequn.commerce import payments, stock
from shequn.commerce.models import Order, Refund, StockLevel
from shequn.commerce.teams import services
from shequn.commerce.teams.errors import TeamFull
from shequn.commerce.teams.models import Team, TeamSeat
from shequn.core.tests.threads import run_together
from shequn.loyalty import points
from shequn.loyalty.models import LoyaltyAccount
from shequn.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_team_of_5_with_20_simultaneous_joiners(system_actor, make_deal, make_member, store):
    deal = make_deal(team_size=5)
    leader = make_member(store=store)
    team = services.open_team(system_actor, deal, leader).team
    joiners = [make_member(store=store, name=f"参团{i}") for i in range(20)]

    def join(i: int):
        member = Member.objects.get(pk=joiners[i].pk)
        return services.join_team(system_actor, Team.objects.select_related("deal__sku", "deal__store")
                                  .get(pk=team.pk), member)

    results = run_together(20, join)
    seats = [r for r in results if isinstance(r, TeamSeat)]
    refused = [r for r in results if not isinstance(r, TeamSeat)]
    assert len(seats) == 4 and all(isinstance(e, TeamFull) for e in refused), refused[:3]
    team.refresh_from_db()
    assert team.seats_taken == 5 and team.seats.count() == 5
    assert Order.objects.filter(channel="team", channel_ref=team.code).count() == 5
    level = StockLevel.objects.get(sku=deal.sku, store=store)
    assert (level.on_hand, level.reserved) == (30, 5)
    assert stock.check_stock() == [] and services.check_teams() == []


def test_expired_team_refunded_once_when_two_jobs_run_at_once(system_actor, make_deal, make_member, store):
    deal = make_deal(team_size=5)
    members = [make_member(store=store, name=f"团员{i}") for i in range(4)]
    team = services.open_team(system_actor, deal, members[0]).team
    seats = [team.seats.get()] + [services.join_team(system_actor, team, m) for m in members[1:]]
    balances = {m.pk: LoyaltyAccount.objects.get(member_id=m.pk).points_balance for m in members}
    for seat in seats[:3]:
        payments.start_payment(system_actor, seat.order, "offline")
    assert all(LoyaltyAccount.objects.get(member_id=m.pk).points_balance > balances[m.pk] for m in members[:3])
    later = team.expires_at + dt.timedelta(minutes=1)

    results = run_together(2, lambda i: services.expire_teams(now=later))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.get("refunded", 0) for r in results) == 3
    assert sum(r.get("cancelled", 0) for r in results) == 1
    assert services.expire_teams(now=later) == {"failed": 0}

    team.refresh_from_db()
    assert team.status == Team.Status.FAILED
    for seat in seats[:3]:
        order = Order.objects.get(pk=seat.order_id)
        assert Refund.objects.filter(order=order).count() == 1
        assert order.status == Order.Status.REFUNDED and order.refunded_fen == order.paid_fen
    assert Order.objects.get(pk=seats[3].order_id).status == Order.Status.CANCELLED
    assert list(team.seats.order_by("id").values_list("status", flat=True)) == ["refunded"] * 3 + ["released"]
    level = StockLevel.objects.get(sku=deal.sku, store=store)
    assert (level.on_hand, level.reserved) == (30, 0)
    assert stock.check_stock() == [] and services.check_teams() == []
    after = {m.pk: LoyaltyAccount.objects.get(member_id=m.pk).points_balance for m in members}
    assert after == balances  # purchase points taken back once each
    assert points.check_ledgers() == []


def test_a_dead_worker_then_a_rerun_refunds_everyone_once(system_actor, make_deal, make_member, store):
    deal = make_deal(team_size=5)
    members = [make_member(store=store) for _ in range(4)]
    team = services.open_team(system_actor, deal, members[0]).team
    seats = [team.seats.get()] + [services.join_team(system_actor, team, m) for m in members[1:]]
    for seat in seats:
        payments.start_payment(system_actor, seat.order, "offline")
    later = team.expires_at + dt.timedelta(minutes=1)
    assert services.expire_teams(now=later, limit=1) == {"failed": 1, "refunded": 1}  # the worker stops here
    results = run_together(2, lambda i: services.expire_teams(now=later))
    assert sum(r.get("refunded", 0) for r in results) == 3
    assert Refund.objects.count() == 4
    assert Refund.objects.values("order").distinct().count() == 4


def test_last_seats_paid_at_once_complete_the_team_once(system_actor, make_deal, make_member, store):
    from shequn.core.models import OutboxEvent

    deal = make_deal(team_size=5)
    members = [make_member(store=store) for _ in range(5)]
    team = services.open_team(system_actor, deal, members[0]).team
    seats = [team.seats.get()] + [services.join_team(system_actor, team, m) for m in members[1:]]

    results = run_together(5, lambda i: payments.start_payment(system_actor, Order.objects.get(pk=seats[i].order_id),
                                                               "offline"))
    assert not [r for r in results if isinstance(r, BaseException)], results
    team.refresh_from_db()
    assert team.status == Team.Status.COMPLETE
    assert set(team.seats.values_list("status", flat=True)) == {"confirmed"}
    assert OutboxEvent.objects.filter(topic="team.completed", aggregate_id=str(team.pk)).count() == 1


def test_joins_and_cancellations_at_once_keep_the_count(system_actor, make_deal, make_member, store):
    from shequn.commerce import orders

    deal = make_deal(team_size=10)
    team = services.open_team(system_actor, deal, make_member(store=store)).team
    leaving = [services.join_team(system_actor, team, make_member(store=store)) for _ in range(6)]
    joiners = [make_member(store=store) for _ in range(14)]

    def act(i: int):
        if i < len(leaving):
            return orders.cancel_order(system_actor, Order.objects.get(pk=leaving[i].order_id), reason="不要了")
        return services.join_team(system_actor, Team.objects.get(pk=team.pk), joiners[i - len(leaving)])

    results = run_together(20, act)
    assert all(isinstance(r, (Order, TeamSeat, TeamFull)) for r in results), [r for r in results
                                                                              if isinstance(r, BaseException)][:3]
    team.refresh_from_db()
    active = team.seats.filter(status__in=TeamSeat.ACTIVE).count()
    assert team.seats_taken == active <= 10
    assert stock.check_stock() == [] and services.check_teams() == []
