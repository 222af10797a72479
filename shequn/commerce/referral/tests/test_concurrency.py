"""PostgreSQL, real threads and connections: rewards are released once even when the job runs twice at
once; simultaneous withdrawals never overdraw; simultaneous sales accrue commission that sums."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import orders, payments
from shequn.commerce.referral import distribution, services
from shequn.commerce.referral.errors import AlreadyReferred, InsufficientCommission
from shequn.commerce.referral.models import Distributor, OrderCommission, Referral, ReferralReward, Withdrawal
from shequn.core.tests.threads import run_together
from shequn.loyalty import points
from shequn.loyalty.models import PointsEntry

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_release_job_run_twice_at_once_pays_every_referral_once(system_actor, make_member, store, buy):
    referrer = make_member(store=store, name="推荐达人")
    referrals = []
    for i in range(12):
        referee = make_member(store=store, name=f"新朋友{i}")
        referrals.append(services.attribute(system_actor, referee=referee, code=services.code_for(referrer).code))
        buy(referee)
    later = timezone.now() + dt.timedelta(days=8)

    results = run_together(4, lambda _: services.release_due(now=later))

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(results) == 12
    assert Referral.objects.filter(status="rewarded").count() == 12
    assert ReferralReward.objects.count() == 24
    assert PointsEntry.objects.filter(source="referral", member=referrer).count() == 12
    assert PointsEntry.objects.filter(source="referral").count() == 24
    assert points.check_ledgers() == []


def test_one_referee_attributed_from_many_referrers_at_once(system_actor, make_member, store):
    referee = make_member(store=store)
    codes = [services.code_for(make_member(store=store)).code for _ in range(10)]

    results = run_together(10, lambda i: services.attribute(system_actor, referee=referee, code=codes[i]))

    won = [r for r in results if isinstance(r, Referral)]
    assert len(won) == 1 and Referral.objects.count() == 1
    assert all(isinstance(r, AlreadyReferred) for r in results if r not in won), results


def test_20_withdrawals_of_the_whole_balance_only_one_succeeds(system_actor, make_member, store, buy):
    distributor = distribution.decide(system_actor, distribution.apply(
        system_actor, make_member(store=store)).pk, approve=True)
    buyer = make_member(store=store)
    order = buy(buyer, quantity=3, referrer=distributor.member)
    orders.verify_pickup(system_actor, code=order.pickup_code, store=store)
    orders.complete_due(now=timezone.now() + dt.timedelta(days=8))
    distributor.refresh_from_db()
    whole = distributor.available_fen
    assert whole == 3000
    actor = member_actor(distributor.member_id)

    results = run_together(20, lambda _: distribution.request_withdrawal(actor, distributor, whole))

    won = [r for r in results if isinstance(r, Withdrawal)]
    assert len(won) == 1
    assert all(isinstance(r, InsufficientCommission) for r in results if r not in won), results
    distributor.refresh_from_db()
    assert (distributor.available_fen, distributor.frozen_fen) == (0, whole)
    assert distribution.check_distribution() == []


def test_simultaneous_referred_sales_accrue_commission_that_sums(system_actor, make_member, store, buy, sku):
    top = distribution.decide(system_actor, distribution.apply(system_actor, make_member(store=store)).pk,
                              approve=True)
    direct = distribution.decide(system_actor, distribution.apply(system_actor, make_member(store=store),
                                                                  upline=top).pk, approve=True)
    buyers = [make_member(store=store, name=f"买家{i}") for i in range(20)]
    placed = [buy(b, referrer=direct.member, pay=False) for b in buyers]

    results = run_together(20, lambda i: payments.start_payment(system_actor, placed[i], "offline"))

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert OrderCommission.objects.filter(level=1).count() == 20
    assert Distributor.objects.get(pk=direct.pk).pending_fen == 20 * 1000
    assert Distributor.objects.get(pk=top.pk).pending_fen == 20 * 300
    assert distribution.check_distribution() == []


def test_refund_racing_the_release_is_either_void_or_rewarded(system_actor, make_member, store, buy):
    from shequn.commerce import refunds

    referrer = make_member(store=store)
    cases = []
    for _ in range(6):
        referee = make_member(store=store)
        referral = services.attribute(system_actor, referee=referee, code=services.code_for(referrer).code)
        cases.append((referral, buy(referee)))
    later = timezone.now() + dt.timedelta(days=8)

    def act(i):
        referral, order = cases[i // 2]
        if i % 2:
            return refunds.refund_order(system_actor, order, reason="退货")
        return services.release(system_actor, referral.pk, now=later)

    results = run_together(len(cases) * 2, act)

    assert not [r for r in results if isinstance(r, BaseException)], results
    for referral, _ in cases:
        referral.refresh_from_db()
        rewards = ReferralReward.objects.filter(referral=referral).count()
        assert (referral.status, rewards) in (("rewarded", 2), ("void", 0)), (referral.status, rewards)
    assert points.check_ledgers() == []
