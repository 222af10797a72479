"""Demo customer intelligence: the models an analyst would have run on the demo history, so the analytics
pages open with numbers. Each step is one function; `load_analytics` runs them in order."""

from django.utils import timezone

from shequn.accounts.actors import staff_actor
from shequn.accounts.models import StaffUser
from shequn.analytics.clv.scoring import run_clv


def load_analytics(hq: StaffUser) -> str:
    """Run the analytics steps as the HQ operator; returns a short summary for the demo banner."""
    actor = staff_actor(hq)
    today = timezone.localdate()
    run, _ = run_clv(actor, calibration_end=today, time_unit="day")
    winback = winback_with_holdout(actor)
    return f"{run.customers} 位会员的价值测算，{winback}"


def winback_with_holdout(actor) -> str:
    """A win-back coupon granted 18 days ago to lapsing members with a 20% control group; some of the members
    who got it came back and used it, so 活动效果 shows an uplift with its interval."""
    from .campaign_demo import grant_winback

    return grant_winback(actor)
