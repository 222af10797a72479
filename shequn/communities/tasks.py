import datetime as dt

from django.tasks import task

from shequn.core import outbox
from shequn.core.scheduler import every

from . import attribution, health, posts, red_packets, suggestions

outbox.subscribe("order.paid", attribution.on_order_paid)
outbox.subscribe("order.refunded", attribution.on_order_refunded)


@every("communities.daily_metrics", dt.timedelta(hours=1))
@task()
def daily_metrics() -> int:
    """Today so far and yesterday (late events still arrive after midnight)."""
    today = health.local_today()
    return health.compute_daily_metrics(today - dt.timedelta(days=1)) + health.compute_daily_metrics(today)


@every("communities.suggestions", dt.timedelta(days=1))
@task()
def generate_suggestions() -> int:
    return suggestions.generate_suggestions()


@every("communities.publish_due_posts", dt.timedelta(minutes=1))
@task()
def publish_due_posts() -> int:
    return posts.publish_due_posts()


@every("communities.expire_red_packets", dt.timedelta(minutes=5))
@task()
def expire_red_packets() -> int:
    return red_packets.expire_red_packets()
