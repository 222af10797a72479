"""The points ledger: earn, redeem, adjust, reverse, expire and the ledger check."""

import datetime as dt

import pytest

from shequn.core.models import AuditEntry, OutboxEvent
from shequn.loyalty import services
from shequn.loyalty.errors import InsufficientPoints, InvalidPoints
from shequn.loyalty.models import PointsEntry, PointsLot
from shequn.loyalty.program import expiry_for

from .helpers import SHANGHAI, assert_ledger_consistent, balance_of, shanghai

pytestmark = pytest.mark.django_db


def lots_remaining(member_id):
    return list(PointsLot.objects.filter(member_id=member_id).order_by("id").values_list("remaining", flat=True))


def test_earn_appends_entry_lot_audit_and_event(system_actor, member, prog):
    entry = services.earn(system_actor, member.pk, 120, source="gift", reason="开卡礼")
    assert (entry.kind, entry.points, entry.balance_after, entry.source) == ("earn", 120, 120, "gift")
    assert entry.lot.remaining == 120 and entry.lot.expires_at is not None
    account = member.loyalty.__class__.objects.get(pk=member.pk)
    assert account.points_balance == 120 and account.points_earned_total == 120
    assert AuditEntry.objects.filter(action="points.earn", object_id=str(member.pk)).count() == 1
    event = OutboxEvent.objects.get(topic="points.earned")
    assert event.payload["points"] == 120 and event.payload["balance"] == 120
    assert_ledger_consistent(member.pk)


def test_earn_with_the_same_ref_credits_once(system_actor, member, prog):
    first = services.earn(system_actor, member.pk, 50, source="purchase", ref="pos:A1")
    again = services.earn(system_actor, member.pk, 50, source="purchase", ref="pos:A1")
    assert again.pk == first.pk
    assert balance_of(member.pk) == 50
    assert PointsEntry.objects.filter(member=member).count() == 1


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "10", 10_000_001])
def test_invalid_amounts_are_refused_and_write_nothing(system_actor, member, prog, bad):
    with pytest.raises(InvalidPoints):
        services.earn(system_actor, member.pk, bad, source="gift")
    with pytest.raises(InvalidPoints):
        services.redeem(system_actor, member.pk, bad)
    assert not PointsEntry.objects.filter(member=member).exists()
    assert balance_of(member.pk) == 0


def test_redeem_debits_and_never_goes_negative(system_actor, member, prog):
    services.earn(system_actor, member.pk, 100, source="gift")
    entry = services.redeem(system_actor, member.pk, 60, source="gift", reason="兑换纸巾")
    assert (entry.kind, entry.points, entry.balance_after) == ("redeem", -60, 40)
    with pytest.raises(InsufficientPoints) as exc:
        services.redeem(system_actor, member.pk, 41)
    assert exc.value.status == 409 and exc.value.type == "insufficient-points"
    assert exc.value.extra == {"balance": 40, "requested": 41}
    assert PointsEntry.objects.filter(member=member).count() == 2
    assert assert_ledger_consistent(member.pk) == 40
    services.redeem(system_actor, member.pk, 40)
    assert assert_ledger_consistent(member.pk) == 0


def test_redeem_takes_the_soonest_expiring_lots_first(system_actor, member, prog):
    late = services.earn(system_actor, member.pk, 50, source="gift", at=shanghai(2025, 6, 1))
    early = services.earn(system_actor, member.pk, 30, source="gift", at=shanghai(2024, 3, 1))
    assert early.lot.expires_at < late.lot.expires_at
    prog.expiry_policy = "never"
    prog.save()
    never = services.earn(system_actor, member.pk, 20, source="gift")
    assert never.lot.expires_at is None

    services.redeem(system_actor, member.pk, 40)
    assert lots_remaining(member.pk) == [40, 0, 20]  # the 2024 lot first, then the 2025 one
    services.redeem(system_actor, member.pk, 50)
    assert lots_remaining(member.pk) == [0, 0, 10]  # lots that never expire are used last
    assert_ledger_consistent(member.pk)


def test_adjust_needs_a_reason_and_goes_both_ways(system_actor, member, prog):
    with pytest.raises(InvalidPoints) as exc:
        services.adjust(system_actor, member.pk, 10, reason="  ")
    assert exc.value.type == "reason-required"
    up = services.adjust(system_actor, member.pk, 30, reason="客诉补偿")
    down = services.adjust(system_actor, member.pk, -12, reason="误发扣回")
    assert (up.kind, up.points, up.source) == ("adjust", 30, "manual")
    assert (down.kind, down.points, down.balance_after) == ("adjust", -12, 18)
    with pytest.raises(InvalidPoints):
        services.adjust(system_actor, member.pk, 0, reason="零")
    with pytest.raises(InsufficientPoints):
        services.adjust(system_actor, member.pk, -19, reason="超扣")
    assert assert_ledger_consistent(member.pk) == 18


def test_reverse_takes_back_an_earn_from_its_own_lot_first(system_actor, member, prog):
    older = services.earn(system_actor, member.pk, 40, source="gift", at=shanghai(2024, 1, 5))
    order = services.earn(system_actor, member.pk, 100, source="purchase", ref="pos:R1")
    entry = services.reverse(system_actor, order.pk, reason="整单退款")
    assert (entry.kind, entry.points, entry.reverses_id, entry.balance_after) == ("reverse", -100, order.pk, 40)
    assert PointsLot.objects.get(entry=older).remaining == 40  # not the older, sooner-expiring lot
    assert PointsLot.objects.get(entry=order).remaining == 0
    again = services.reverse(system_actor, order.pk, reason="整单退款")
    assert again.pk == entry.pk
    assert assert_ledger_consistent(member.pk) == 40


def test_partial_reversals_never_exceed_the_original(system_actor, member, prog):
    order = services.earn(system_actor, member.pk, 100, source="purchase", ref="pos:R2")
    services.reverse(system_actor, order.pk, 30, reason="部分退款", ref="refund-1")
    services.reverse(system_actor, order.pk, 50, reason="部分退款", ref="refund-2")
    last = services.reverse(system_actor, order.pk, 50, reason="部分退款", ref="refund-3")
    assert last.points == -20
    assert services.reverse(system_actor, order.pk, 5, reason="再退", ref="refund-4") is None
    assert assert_ledger_consistent(member.pk) == 0


def test_reverse_after_the_points_were_spent_takes_what_is_left(system_actor, member, prog):
    order = services.earn(system_actor, member.pk, 100, source="purchase", ref="pos:R3")
    services.redeem(system_actor, member.pk, 70)
    entry = services.reverse(system_actor, order.pk, reason="退款")
    assert entry.points == -30 and "少扣 70" in entry.reason
    assert assert_ledger_consistent(member.pk) == 0
    assert services.reverse(system_actor, order.pk, 10, reason="再退", ref="again") is None


def test_only_credits_can_be_reversed(system_actor, member, prog):
    services.earn(system_actor, member.pk, 10, source="gift")
    spend = services.redeem(system_actor, member.pk, 5)
    with pytest.raises(InvalidPoints) as exc:
        services.reverse(system_actor, spend.pk, reason="x")
    assert exc.value.type == "not-reversible"
    assert assert_ledger_consistent(member.pk) == 5


def test_expire_due_expires_lots_past_their_date_once(system_actor, member, prog):
    old = services.earn(system_actor, member.pk, 80, source="gift", at=shanghai(2023, 5, 1))
    recent = services.earn(system_actor, member.pk, 50, source="gift", at=shanghai(2024, 8, 1))
    services.redeem(system_actor, member.pk, 30)  # from the 2023 lot, which expires first
    assert old.lot.expires_at == dt.datetime(2025, 1, 1, tzinfo=SHANGHAI)

    assert services.expire_due(now=shanghai(2024, 12, 31, 23, 59)) == 0
    assert services.expire_due(now=shanghai(2025, 1, 1, 0, 0)) == 50
    expired = PointsEntry.objects.get(member=member, kind="expire")
    assert (expired.points, expired.balance_after, expired.ref) == (-50, 50, f"lot:{old.lot.pk}")
    assert services.expire_due(now=shanghai(2025, 6, 1)) == 0  # nothing twice
    assert assert_ledger_consistent(member.pk) == 50

    assert services.expire_due(now=shanghai(2026, 1, 1)) == 50
    assert PointsLot.objects.get(entry=recent).remaining == 0
    assert assert_ledger_consistent(member.pk) == 0


def test_expire_due_can_be_limited_to_one_member(system_actor, make_member, store, prog):
    a, b = make_member(store=store), make_member(store=store)
    for m in (a, b):
        services.earn(system_actor, m.pk, 10, source="gift", at=shanghai(2020, 1, 1))
    assert services.expire_due(now=shanghai(2025, 1, 1), member_id=a.pk) == 10
    assert (balance_of(a.pk), balance_of(b.pk)) == (0, 10)


def test_expiry_policies(prog):
    earned = shanghai(2025, 6, 15, 9)
    assert expiry_for(prog, earned) == dt.datetime(2027, 1, 1, tzinfo=SHANGHAI)
    # 2025-12-31 18:00 UTC is already 2026-01-01 in Shanghai: the local year counts.
    new_year_utc = dt.datetime(2025, 12, 31, 18, 0, tzinfo=dt.UTC)
    assert expiry_for(prog, new_year_utc) == dt.datetime(2028, 1, 1, tzinfo=SHANGHAI)
    prog.expiry_policy, prog.expiry_days = "rolling_days", 90
    assert expiry_for(prog, earned) == earned + dt.timedelta(days=90)
    prog.expiry_policy = "never"
    assert expiry_for(prog, earned) is None


def test_lots_that_never_expire_are_not_expired(system_actor, member, prog):
    prog.expiry_policy = "never"
    prog.save()
    services.earn(system_actor, member.pk, 10, source="gift", at=shanghai(2000, 1, 1))
    assert services.expire_due(now=shanghai(2099, 1, 1)) == 0
    assert balance_of(member.pk) == 10


def test_rolling_expiry_in_days(system_actor, member, prog):
    prog.expiry_policy, prog.expiry_days = "rolling_days", 30
    prog.save()
    services.earn(system_actor, member.pk, 10, source="gift", at=shanghai(2025, 3, 1))
    assert services.expire_due(now=shanghai(2025, 3, 31, 11, 59)) == 0
    assert services.expire_due(now=shanghai(2025, 3, 31, 12, 0)) == 10
    assert assert_ledger_consistent(member.pk) == 0


def test_check_ledgers_reports_and_fixes_drift(system_actor, make_member, store, prog):
    from shequn.loyalty.models import LoyaltyAccount

    good, bad = make_member(store=store), make_member(store=store)
    for m in (good, bad):
        services.earn(system_actor, m.pk, 100, source="gift")
        services.redeem(system_actor, m.pk, 30)
    assert services.check_ledgers() == []

    LoyaltyAccount.objects.filter(pk=bad.pk).update(points_balance=999)
    drift = services.check_ledgers()
    assert drift == [{"member_id": bad.pk, "balance": 999, "ledger_sum": 70, "lots_sum": 70,
                      "last_balance_after": 70}]
    assert services.check_ledgers(fix=True) == drift
    assert balance_of(bad.pk) == 70
    assert services.check_ledgers() == []


def test_check_ledgers_notices_lots_out_of_step(system_actor, member, prog):
    entry = services.earn(system_actor, member.pk, 100, source="gift")
    PointsLot.objects.filter(entry=entry).update(remaining=90)
    [row] = services.check_ledgers()
    assert (row["balance"], row["ledger_sum"], row["lots_sum"]) == (100, 100, 90)
