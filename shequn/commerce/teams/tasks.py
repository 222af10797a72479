import datetime as dt

from django.tasks import task

from shequn.core.scheduler import every

from . import services


@every("teams.expire_teams", dt.timedelta(minutes=1))
@task()
def expire_teams() -> dict:
    """拼团到期: expired teams fail; paid members are refunded, unpaid orders cancelled."""
    return services.expire_teams()
