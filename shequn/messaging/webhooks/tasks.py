"""Background jobs: fan outbox events out to deliveries, send what is due (found by task autodiscovery)."""

import datetime as dt

from django.tasks import task

from shequn.core import outbox
from shequn.core.scheduler import every

from . import fanout, sender, services

outbox.subscribe("*", fanout.on_event)


@every("webhooks.send", dt.timedelta(seconds=10))
@task()
def send_webhooks() -> dict[str, int]:
    return sender.send_due()


@every("webhooks.prune", dt.timedelta(days=1))
@task()
def prune_webhook_log() -> int:
    return services.prune_log()
