import datetime as dt

from django.tasks import task

from shequn.core import outbox
from shequn.core.scheduler import every

from . import services

outbox.subscribe("member.created", services.on_member_created)


@every("coupons.expire", dt.timedelta(hours=1))
@task()
def expire_coupons() -> int:
    """Unused coupons past their validity become expired."""
    return services.expire_due()


@every("coupons.birthday", dt.timedelta(hours=6))
@task()
def birthday_coupons() -> int:
    """生日券 for members born today; once a year per template, so running it again gives nothing twice."""
    return services.issue_birthday()
