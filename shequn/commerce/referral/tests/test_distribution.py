import datetime as dt

import pytest
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import catalog, orders, refunds, stock
from shequn.commerce.referral import distribution, services
from shequn.commerce.referral.errors import (
    DistributorStateConflict,
    InsufficientCommission,
    InvalidCommissionRates,
    InvalidWithdrawal,
    PyramidSellingRefused,
    WithdrawalStateConflict,
)
from shequn.commerce.referral.models import CommissionEntry, Distributor, OrderCommission, Withdrawal
from shequn.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


def _approved(system_actor, member, upline=None):
    applied = distribution.apply(member_actor(member.pk), member, upline=upline)
    return distribution.decide(system_actor, applied.pk, approve=True)


def _fresh(d):
    return Distributor.objects.get(pk=d.pk)


def _buckets(d):
    d = _fresh(d)
    return d.pending_fen, d.available_fen, d.frozen_fen, d.withdrawn_fen


def _complete(system_actor, store, order):
    orders.verify_pickup(system_actor, code=order.pickup_code, store=store)
    orders.complete_due(now=timezone.now() + dt.timedelta(days=8))


@pytest.fixture
def team(system_actor, make_member, store):
    """An upline distributor (level 2) and the distributor they recruited (level 1)."""
    top = _approved(system_actor, make_member(store=store, name="上线"))
    direct = _approved(system_actor, make_member(store=store, name="分销员"), upline=top)
    return top, direct


@pytest.mark.parametrize("rates", [[100, 30, 10], [50, 20, 10, 5]])
def test_a_third_level_is_refused_as_pyramid_selling(system_actor, rates, sku):
    with pytest.raises(PyramidSellingRefused) as err:
        distribution.configure(system_actor, level_rates_permille=rates)
    assert "传销" in err.value.detail and err.value.type == "pyramid-selling-refused"
    with pytest.raises(PyramidSellingRefused):
        distribution.configure(system_actor, level_rates_permille=rates, sku=sku)
    assert distribution.settings_row().level_rates_permille == [100, 30]


@pytest.mark.parametrize("rates", [[], [-1], [100, 501], [400, 200], ["10"], [True], "100"])
def test_bad_rates_are_refused(system_actor, rates):
    with pytest.raises(InvalidCommissionRates):
        distribution.configure(system_actor, level_rates_permille=rates)


def test_configure_needs_the_commission_permission(member):
    with pytest.raises(PermissionDenied):
        distribution.configure(member_actor(member.pk), level_rates_permille=[10])


def test_apply_and_decide(system_actor, make_member, store):
    member = make_member(store=store)
    applied = distribution.apply(member_actor(member.pk), member)
    assert applied.status == "applied"
    assert distribution.apply(member_actor(member.pk), member).pk == applied.pk
    with pytest.raises(PermissionDenied):
        distribution.apply(member_actor(member.pk + 1), member)
    rejected = distribution.decide(system_actor, applied.pk, approve=False, note="资料不全")
    assert rejected.status == "rejected"
    with pytest.raises(DistributorStateConflict):
        distribution.decide(system_actor, applied.pk, approve=True)
    again = distribution.apply(member_actor(member.pk), member)
    assert again.pk == applied.pk and again.status == "applied"


def test_upline_defaults_to_the_referrer_when_a_distributor(system_actor, make_member, store, team):
    top, _ = team
    recruit = make_member(store=store)
    services.attribute(system_actor, referee=recruit, code=services.code_for(top.member).code)
    assert distribution.apply(member_actor(recruit.pk), recruit).upline == top
    with pytest.raises(DistributorStateConflict):
        distribution.apply(member_actor(top.member_id), top.member, upline=top)


def test_commission_two_levels_pending_then_available(system_actor, store, member, team, buy):
    top, direct = team
    order = buy(member, quantity=2, referrer=direct.member)  # ¥200 paid
    assert _buckets(direct) == (2000, 0, 0, 0)  # 100‰
    assert _buckets(top) == (600, 0, 0, 0)  # 30‰
    _complete(system_actor, store, order)
    assert _buckets(direct) == (0, 2000, 0, 0) and _buckets(top) == (0, 600, 0, 0)
    assert set(OrderCommission.objects.values_list("status", flat=True)) == {"available"}
    assert distribution.check_distribution() == []


def test_no_commission_without_an_approved_distributor(system_actor, member, make_member, store, buy):
    plain = make_member(store=store)
    buy(member, referrer=plain)
    applied = distribution.apply(member_actor(plain.pk), plain)
    buy(member, referrer=plain)
    assert not OrderCommission.objects.exists() and _buckets(applied) == (0, 0, 0, 0)


def test_unpaid_orders_earn_nothing(system_actor, member, team, buy):
    buy(member, referrer=team[1].member, pay=False)
    assert not OrderCommission.objects.exists()


def test_sku_and_category_rules(system_actor, store, member, team, buy, sku):
    _, direct = team
    distribution.configure(system_actor, level_rates_permille=[200], category=sku.product.category)
    special = catalog.create_product(system_actor, name="有机鸡蛋", skus=[{"code": "EGG-6", "price_fen": 5000}]
                                     ).skus.get()
    stock.receive(system_actor, special, store, 10)
    distribution.configure(system_actor, level_rates_permille=[10, 5], sku=special)
    buy(member, referrer=direct.member)  # ¥100 at 200‰, and no level 2 for the category rule
    buy(member, referrer=direct.member, code="EGG-6")  # ¥50 at 10‰ / 5‰
    assert _buckets(direct)[0] == 2000 + 50
    assert _buckets(team[0])[0] == 25


def test_partial_then_full_refund_reverses_in_proportion(system_actor, member, team, buy):
    top, direct = team
    order = buy(member, quantity=4, referrer=direct.member)  # ¥400: 4000 + 1200
    refunds.refund_order(system_actor, order, reason="坏了一盒", lines=[{"sku": "BERRY-500", "quantity": 1}])
    assert _buckets(direct)[0] == 3000 and _buckets(top)[0] == 900
    refunds.refund_order(system_actor, order, reason="都不要了")
    assert _buckets(direct) == (0, 0, 0, 0) and _buckets(top) == (0, 0, 0, 0)
    assert CommissionEntry.objects.filter(kind="reverse").count() == 4
    assert distribution.check_distribution() == []


def test_refund_after_withdrawal_goes_negative_and_is_netted(system_actor, store, member, team, buy):
    _, direct = team
    order = buy(member, referrer=direct.member)  # 1000 fen commission
    _complete(system_actor, store, order)
    withdrawal = distribution.request_withdrawal(member_actor(direct.member_id), _fresh(direct), 1000)
    distribution.decide_withdrawal(system_actor, withdrawal.pk, approve=True, reference="WX20260101")
    refunds.refund_order(system_actor, order, reason="售后退款")
    assert _buckets(direct) == (0, -1000, 0, 1000)
    later = buy(member, quantity=3, referrer=direct.member)
    _complete(system_actor, store, later)
    assert _buckets(direct)[1] == 2000
    with pytest.raises(InsufficientCommission):
        distribution.request_withdrawal(member_actor(direct.member_id), _fresh(direct), 3000)
    assert distribution.check_distribution() == []


def test_withdrawal_rules_and_decisions(system_actor, store, member, team, buy):
    _, direct = team
    _complete(system_actor, store, buy(member, quantity=5, referrer=direct.member))  # 5000 available
    actor = member_actor(direct.member_id)
    with pytest.raises(InvalidWithdrawal):
        distribution.request_withdrawal(actor, _fresh(direct), 999)  # below the ¥10 minimum
    with pytest.raises(InsufficientCommission):
        distribution.request_withdrawal(actor, _fresh(direct), 5001)
    with pytest.raises(PermissionDenied):
        distribution.request_withdrawal(member_actor(member.pk), _fresh(direct), 1000)
    first = distribution.request_withdrawal(actor, _fresh(direct), 3000)
    assert _buckets(direct) == (0, 2000, 3000, 0)
    with pytest.raises(InvalidWithdrawal):
        distribution.decide_withdrawal(system_actor, first.pk, approve=True)  # no payout reference
    distribution.decide_withdrawal(system_actor, first.pk, approve=False, note="账户信息有误")
    assert _buckets(direct) == (0, 5000, 0, 0)
    with pytest.raises(WithdrawalStateConflict):
        distribution.decide_withdrawal(system_actor, first.pk, approve=True, reference="X")
    second = distribution.request_withdrawal(actor, _fresh(direct), 5000)
    paid = distribution.decide_withdrawal(system_actor, second.pk, approve=True, reference="WX-1")
    assert paid.status == Withdrawal.Status.PAID and _buckets(direct) == (0, 0, 0, 5000)
    assert distribution.check_distribution() == []


def test_check_distribution_finds_and_fixes_drift(system_actor, member, team, buy):
    _, direct = team
    buy(member, referrer=direct.member)
    Distributor.objects.filter(pk=direct.pk).update(pending_fen=1)
    drift = distribution.check_distribution()
    assert drift == [{"distributor_id": direct.pk, "cached": {"pending": 1, "available": 0, "frozen": 0,
                                                              "withdrawn": 0},
                      "ledger": {"pending": 1000, "available": 0, "frozen": 0, "withdrawn": 0}}]
    distribution.check_distribution(fix=True)
    assert distribution.check_distribution() == [] and _buckets(direct)[0] == 1000
