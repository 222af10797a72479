import datetime as dt

from django.tasks import task

from shequn.core.scheduler import every

from . import campaigns


@every("groupbuy.close_campaigns", dt.timedelta(minutes=1))
@task()
def close_campaigns() -> int:
    """Group buys whose pre-sale window is over: close, decide, refund / cancel the failed ones."""
    return campaigns.close_due()
