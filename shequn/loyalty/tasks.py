import datetime as dt

from django.tasks import task

from shequn.core.actor import SYSTEM, Actor
from shequn.core.scheduler import every

from . import activity, bulk, points, tiers


@every("loyalty.expire_points", dt.timedelta(hours=1))
@task()
def expire_points() -> int:
    return points.expire_due()


@every("loyalty.review_tiers", dt.timedelta(days=1))
@task()
def review_tiers() -> dict:
    return tiers.review_all()


@every("loyalty.birthday_gifts", dt.timedelta(hours=6))
@task()
def birthday_gifts() -> int:
    return activity.grant_birthday_gifts(SYSTEM)


@task()
def run_bulk_grant(grant_id: int, actor_label: str) -> int:
    actor = Actor(kind="system", id="bulk-grant", label=actor_label)
    return bulk.run_bulk_grant(grant_id, actor).granted
