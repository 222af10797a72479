import datetime as dt

from django.tasks import task

from shequn.core.scheduler import every

from . import services


@every("referral.release_rewards", dt.timedelta(hours=1))
@task()
def release_referral_rewards() -> int:
    """Pay referral rewards whose hold period is over; void referrals whose first-order window closed."""
    return services.release_due()
