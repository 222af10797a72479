"""Demo customer intelligence: the models an analyst would have run on the demo history, so the analytics
pages open with numbers. Each step is one function; `load_analytics` runs them in order."""

from datetime import timedelta

from django.utils import timezone

from shequn.accounts.actors import staff_actor
from shequn.accounts.models import StaffUser
from shequn.analytics.clv.scoring import run_clv


def load_analytics(hq: StaffUser) -> str:
    """Run the analytics steps as the HQ operator; returns a short summary for the demo banner."""
    actor = staff_actor(hq)
    today = timezone.localdate()
    run, _ = run_clv(actor, calibration_end=today, time_unit="day")
    rfm = rfm_runs(actor, today)
    winback = winback_with_holdout(actor)
    segments = demo_segments(actor)
    return f"{run.customers} 位会员的价值测算，{rfm} 次 RFM 计算，{winback}，{segments}"


def rfm_runs(actor, today) -> int:
    """RFM a month ago and today, overall and per store, on one snapshot: the RFM page shows movement."""
    from shequn.analytics.rfm import run_rfm
    from shequn.analytics.snapshot import write_snapshot
    from shequn.stores.models import Store

    snapshot = write_snapshot()
    scopes = [None, *Store.objects.filter(kind=Store.Kind.STORE).order_by("code").values_list("code", flat=True)]
    for as_of in (today - timedelta(days=30), today):
        for code in scopes:
            run_rfm("duckdb", as_of, code, actor=actor, snapshot=snapshot)
    return 2 * len(scopes)


def winback_with_holdout(actor) -> str:
    """A win-back coupon granted 18 days ago to lapsing members with a 20% control group; some of the members
    who got it came back and used it, so 活动效果 shows an uplift with its interval."""
    from .campaign_demo import grant_winback

    return grant_winback(actor)


def demo_segments(actor) -> str:
    """客群 built on the runs above (high-value sleepers, new members, the first store's gold members) and the
    高价值 rule tag, all materialised."""
    from shequn.analytics.segments.demo import load_demo_segments

    return load_demo_segments(actor)
