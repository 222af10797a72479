import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import refunds
from shequn.commerce.referral import services
from shequn.commerce.referral.errors import (
    AlreadyReferred,
    InvalidReferralSettings,
    NotANewMember,
    ReferralCodeNotFound,
    ReferralStateConflict,
    ReferralWindowClosed,
)
from shequn.commerce.referral.models import Referral, ReferralReward
from shequn.core.errors import PermissionDenied
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty.models import LoyaltyAccount, PointsEntry
from shequn.members.models import Member

pytestmark = pytest.mark.django_db
S = Referral.Status


def _points(member) -> int:
    return LoyaltyAccount.objects.get(pk=member.pk).points_balance


def _attribute(system_actor, referrer, referee, **kw):
    return services.attribute(system_actor, referee=referee, code=services.code_for(referrer).code, **kw)


@pytest.fixture
def pair(make_member, store):
    return make_member(store=store, name="推荐人"), make_member(store=store, name="新朋友")


def test_code_is_lazy_short_stable_and_unique(make_member, store):
    a, b = make_member(store=store), make_member(store=store)
    code = services.code_for(a)
    assert len(code.code) == 8 and set(code.code) <= set(services.CODE_ALPHABET)
    assert services.code_for(a).code == code.code
    assert services.code_for(b).code != code.code
    assert services.link_path(code.code) == f"/m/r/{code.code}/"
    assert services.referrer_for_code(code.code.lower()) == a
    assert "<svg" in services.qr_svg("https://shop.example/m/r/ABC/")


def test_unknown_code_is_refused(member, system_actor):
    with pytest.raises(ReferralCodeNotFound):
        services.attribute(system_actor, referee=member, code="NOPE2345")
    assert not Referral.objects.exists()


def test_first_order_qualifies_and_the_job_rewards_both_sides_once(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee, device_id="dev-new", ip="10.1.2.3")
    assert referral.status == S.PENDING and referral.network == "10.1.2.0/24"
    order = buy(referee)
    referral.refresh_from_db()
    assert referral.status == S.QUALIFIED and referral.order == order
    assert referral.release_after == order.paid_at + dt.timedelta(days=7)
    before = _points(referrer), _points(referee)

    assert services.release_due(now=order.paid_at + dt.timedelta(days=6)) == 0
    assert services.release_due(now=order.paid_at + dt.timedelta(days=7, seconds=1)) == 1
    assert services.release_due(now=order.paid_at + dt.timedelta(days=8)) == 0
    referral.refresh_from_db()
    assert referral.status == S.REWARDED
    assert (_points(referrer) - before[0], _points(referee) - before[1]) == (500, 200)
    assert ReferralReward.objects.filter(referral=referral).count() == 2
    assert PointsEntry.objects.filter(source="referral").count() == 2
    assert AuditEntry.objects.filter(action="referral.rewarded").count() == 1
    assert OutboxEvent.objects.filter(topic="referral.rewarded").count() == 1
    # Releasing the same referral again changes nothing.
    assert services.release(system_actor, referral.pk, now=order.paid_at + dt.timedelta(days=9)) is None


def test_second_order_does_not_requalify(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    first = buy(referee)
    buy(referee)
    referral.refresh_from_db()
    assert referral.order == first


def test_full_refund_before_release_voids(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    order = buy(referee, quantity=2)
    refunds.refund_order(system_actor, order, reason="部分不要", lines=[{"sku": "BERRY-500", "quantity": 1}])
    referral.refresh_from_db()
    assert referral.status == S.QUALIFIED  # a partial refund keeps the first order
    refunds.refund_order(system_actor, order, reason="全部退了")
    referral.refresh_from_db()
    assert referral.status == S.VOID and referral.void_reason
    assert services.release_due(now=timezone.now() + dt.timedelta(days=30)) == 0
    assert not ReferralReward.objects.exists()


def test_refund_after_release_keeps_the_rewards(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    order = buy(referee)
    services.release_due(now=timezone.now() + dt.timedelta(days=8))
    refunds.refund_order(system_actor, order, reason="售后退款")
    referral.refresh_from_db()
    assert referral.status == S.REWARDED and ReferralReward.objects.count() == 2


def test_unpaid_order_does_not_qualify_and_the_window_closes(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    buy(referee, pay=False)
    referral.refresh_from_db()
    assert referral.status == S.PENDING
    services.release_due(now=referee.joined_at + dt.timedelta(days=31))
    referral.refresh_from_db()
    assert referral.status == S.VOID


def test_first_order_after_the_window_does_not_qualify(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    Member.objects.filter(pk=referee.pk).update(joined_at=timezone.now() - dt.timedelta(days=31))
    buy(referee)
    referral.refresh_from_db()
    assert referral.status == S.VOID and referral.order is None


def test_attribution_is_idempotent_and_only_once(system_actor, pair, make_member, store):
    referrer, referee = pair
    first = _attribute(system_actor, referrer, referee)
    assert _attribute(system_actor, referrer, referee).pk == first.pk
    with pytest.raises(AlreadyReferred):
        _attribute(system_actor, make_member(store=store), referee)
    assert Referral.objects.count() == 1


def test_only_new_members_can_be_referred(system_actor, pair, buy):
    referrer, referee = pair
    Member.objects.filter(pk=referee.pk).update(joined_at=timezone.now() - dt.timedelta(days=8))
    referee.refresh_from_db()
    with pytest.raises(NotANewMember):
        _attribute(system_actor, referrer, referee)
    clicked = timezone.now()
    with pytest.raises(NotANewMember):  # joined before opening the link
        _attribute(system_actor, referrer, referee, clicked_at=clicked)
    with pytest.raises(ReferralWindowClosed):  # opened the link 8 days before signing up
        _attribute(system_actor, referrer, referee, clicked_at=referee.joined_at - dt.timedelta(days=8))
    assert not Referral.objects.exists()


def test_a_member_who_already_bought_is_not_new(system_actor, pair, buy):
    referrer, referee = pair
    buy(referee)
    with pytest.raises(NotANewMember):
        _attribute(system_actor, referrer, referee)


# Anti-fraud: held, never paid without review


def test_self_referral_is_held(system_actor, member, buy):
    referral = _attribute(system_actor, member, member)
    assert referral.status == S.HELD and referral.hold_reasons == ["self"]


def test_referrer_device_is_held(system_actor, pair):
    referrer, referee = pair
    services.see_device(referrer, "phone-of-referrer")
    referral = _attribute(system_actor, referrer, referee, device_id="phone-of-referrer")
    assert referral.status == S.HELD and referral.hold_reasons == ["self-device"]


def test_burst_from_one_device_is_held_after_the_limit(system_actor, make_member, store):
    referrer = make_member(store=store)
    results = [_attribute(system_actor, referrer, make_member(store=store), device_id="farm-1").status
               for _ in range(7)]
    assert results == [S.PENDING] * 5 + [S.HELD] * 2
    assert Referral.objects.filter(status=S.HELD).first().hold_reasons == ["burst-device"]


def test_burst_from_one_network_is_held_and_counts_per_hour(system_actor, make_member, store):
    referrer = make_member(store=store)
    services.update_settings(system_actor, burst_limit=2)
    now = timezone.now()
    statuses = [_attribute(system_actor, referrer, make_member(store=store), ip=f"203.0.113.{i}", at=now).status
                for i in range(3)]
    assert statuses == [S.PENDING, S.PENDING, S.HELD]
    assert Referral.objects.get(status=S.HELD).hold_reasons == ["burst-network"]
    later = _attribute(system_actor, referrer, make_member(store=store), ip="203.0.113.99",
                       at=now + dt.timedelta(minutes=61))
    assert later.status == S.PENDING
    other = _attribute(system_actor, referrer, make_member(store=store), ip="203.0.114.1", at=now)
    assert other.status == S.PENDING


def test_rings_are_held(system_actor, make_member, store):
    a, b, c = (make_member(store=store, name=n) for n in "ABC")
    assert _attribute(system_actor, a, b).status == S.PENDING
    ring2 = _attribute(system_actor, b, a)  # B refers A back: A↔B
    assert ring2.status == S.HELD and ring2.hold_reasons == ["ring"]
    d, e, f = (make_member(store=store, name=n) for n in "DEF")
    _attribute(system_actor, d, e)
    _attribute(system_actor, e, f)
    ring3 = _attribute(system_actor, f, d)  # D→E→F→D
    assert ring3.status == S.HELD and "ring" in ring3.hold_reasons
    g, h, i, j = (make_member(store=store, name=n) for n in "GHIJ")
    _attribute(system_actor, g, h)
    _attribute(system_actor, h, i)
    _attribute(system_actor, i, j)
    assert _attribute(system_actor, j, make_member(store=store)).status == S.PENDING


def test_held_referral_is_not_paid_until_approved(system_actor, pair, buy):
    referrer, referee = pair
    services.see_device(referrer, "shared")
    referral = _attribute(system_actor, referrer, referee, device_id="shared")
    order = buy(referee)
    referral.refresh_from_db()
    assert referral.status == S.HELD and referral.order == order
    assert services.release_due(now=timezone.now() + dt.timedelta(days=10)) == 0
    approved = services.review(system_actor, referral.pk, approve=True, note="同住家人，核实无误")
    assert approved.status == S.QUALIFIED and approved.reviewed_by == "test"
    assert services.release_due(now=timezone.now() + dt.timedelta(days=10)) == 1
    assert AuditEntry.objects.filter(action="referral.approved").count() == 1
    with pytest.raises(ReferralStateConflict):
        services.review(system_actor, referral.pk, approve=False)


def test_rejected_referral_is_never_paid(system_actor, member, buy):
    referral = _attribute(system_actor, member, member)
    rejected = services.review(system_actor, referral.pk, approve=False, note="自己推荐自己")
    assert rejected.status == S.REJECTED
    assert AuditEntry.objects.filter(action="referral.rejected").count() == 1


def test_review_needs_the_campaign_permission(pair, system_actor):
    from shequn.accounts.actors import member_actor

    referral = _attribute(system_actor, pair[0], pair[0])
    with pytest.raises(PermissionDenied):
        services.review(member_actor(pair[0].pk), referral.pk, approve=True)


def test_settings_are_validated(system_actor):
    with pytest.raises(InvalidReferralSettings):
        services.update_settings(system_actor, hold_days=-1)
    with pytest.raises(InvalidReferralSettings):
        services.update_settings(system_actor, referrer_points=0, referee_points=0)
    with pytest.raises(InvalidReferralSettings):
        services.update_settings(system_actor, colour="red")
    row = services.update_settings(system_actor, referrer_points=800, hold_days=3)
    assert (row.referrer_points, row.hold_days) == (800, 3)
    assert services.settings_row().referrer_points == 800


def test_coupon_rewards_through_the_coupon_service(system_actor, pair, buy):
    from shequn.commerce.coupons import services as coupons
    from shequn.commerce.coupons.models import Coupon

    referrer, referee = pair
    gift = coupons.create_template(system_actor, name="邀请有礼 10 元券", kind="fixed", amount_fen=1000,
                                   valid_days=30, claimable=False, campaign="裂变")
    scarce = coupons.create_template(system_actor, name="新人券", kind="fixed", amount_fen=500, valid_days=30,
                                     claimable=False, total_quantity=1, campaign="裂变")
    coupons.issue(system_actor, scarce, referrer, "manual", "used-up")  # the only one is gone
    services.update_settings(system_actor, reward_kind="coupon", referrer_coupon_template_id=gift.pk,
                             referee_coupon_template_id=scarce.pk)
    referral = _attribute(system_actor, referrer, referee)
    buy(referee)
    before = _points(referee)
    assert services.release_due(now=timezone.now() + dt.timedelta(days=8)) == 1
    rewards = {r.side: r for r in ReferralReward.objects.filter(referral=referral)}
    coupon = Coupon.objects.get(pk=rewards["referrer"].coupon_id)
    assert (coupon.member, coupon.source, coupon.template) == (referrer, "referral", gift)
    assert rewards["referee"].kind == "points" and _points(referee) - before == 200  # sold out: points instead


def test_coupon_settings_need_a_real_template(system_actor):
    with pytest.raises(InvalidReferralSettings):
        services.update_settings(system_actor, reward_kind="coupon", referrer_coupon_template_id=999999)
    with pytest.raises(InvalidReferralSettings):
        services.update_settings(system_actor, reward_kind="coupon")


def test_check_referrals(system_actor, pair, buy):
    referrer, referee = pair
    referral = _attribute(system_actor, referrer, referee)
    buy(referee)
    services.release_due(now=timezone.now() + dt.timedelta(days=8))
    assert services.check_referrals() == []
    PointsEntry.objects.filter(source="referral", member=referee).update(ref="tampered")
    assert services.check_referrals() == [{"referral_id": referral.pk, "side": "referee",
                                           "problem": "points reward not in the points ledger"}]
