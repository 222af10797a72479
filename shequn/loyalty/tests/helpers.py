"""Ledger invariants and local times shared by the loyalty tests."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models import Sum

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(year, month, day, hour=12, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def account_of(member_id):
    from shequn.loyalty.models import LoyaltyAccount

    return LoyaltyAccount.objects.select_related("tier").get(pk=member_id)


def balance_of(member_id) -> int:
    return account_of(member_id).points_balance


def assert_ledger_consistent(member_id) -> int:
    """balance == sum(entries) == sum(lot remaining) == last balance_after, all >= 0."""
    from shequn.loyalty.models import PointsEntry, PointsLot

    balance = balance_of(member_id)
    entries = PointsEntry.objects.filter(member_id=member_id)
    ledger = entries.aggregate(s=Sum("points"))["s"] or 0
    lots = PointsLot.objects.filter(member_id=member_id).aggregate(s=Sum("remaining"))["s"] or 0
    last = entries.order_by("-id").values_list("balance_after", flat=True).first() or 0
    assert balance >= 0
    assert ledger == lots == last == balance, \
        f"balance {balance}, ledger {ledger}, lots {lots}, last balance_after {last}"
    assert not PointsLot.objects.filter(member_id=member_id, remaining__lt=0).exists()
    return balance
