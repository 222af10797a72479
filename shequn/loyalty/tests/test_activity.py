"""Points from purchases, refunds, check-ins, sharing and birthdays."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.core.errors import Conflict, NotFound
from shequn.loyalty import services
from shequn.loyalty.activity import purchase_points, streak_bonus
from shequn.loyalty.errors import AlreadyCheckedIn, InvalidPoints
from shequn.loyalty.models import CheckIn, PointsEntry, Purchase, TierChange
from shequn.loyalty.tiers import stats_for

from .helpers import account_of, assert_ledger_consistent, balance_of, shanghai

pytestmark = pytest.mark.django_db

A_TUESDAY = shanghai(2025, 6, 10, 15)  # not a member day unless a test makes it one


def last_week() -> dt.datetime:
    return timezone.now() - dt.timedelta(days=7)


# -- purchases --------------------------------------------------------------------------------

def test_purchase_points_round_down():
    assert purchase_points(12345, 100, 100, 1) == 123
    assert purchase_points(12345, 150, 100, 1) == 185
    assert purchase_points(12345, 150, 200, 2) == 740
    assert purchase_points(99, 100, 100, 1) == 0


def test_purchase_earns_at_the_tier_multiplier(system_actor, member, prog, tiers):
    entry = services.record_purchase(system_actor, member.pk, 12345, ref="A1", occurred_at=A_TUESDAY)
    assert (entry.points, entry.source, entry.ref) == (123, "purchase", "pos:A1")
    services.set_tier(system_actor, member.pk, "gold", reason="测试")
    entry = services.record_purchase(system_actor, member.pk, 12345, ref="A2", occurred_at=A_TUESDAY)
    assert entry.points == 185 and "×1.5" in entry.reason
    assert assert_ledger_consistent(member.pk) == 308


def test_purchase_is_idempotent_by_ref(system_actor, member, prog, tiers):
    first = services.record_purchase(system_actor, member.pk, 5000, ref="R-1", occurred_at=A_TUESDAY)
    again = services.record_purchase(system_actor, member.pk, 5000, ref="R-1", occurred_at=A_TUESDAY)
    assert again.pk == first.pk
    assert Purchase.objects.filter(member=member).count() == 1
    assert balance_of(member.pk) == 50


def test_a_purchase_ref_of_another_member_is_refused(system_actor, make_member, store, prog, tiers):
    a, b = make_member(store=store), make_member(store=store)
    services.record_purchase(system_actor, a.pk, 5000, ref="R-9", occurred_at=A_TUESDAY)
    with pytest.raises(Conflict) as exc:
        services.record_purchase(system_actor, b.pk, 5000, ref="R-9", occurred_at=A_TUESDAY)
    assert exc.value.type == "purchase-exists"
    assert balance_of(b.pk) == 0


@pytest.mark.parametrize("amount, ref", [(0, "X"), (-100, "X"), (10_000_000_001, "X"), (100, ""), (100, "  ")])
def test_bad_purchases_write_nothing(system_actor, member, prog, tiers, amount, ref):
    with pytest.raises(InvalidPoints):
        services.record_purchase(system_actor, member.pk, amount, ref=ref, occurred_at=A_TUESDAY)
    assert not Purchase.objects.exists() and not PointsEntry.objects.exists()


@pytest.mark.parametrize("occurred_at", [
    dt.datetime(5584, 9, 14, 13, 23, tzinfo=dt.timezone(dt.timedelta(hours=17))),
    dt.datetime(1999, 12, 31, 12, tzinfo=dt.UTC),
    dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5))),
])
def test_purchases_in_the_future_or_the_distant_past_are_refused(system_actor, member, prog, tiers, occurred_at):
    with pytest.raises(InvalidPoints) as exc:
        services.record_purchase(system_actor, member.pk, 100, ref="T", occurred_at=occurred_at)
    assert exc.value.type == "invalid-time"
    assert not Purchase.objects.exists()


def test_a_purchase_time_without_zone_is_shanghai_time(system_actor, member, prog, tiers):
    services.record_purchase(system_actor, member.pk, 100, ref="N", occurred_at=dt.datetime(2025, 6, 1, 8))
    assert Purchase.objects.get().occurred_at == shanghai(2025, 6, 1, 8)


def test_member_day_doubles_purchase_points(system_actor, member, prog, tiers):
    prog.member_day_of_month, prog.member_day_multiplier_pct = 18, 200
    prog.save()
    # 2025-06-17 16:30 UTC is already the 18th in Shanghai.
    at = dt.datetime(2025, 6, 17, 16, 30, tzinfo=dt.UTC)
    entry = services.record_purchase(system_actor, member.pk, 10000, ref="MD1", occurred_at=at)
    assert entry.points == 200 and "会员日" in entry.reason
    day_before = dt.datetime(2025, 6, 17, 15, 30, tzinfo=dt.UTC)
    assert services.record_purchase(system_actor, member.pk, 10000, ref="MD2", occurred_at=day_before).points == 100


def test_member_day_of_month_past_the_month_end_falls_on_its_last_day(system_actor, member, prog, tiers):
    prog.member_day_of_month = 31
    prog.save()
    assert services.record_purchase(system_actor, member.pk, 10000, ref="J30",
                                    occurred_at=shanghai(2025, 6, 30)).points == 200


def test_weekly_member_day(system_actor, member, prog, tiers):
    prog.member_day_weekday = 1  # Tuesday
    prog.save()
    assert services.record_purchase(system_actor, member.pk, 10000, ref="W1", occurred_at=A_TUESDAY).points == 200
    assert services.record_purchase(system_actor, member.pk, 10000, ref="W2",
                                    occurred_at=A_TUESDAY + dt.timedelta(days=1)).points == 100


def test_birthday_month_multiplier_takes_the_larger_promo_only(system_actor, make_member, store, prog, tiers):
    prog.member_day_of_month, prog.member_day_multiplier_pct, prog.birthday_month_multiplier_pct = 10, 200, 300
    prog.save()
    born_in_june = make_member(store=store, birthday=dt.date(1990, 6, 25))
    entry = services.record_purchase(system_actor, born_in_june.pk, 10000, ref="B1", occurred_at=A_TUESDAY)
    assert entry.points == 300 and "生日月" in entry.reason  # ×3, not ×2×3
    july = shanghai(2025, 7, 1)
    assert services.record_purchase(system_actor, born_in_june.pk, 10000, ref="B2", occurred_at=july).points == 100


def test_upgrade_as_soon_as_the_spend_threshold_is_met(system_actor, member, prog, tiers):
    services.record_purchase(system_actor, member.pk, 99_999, ref="U1")
    assert account_of(member.pk).tier.code == "basic"
    entry = services.record_purchase(system_actor, member.pk, 1, ref="U2")
    assert entry is None  # one fen earns nothing, but the spend counts
    account = account_of(member.pk)
    assert account.tier.code == "silver"
    change = TierChange.objects.filter(member=member).first()
    assert (change.from_tier.code, change.to_tier.code) == ("basic", "silver")
    assert change.reason.startswith("升级") and "¥1,000.00" in change.reason
    # The next purchase already earns at the silver multiplier (×1.2).
    assert services.record_purchase(system_actor, member.pk, 10000, ref="U3").points == 120


def test_upgrade_by_order_count(system_actor, member, prog, tiers):
    for n in range(6):
        services.record_purchase(system_actor, member.pk, 100, ref=f"O{n}")
    assert account_of(member.pk).tier.code == "silver"


def test_a_tier_without_thresholds_is_not_reached_by_spending(system_actor, member, prog, tiers):
    from shequn.loyalty.models import Tier

    Tier.objects.create(code="vip", name="特邀会员", rank=9)
    services.record_purchase(system_actor, member.pk, 600_000, ref="BIG")
    assert account_of(member.pk).tier.code == "gold"


# -- refunds ----------------------------------------------------------------------------------

def test_refund_reverses_points_in_proportion(system_actor, member, prog, tiers):
    services.record_purchase(system_actor, member.pk, 20000, ref="P1", occurred_at=last_week())
    entry = services.record_refund(system_actor, member.pk, 5000, ref="RF1", purchase_ref="P1")
    assert (entry.kind, entry.points) == ("reverse", -50)
    assert services.record_refund(system_actor, member.pk, 5000, ref="RF1", purchase_ref="P1").pk == entry.pk
    assert Purchase.objects.filter(member=member).count() == 2
    assert assert_ledger_consistent(member.pk) == 150
    assert stats_for(member.pk).spend_fen == 15000


def test_refunding_an_old_purchase_does_not_eat_into_this_years_spend(system_actor, member, prog, tiers):
    services.record_purchase(system_actor, member.pk, 50000, ref="OLD", occurred_at=timezone.now()
                             - dt.timedelta(days=400))
    services.record_purchase(system_actor, member.pk, 30000, ref="NEW", occurred_at=last_week())
    services.record_refund(system_actor, member.pk, 50000, ref="RF-OLD", purchase_ref="OLD")
    assert stats_for(member.pk).spend_fen == 30000
    assert assert_ledger_consistent(member.pk) == 300


def test_refunds_never_exceed_the_purchase(system_actor, member, prog, tiers):
    services.set_tier(system_actor, member.pk, "gold", reason="测试")
    earned = services.record_purchase(system_actor, member.pk, 12345, ref="P2", occurred_at=A_TUESDAY)
    assert earned.points == 185
    services.record_refund(system_actor, member.pk, 5000, ref="RF2a", purchase_ref="P2")  # 74.9 -> 74
    last = services.record_refund(system_actor, member.pk, 99999, ref="RF2b", purchase_ref="P2")
    assert last.points == -111  # the rest, rounding included
    with pytest.raises(Conflict) as exc:
        services.record_refund(system_actor, member.pk, 100, ref="RF2c", purchase_ref="P2")
    assert exc.value.type == "already-refunded"
    from django.db.models import Sum

    assert Purchase.objects.filter(member=member).aggregate(s=Sum("amount_fen"))["s"] == 0
    assert assert_ledger_consistent(member.pk) == 0


def test_refund_of_an_unknown_purchase_or_bad_amount_writes_nothing(system_actor, make_member, store,
                                                                    prog, tiers):
    a, b = make_member(store=store), make_member(store=store)
    services.record_purchase(system_actor, a.pk, 10000, ref="P3", occurred_at=A_TUESDAY)
    with pytest.raises(NotFound):
        services.record_refund(system_actor, a.pk, 100, ref="RF3", purchase_ref="nope")
    with pytest.raises(NotFound):
        services.record_refund(system_actor, b.pk, 100, ref="RF3", purchase_ref="P3")  # not b's purchase
    for bad in (0, -500):
        with pytest.raises(InvalidPoints):
            services.record_refund(system_actor, a.pk, bad, ref="RF3", purchase_ref="P3")
    assert Purchase.objects.count() == 1
    assert balance_of(a.pk) == 100


# -- check-in and share -----------------------------------------------------------------------

def test_streak_bonus_table_repeats_each_cycle():
    table = {"3": 5, "7": 20}
    assert [streak_bonus(n, table) for n in range(1, 11)] == [0, 0, 5, 0, 0, 0, 20, 0, 0, 5]
    assert streak_bonus(3, {}) == 0 and streak_bonus(0, table) == 0


def test_check_in_once_a_day_with_streaks(system_actor, member, prog):
    day1 = shanghai(2025, 6, 1, 9)
    c = services.check_in(system_actor, member.pk, now=day1)
    assert (c.streak, c.points, c.local_date) == (1, 5, dt.date(2025, 6, 1))
    with pytest.raises(AlreadyCheckedIn) as exc:
        services.check_in(system_actor, member.pk, now=day1 + dt.timedelta(hours=14))  # 23:00 same day
    assert exc.value.status == 409 and exc.value.type == "already-checked-in"
    assert services.check_in(system_actor, member.pk, now=shanghai(2025, 6, 2, 7)).streak == 2
    third = services.check_in(system_actor, member.pk, now=shanghai(2025, 6, 3, 22))
    assert (third.streak, third.points) == (3, 10)  # 5 + the day-3 bonus
    skipped = services.check_in(system_actor, member.pk, now=shanghai(2025, 6, 5, 8))
    assert (skipped.streak, skipped.points) == (1, 5)
    account = account_of(member.pk)
    assert (account.checkin_streak, account.last_checkin_date) == (1, dt.date(2025, 6, 5))
    assert CheckIn.objects.filter(member=member).count() == 4
    assert assert_ledger_consistent(member.pk) == 25


def test_check_in_day_follows_shanghai_midnight_not_utc(system_actor, member, prog):
    late = dt.datetime(2025, 6, 1, 15, 59, tzinfo=dt.UTC)  # 23:59 on 1 June in Shanghai
    services.check_in(system_actor, member.pk, now=late)
    after_midnight = dt.datetime(2025, 6, 1, 16, 1, tzinfo=dt.UTC)  # 00:01 on 2 June, still 1 June in UTC
    assert services.check_in(system_actor, member.pk, now=after_midnight).local_date == dt.date(2025, 6, 2)
    with pytest.raises(AlreadyCheckedIn):
        services.check_in(system_actor, member.pk, now=dt.datetime(2025, 6, 2, 15, 0, tzinfo=dt.UTC))


def test_check_in_uses_the_home_store_time_zone(system_actor, make_member, prog):
    from shequn.stores.models import Store

    urumqi = Store.objects.create(code="UR01", name="乌鲁木齐店", city="乌鲁木齐", timezone="Asia/Urumqi")
    m = make_member(store=urumqi)
    at = dt.datetime(2025, 6, 1, 17, 0, tzinfo=dt.UTC)  # 01:00 on 2 June in Shanghai, 23:00 on 1 June in Urumqi
    assert services.check_in(system_actor, m.pk, now=at).local_date == dt.date(2025, 6, 1)


def test_check_in_without_points_still_counts_the_streak(system_actor, member, prog):
    prog.checkin_points, prog.checkin_streak_bonus = 0, {}
    prog.save()
    assert services.check_in(system_actor, member.pk, now=A_TUESDAY).points == 0
    assert not PointsEntry.objects.filter(member=member).exists()


def test_share_points_are_capped_per_local_day(system_actor, member, prog):
    day = shanghai(2025, 6, 1, 10)
    got = [services.share(system_actor, member.pk, now=day + dt.timedelta(minutes=i)) for i in range(5)]
    assert [e.points if e else None for e in got] == [2, 2, 2, None, None]
    assert services.share(system_actor, member.pk, now=shanghai(2025, 6, 2, 10)).points == 2
    assert assert_ledger_consistent(member.pk) == 8
    prog.share_points = 0
    prog.save()
    assert services.share(system_actor, member.pk, now=shanghai(2025, 6, 3, 10)) is None


# -- birthdays --------------------------------------------------------------------------------

def test_birthday_gift_once_a_year_by_tier(system_actor, make_member, store, prog, tiers):
    silver = make_member(store=store, birthday=dt.date(1990, 6, 1))
    services.set_tier(system_actor, silver.pk, "silver", reason="测试")
    basic = make_member(store=store, birthday=dt.date(1991, 6, 1))  # the basic tier has no birthday points
    other_day = make_member(store=store, birthday=dt.date(1990, 6, 2))
    services.set_tier(system_actor, other_day.pk, "gold", reason="测试")

    assert services.grant_birthday_gifts(system_actor, today=dt.date(2025, 6, 1)) == 1
    assert services.grant_birthday_gifts(system_actor, today=dt.date(2025, 6, 1)) == 0
    assert (balance_of(silver.pk), balance_of(basic.pk), balance_of(other_day.pk)) == (50, 0, 0)
    assert services.grant_birthday_gifts(system_actor, today=dt.date(2026, 6, 1)) == 1
    assert balance_of(silver.pk) == 100
    assert_ledger_consistent(silver.pk)


def test_leap_day_birthdays_are_celebrated_on_28_february_in_common_years(system_actor, make_member, store,
                                                                         prog, tiers):
    leap = make_member(store=store, birthday=dt.date(2000, 2, 29))
    services.set_tier(system_actor, leap.pk, "silver", reason="测试")
    assert services.grant_birthday_gifts(system_actor, today=dt.date(2025, 2, 28)) == 1
    assert services.grant_birthday_gifts(system_actor, today=dt.date(2028, 2, 28)) == 0
    assert services.grant_birthday_gifts(system_actor, today=dt.date(2028, 2, 29)) == 1
