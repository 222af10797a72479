"""The per-member summary the value models see: local calendar days, same-day purchases as one, refunds."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from shequn.analytics.clv.summary import member_summary
from shequn.analytics.models import Transaction
from shequn.stores.models import Store

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
END = dt.date(2026, 3, 1)
_refs = itertools.count()


def buy(member, when: dt.datetime, yuan: str, *, order_no: str = "", store=None, tz=SHANGHAI):
    fen = round(float(yuan) * 100)
    Transaction.objects.create(member=member, occurred_at=when.replace(tzinfo=tz), amount_fen=fen,
                               order_no=order_no, store=store, source="import", source_ref=f"t{next(_refs)}")


def row(summary, member):
    i = list(summary.member_id).index(member.pk)
    return (int(summary.frequency[i]), int(summary.recency_days[i]), int(summary.age_days[i]),
            round(float(summary.monetary_fen[i]), 2))


def test_hand_made_history(make_member, store):
    regular, single, later, free = (make_member(store=store) for _ in range(4))
    d = dt.datetime
    buy(regular, d(2026, 1, 1, 10), "100.00", order_no="A1", store=store)
    buy(regular, d(2026, 1, 1, 20), "50.00", store=store)  # same day: one purchase of 150
    buy(regular, d(2026, 1, 11, 1), "80.00", store=store)  # 2026-01-10 17:00 UTC, but the 11th in Shanghai
    buy(regular, d(2026, 1, 20, 12), "60.00", order_no="A3", store=store)
    buy(regular, d(2026, 1, 25, 12), "-60.00", order_no="A3", store=store)  # refunded in full: no purchase
    buy(regular, d(2026, 2, 1, 12), "40.00", order_no="A4", store=store)
    buy(regular, d(2026, 2, 3, 12), "-10.00", order_no="A4", store=store)  # partly refunded: 30 on Feb 1
    buy(regular, d(2026, 3, 1, 23), "20.00", store=store)  # the calibration end day counts
    buy(regular, d(2026, 3, 2, 0, 30), "999.00", store=store)  # 2026-03-01 16:30 UTC: after the end locally
    buy(single, d(2026, 2, 15, 9), "99.00")
    buy(single, d(2026, 2, 20, 9), "-20.00")  # a refund on its own day is not a purchase
    buy(later, d(2026, 3, 5, 9), "10.00")
    buy(free, d(2026, 1, 5, 9), "10.00")
    buy(free, d(2026, 1, 6, 9), "0.00")  # a free purchase still counts

    summary = member_summary(END)
    assert len(summary) == 3  # `later` bought after the calibration end
    assert row(summary, regular) == (3, 59, 59, round((8000 + 3000 + 2000) / 3, 2))
    assert row(summary, single) == (0, 0, 14, 0.0)
    assert row(summary, free) == (1, 1, 55, 0.0)


def test_store_time_zone_and_store_filter(make_member, store):
    urumqi = Store.objects.create(code="XJ01", name="乌鲁木齐店", timezone="Asia/Urumqi")  # UTC+6
    member = make_member(store=store)
    utc = dt.UTC
    # 2026-02-28 17:30 UTC: Mar 1 01:30 in Shanghai, Feb 28 23:30 in Urumqi
    buy(member, dt.datetime(2026, 2, 28, 17, 30), "30.00", store=urumqi, tz=utc)
    buy(member, dt.datetime(2026, 2, 1, 12), "30.00", store=store)
    buy(member, dt.datetime(2026, 2, 28, 17, 30), "30.00", store=store, tz=utc)
    everything = member_summary(dt.date(2026, 2, 28))
    assert row(everything, member) == (1, 27, 27, 3000.0)  # Urumqi's purchase is on the 28th, Shanghai's after
    only_urumqi = member_summary(dt.date(2026, 2, 28), urumqi.pk)
    assert row(only_urumqi, member) == (0, 0, 0, 0.0)
    assert len(member_summary(dt.date(2026, 1, 31), urumqi.pk)) == 0


def test_home_store_time_zone_applies_without_a_transaction_store(make_member):
    urumqi = Store.objects.create(code="XJ02", name="喀什店", timezone="Asia/Urumqi")
    member = make_member(store=urumqi)
    buy(member, dt.datetime(2026, 2, 1, 12), "30.00")
    buy(member, dt.datetime(2026, 2, 28, 17, 30), "30.00", tz=dt.UTC)  # Feb 28 23:30 at home
    assert row(member_summary(dt.date(2026, 2, 28)), member) == (1, 27, 27, 3000.0)
