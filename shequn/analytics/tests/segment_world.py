"""A small hand-made world for segment tests: five members whose every attribute is known."""

import datetime as dt

from django.utils import timezone

from shequn.analytics.models import ClvRun, MemberValue, RfmRun, RfmScore, Transaction
from shequn.communities.models import Group, Membership
from shequn.core import clock
from shequn.loyalty.models import LoyaltyAccount, Tier
from shequn.loyalty.program import ensure_default_tiers
from shequn.members.models import Consent, Member, Tag


def days_ago(n: int, hour: int = 12) -> dt.datetime:
    """Local noon n calendar days ago."""
    day = clock.local_date() - dt.timedelta(days=n)
    return clock.start_of_local_day(day) + dt.timedelta(hours=hour)


def _buy(member, n_days_ago: int, fen: int, ref: str, store=None) -> None:
    Transaction.objects.create(member=member, occurred_at=days_ago(n_days_ago), amount_fen=fen,
                               source="import", source_ref=ref, store=store or member.home_store)


def _clv_run(cells: dict) -> ClvRun:
    run = ClvRun.objects.create(calibration_end=clock.local_date(), time_unit="day", customers=len(cells), r=1,
                                alpha=1, a=1, b=1, log_likelihood=0, gg_p=1, gg_q=1, gg_v=1, gg_customers=1,
                                gg_log_likelihood=0)
    for member, (decile, risk) in cells.items():
        MemberValue.objects.create(run=run, member=member, frequency=1, recency=1, age=1, days_since_last=1,
                                   monetary_fen=1, p_alive=0.5, expected_purchases=1, expected_avg_spend_fen=1,
                                   clv_12m_fen=100 * (11 - decile), churn_risk=risk, value_decile=decile)
    return run


def _rfm_run(as_of: dt.date, cells: dict, store=None) -> RfmRun:
    run = RfmRun.objects.create(as_of=as_of, store=store, engine="duckdb", time_zone="Asia/Shanghai",
                                members=len(cells))
    for member, cell in cells.items():
        RfmScore.objects.create(run=run, member=member, recency_days=1, frequency=1, monetary_fen=1, r_score=1,
                                f_score=1, m_score=1, fm_score=1, cell=cell)
    return run


def build(make_member, store, other_store) -> dict[str, Member]:
    """gold_a: gold at store A, joined 400 days ago, net ¥500 over three orders on two days in the last 30 days,
    tagged VIP, marketing granted, in group A1, champions, top decile, low risk.
    new_a: basic at A, joined 5 days ago, never bought, marketing granted then withdrawn.
    silver_b: silver at B, joined 200 days ago, one ¥80 order 100 days ago, VIP, profiling granted, left group
    A1, in group B1, at_risk, decile 5, high risk.
    old_b: basic at B, joined 800 days ago, ¥2,000 order 400 days ago, hibernating, decile 9, medium risk.
    gone: gold at A but inactive (deleted account): never in any segment."""
    ensure_default_tiers()
    tiers = {t.code: t for t in Tier.objects.all()}
    m = {"gold_a": make_member(store=store, name="金卡甲"), "new_a": make_member(store=store, name="新客甲"),
         "silver_b": make_member(store=other_store, name="银卡乙"),
         "old_b": make_member(store=other_store, name="老客乙"),
         "gone": make_member(store=store, name="注销")}
    joined = {"gold_a": 400, "new_a": 5, "silver_b": 200, "old_b": 800, "gone": 400}
    for key, member in m.items():
        Member.objects.filter(pk=member.pk).update(joined_at=days_ago(joined[key]))
    for key, code in (("gold_a", "gold"), ("silver_b", "silver"), ("gone", "gold")):
        LoyaltyAccount.objects.filter(member=m[key]).update(tier=tiers[code])
    Member.objects.filter(pk=m["gone"].pk).update(is_active=False)

    _buy(m["gold_a"], 2, 30_000, "g1")
    _buy(m["gold_a"], 2, 10_000, "g2")
    _buy(m["gold_a"], 20, 20_000, "g3")
    _buy(m["gold_a"], 1, -10_000, "g4")  # a refund
    _buy(m["silver_b"], 100, 8_000, "s1")
    _buy(m["old_b"], 400, 200_000, "o1")
    _buy(m["gone"], 3, 90_000, "x1")

    vip, _ = Tag.objects.get_or_create(name="VIP")
    Tag.objects.get_or_create(name="尝鲜")
    for key in ("gold_a", "silver_b", "gone"):
        m[key].tags.add(vip)

    for key, purpose, granted in (("gold_a", "marketing", True), ("new_a", "marketing", True),
                                  ("new_a", "marketing", False), ("silver_b", "profiling", True),
                                  ("gone", "marketing", True)):
        Consent.objects.create(member=m[key], purpose=purpose, granted=granted, notice_version="v1")

    group_a = Group.objects.create(name="静安宝妈群", store=store)
    group_b = Group.objects.create(name="朝阳吃货群", store=other_store)
    now = timezone.now()
    Membership.objects.create(group=group_a, member=m["gold_a"], joined_at=now)
    Membership.objects.create(group=group_a, member=m["silver_b"], joined_at=now, left_at=now)
    Membership.objects.create(group=group_b, member=m["silver_b"], joined_at=now)
    m["groups"] = {"A1": group_a.pk, "B1": group_b.pk}

    today = clock.local_date()
    _rfm_run(today - dt.timedelta(days=30), {m["gold_a"]: "lost", m["silver_b"]: "champions"})  # an older run
    _rfm_run(today, {m["gold_a"]: "champions", m["silver_b"]: "at_risk", m["old_b"]: "hibernating",
                     m["gone"]: "champions"})
    _rfm_run(today, {m["gold_a"]: "lost"}, store=store)  # a store run is not the overall one
    _clv_run({m["gold_a"]: (1, "low"), m["silver_b"]: (5, "high"), m["old_b"]: (9, "medium"),
              m["gone"]: (1, "low")})
    return m
