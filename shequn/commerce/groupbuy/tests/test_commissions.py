import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shequn.accounts.actors import member_actor
from shequn.commerce import payments, refunds
from shequn.commerce.errors import InvalidPickupCode
from shequn.commerce.groupbuy import exports, selectors, statements
from shequn.commerce.groupbuy.commissions import check_leader_commissions, ledger_totals, verify_pickup_by_leader
from shequn.commerce.groupbuy.errors import InvalidStatement, NotTheLeader, StatementStateConflict
from shequn.commerce.groupbuy.models import CommissionEntry, Leader, LeaderStatement
from shequn.commerce.groupbuy.ordering import place_groupbuy_order
from shequn.commerce.models import Order

pytestmark = pytest.mark.django_db
TOMORROW = timezone.now() + dt.timedelta(days=1)


def _paid(campaign, leader, member, items, actor):
    order = place_groupbuy_order(member_actor(member.pk), campaign=campaign, leader=leader, member=member,
                                 items=items)
    return payments.start_payment(actor, order, "offline")


def _leader_actor(leader):
    return member_actor(leader.member_id)


def test_pickup_accrues_once_rounded_down(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=75)  # 7.5%
    order = _paid(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}, {"sku": "GB-EGG", "quantity": 1}],
                  system_actor)
    done = verify_pickup_by_leader(_leader_actor(leader), leader, order.pickup_code)
    assert done.status == Order.Status.PICKED_UP
    verify_pickup_by_leader(_leader_actor(leader), leader, order.pickup_code)  # again: nothing new
    entry = CommissionEntry.objects.get()
    assert (entry.kind, entry.amount_fen, entry.base_fen) == ("accrual", (2990 + 990) * 75 // 1000, 3980)
    leader.refresh_from_db()
    assert leader.commission_fen == 298
    assert check_leader_commissions() == []


def test_unpaid_or_foreign_codes_are_refused(make_campaign, make_leader, make_member, member, store, system_actor):
    campaign = make_campaign()
    leader = make_leader()
    other = make_leader(point_name="另一个点", member=make_member(store=store))
    order = _paid(campaign, leader, member, [{"sku": "GB-EGG", "quantity": 1}], system_actor)
    with pytest.raises(InvalidPickupCode):
        verify_pickup_by_leader(_leader_actor(other), other, order.pickup_code)
    with pytest.raises(NotTheLeader):
        verify_pickup_by_leader(_leader_actor(other), leader, order.pickup_code)
    with pytest.raises(InvalidPickupCode):
        verify_pickup_by_leader(_leader_actor(leader), leader, "12ab")
    order.refresh_from_db()
    assert order.status == "paid" and not CommissionEntry.objects.exists()


def test_refund_after_pickup_reverses_in_proportion(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = _paid(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}], system_actor)  # 5980
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    line = order.lines.get()
    refunds.refund_order(system_actor, order, reason="一盒坏了", lines=[{"line_id": line.pk, "quantity": 1}],
                         refund_no="RF-1")
    refunds.refund_order(system_actor, order, reason="补偿", amount_fen=990, refund_no="RF-2")
    amounts = list(CommissionEntry.objects.values_list("kind", "amount_fen"))
    assert amounts == [("accrual", 598), ("reversal", -299), ("reversal", -99)]
    refunds.refund_order(system_actor, order, reason="全部退", refund_no="RF-3")
    leader.refresh_from_db()
    assert leader.commission_fen == 0
    assert sum(CommissionEntry.objects.values_list("amount_fen", flat=True)) == 0
    assert check_leader_commissions() == []


def test_refund_before_pickup_lowers_the_accrual(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = _paid(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}], system_actor)
    refunds.refund_order(system_actor, order, reason="少一盒", lines=[{"sku": "GB-BERRY", "quantity": 1}])
    assert not CommissionEntry.objects.exists()
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    assert list(CommissionEntry.objects.values_list("amount_fen", flat=True)) == [299]


def test_statements_settle_and_a_later_reversal_goes_to_the_next(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = _paid(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 2}], system_actor)
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    today = timezone.localdate()
    first = statements.generate(system_actor, period_start=today.replace(day=1), period_end=today, now=TOMORROW)
    again = statements.generate(system_actor, period_start=today.replace(day=1), period_end=today, now=TOMORROW)
    assert [s.pk for s in first] == [s.pk for s in again] and len(first) == 1
    statement = first[0]
    assert (statement.total_fen, statement.entry_count, statement.status) == (598, 1, "draft")
    with pytest.raises(StatementStateConflict):
        statements.mark_paid(system_actor, statement, reference="WX123")
    statements.confirm(system_actor, statement)
    statements.mark_paid(system_actor, statement, reference="WX123")
    statements.mark_paid(system_actor, statement, reference="WX999")  # twice: nothing changes
    statement.refresh_from_db()
    leader.refresh_from_db()
    assert (statement.status, statement.paid_reference, leader.paid_out_fen) == ("paid", "WX123", 598)

    refunds.refund_order(system_actor, order, reason="售后退款", refund_no="RF-LATE")
    statement.refresh_from_db()
    assert statement.total_fen == 598 and statement.entries.count() == 1
    reversal = CommissionEntry.objects.get(kind="reversal")
    assert reversal.statement is None and reversal.amount_fen == -598
    leader.refresh_from_db()
    assert ledger_totals(leader) == {"earned_fen": 0, "paid_out_fen": 598, "owed_fen": -598, "unsettled_fen": -598}
    # a negative balance makes no statement: it waits to offset later commission
    assert statements.generate(system_actor, period_start=today, period_end=today + dt.timedelta(days=1),
                               now=TOMORROW + dt.timedelta(days=1)) == []
    assert check_leader_commissions() == []


def test_check_finds_and_fixes_a_wrong_cache(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = _paid(campaign, leader, member, [{"sku": "GB-EGG", "quantity": 1}], system_actor)
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    Leader.objects.filter(pk=leader.pk).update(commission_fen=5)
    problems = check_leader_commissions()
    assert problems == [{"ledger": "leader_commission", "leader_id": leader.pk, "code": leader.code,
                         "field": "commission_fen", "cached": 5, "computed": 99}]
    check_leader_commissions(fix=True)
    assert check_leader_commissions() == []


@pytest.mark.parametrize("start, end", [("x", "y"), (dt.date(2026, 5, 2), dt.date(2026, 5, 1)),
                                        (dt.date(2026, 1, 1), dt.date(2026, 6, 1))])
def test_bad_periods(system_actor, start, end):
    with pytest.raises(InvalidStatement):
        statements.generate(system_actor, period_start=start, period_end=end)


def test_running_period_is_refused(system_actor):
    today = timezone.localdate()
    with pytest.raises(InvalidStatement):
        statements.generate(system_actor, period_start=today, period_end=today)


def test_order_sheet_and_excel(make_campaign, leader, make_member, store, system_actor):
    campaign = make_campaign()
    alice, bob = make_member(store=store, name="李阿姨"), make_member(store=store, name="赵先生")
    a1 = _paid(campaign, leader, alice, [{"sku": "GB-BERRY", "quantity": 2}], system_actor)
    _paid(campaign, leader, bob, [{"sku": "GB-BERRY", "quantity": 1}, {"sku": "GB-EGG", "quantity": 3}], system_actor)
    place_groupbuy_order(member_actor(bob.pk), campaign=campaign, leader=leader, member=bob,
                         items=[{"sku": "GB-EGG", "quantity": 1}])  # unpaid: listed, not picked
    verify_pickup_by_leader(system_actor, leader, a1.pickup_code)
    sheet = selectors.order_sheet(campaign, leader)
    assert [m["name"] for m in sheet["members"]] == ["李阿姨", "赵先生"]
    assert sheet["totals"] == {"orders": 3, "paid_fen": 5980 + 2990 + 2970, "refunded_fen": 0, "to_hand_out": 1,
                               "handed_out": 1}
    picking = {p["item"]: (p["quantity"], p["picked_up"], p["to_hand_out"]) for p in sheet["picking"]}
    assert picking == {"丹东草莓": (3, 2, 1), "土鸡蛋 6 枚": (3, 0, 3)}
    wb = load_workbook(io.BytesIO(exports.order_sheet_xlsx(sheet)))
    assert wb.sheetnames == ["订单明细", "拣货单", "活动"]
    rows = list(wb["订单明细"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 4 and rows[0][1] == "李阿姨" and float(rows[0][9]) == 59.8


def test_statement_excel(make_campaign, leader, member, system_actor):
    campaign = make_campaign(rate=100)
    order = _paid(campaign, leader, member, [{"sku": "GB-BERRY", "quantity": 1}], system_actor)
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    today = timezone.localdate()
    (statement,) = statements.generate(system_actor, period_start=today, period_end=today, now=TOMORROW)
    wb = load_workbook(io.BytesIO(exports.statement_xlsx(statement)))
    summary = list(wb["结算单"].iter_rows(min_row=2, values_only=True))
    assert summary[0][1] == leader.code and float(summary[0][7]) == 2.99
    detail = list(wb["明细"].iter_rows(min_row=2, values_only=True))
    assert detail[0][2] == order.order_no
    period = load_workbook(io.BytesIO(exports.period_xlsx(list(LeaderStatement.objects.all()))))
    assert len(list(period["汇总"].iter_rows(min_row=2))) == 1
