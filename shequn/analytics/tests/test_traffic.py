"""私域流量价值 on a hand-made history: each factor per month, store and group, both lifetime-value sources,
store scoping and the number of queries."""

import datetime as dt
import zoneinfo

import pytest

from shequn.analytics import traffic
from shequn.analytics.models import ClvRun, MemberValue, Transaction
from shequn.communities.models import Group, GroupEvent, Membership
from shequn.core import clock
from shequn.core.actor import SYSTEM
from shequn.loyalty.models import CheckIn

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 4, 15, 12, tzinfo=SH)


def at(month, day, hour=12, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def history(make_member, store, other_store, monkeypatch):
    """Shanghai: A buys in March (and gets ¥20 back), B checks in, C speaks in the group, D joins a minute before
    April, E joins in April; G is deactivated. Beijing: F buys in February, March and just after March ends."""
    monkeypatch.setattr(clock, "now", lambda: NOW)
    refs = iter(range(1, 100))
    m = {}
    for name, shop, joined in (("A", store, at(1, 5)), ("B", store, at(2, 1)), ("C", store, at(3, 20)),
                               ("D", store, at(3, 31, 23, 59)), ("E", store, at(4, 2)), ("F", other_store, at(1, 1)),
                               ("G", store, at(1, 1))):
        m[name] = make_member(store=shop, joined_at=joined, name=name)
    m["G"].is_active = False
    m["G"].save(update_fields=["is_active"])

    def buy(member, when, fen, shop):
        Transaction.objects.create(member=member, occurred_at=when, amount_fen=fen, store=shop,
                                   source="order" if fen > 0 else "refund", source_ref=f"T{next(refs)}")

    buy(m["A"], at(3, 3), 10000, store)
    buy(m["A"], at(3, 6), -2000, store)
    buy(m["G"], at(3, 6), 7000, store)
    buy(m["F"], at(2, 10), 5000, other_store)
    buy(m["F"], at(3, 10), 3000, other_store)
    buy(m["F"], at(4, 1, 0, 10), 999, other_store)  # April in Shanghai, still March 31 in UTC
    CheckIn.objects.create(member=m["B"], local_date=dt.date(2026, 3, 10), streak=1, points=5)
    group = Group.objects.create(name="静安宝妈群", store=store)
    Membership.objects.create(group=group, member=m["A"], joined_at=at(2, 1), left_at=at(3, 15))
    Membership.objects.create(group=group, member=m["B"], joined_at=at(3, 5))
    Membership.objects.create(group=group, member=m["C"], joined_at=at(3, 21))
    GroupEvent.objects.create(source="h5", event_id="e1", group=group, member=m["A"], kind="join",
                              occurred_at=at(2, 1))  # joining is not activity
    GroupEvent.objects.create(source="h5", event_id="e2", group=group, member=m["C"], kind="message",
                              occurred_at=at(3, 22))
    return m, group


def cell(cells, month):
    return next(c for c in cells if c.month == month)


def test_each_factor_with_spend_fallback(history, store, django_assert_max_num_queries):
    m, group = history
    with django_assert_max_num_queries(10):
        tv = traffic.traffic_value(SYSTEM)
    assert tv.months[0] == "2025-05" and tv.months[-1] == "2026-04" and tv.ltv_source == "spend_12m"
    march = cell(tv.overall, "2026-03")
    # A, B, C, D, F are members at March end; A, B, C, F did something; A and F bought.
    assert (march.members, march.active, march.buyers) == (5, 4, 2)
    assert march.activity_rate == 0.8 and march.conversion_rate == 0.5
    # Trailing 12-month net spend: A 8000, F 8000, the rest 0 → 3200 on average.
    assert march.avg_ltv_fen == 3200 and march.ltv_members == 5
    assert march.value_fen == 5 * 0.8 * 0.5 * 3200 == 6400
    feb = cell(tv.overall, "2026-02")
    assert (feb.members, feb.active, feb.buyers, feb.avg_ltv_fen) == (3, 1, 1, round(5000 / 3))
    april = cell(tv.overall, "2026-04")
    assert (april.members, april.active, april.buyers) == (6, 1, 1)
    shanghai = next(r for r in tv.stores if r.key == store.code)
    sh = cell(shanghai.cells, "2026-03")
    assert (sh.members, sh.active, sh.buyers, sh.avg_ltv_fen, sh.value_fen) == (4, 3, 1, 2000, 2000)
    g = cell(tv.groups[0].cells, "2026-03")
    assert tv.groups[0].key == str(group.pk)
    assert (g.members, g.active, g.buyers, g.value_fen) == (2, 2, 0, 0)  # B and C; A left on the 15th
    assert cell(tv.groups[0].cells, "2026-02").members == 1 and cell(tv.groups[0].cells, "2026-02").active == 0


def test_lifetime_value_from_the_newest_run(history):
    m, _ = history
    fit = {"customers": 2, "r": 1, "alpha": 1, "a": 1, "b": 1, "log_likelihood": 0, "gg_p": 1, "gg_q": 1,
           "gg_v": 1, "gg_customers": 2, "gg_log_likelihood": 0, "time_unit": "day"}
    old = ClvRun.objects.create(calibration_end=dt.date(2026, 3, 1), **fit)
    run = ClvRun.objects.create(calibration_end=dt.date(2026, 4, 1), **fit)
    scores = {"frequency": 1, "recency": 1, "age": 1, "days_since_last": 1, "monetary_fen": 1, "p_alive": 1,
              "expected_purchases": 1, "expected_avg_spend_fen": 1, "churn_risk": "low"}
    MemberValue.objects.create(run=old, member=m["A"], clv_12m_fen=999_999, **scores)
    MemberValue.objects.create(run=run, member=m["A"], clv_12m_fen=12000, **scores)
    MemberValue.objects.create(run=run, member=m["F"], clv_12m_fen=30000, **scores)
    tv = traffic.traffic_value(SYSTEM)
    assert tv.ltv_source == "clv" and tv.clv_run == run
    march = cell(tv.overall, "2026-03")
    assert (march.ltv_members, march.avg_ltv_fen, march.value_fen) == (2, 21000, 42000)


def test_store_manager_sees_their_store_only(history, other_store):
    from shequn.accounts.actors import staff_actor
    from shequn.accounts.staff import ensure_staff

    user, _ = ensure_staff(SYSTEM, "mgr_traffic", role="store_manager", store_codes=[other_store.code])
    tv = traffic.traffic_value(staff_actor(user))
    assert [r.key for r in tv.stores] == [other_store.code] and tv.groups == []
    march = cell(tv.overall, "2026-03")
    assert (march.members, march.active, march.buyers, march.avg_ltv_fen) == (1, 1, 1, 8000)
