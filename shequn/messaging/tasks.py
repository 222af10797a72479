"""Background delivery: one task per queued message, a sweep for lost tasks and stale claims."""

import datetime as dt

from django.tasks import task

from shequn.core.scheduler import every


@task()
def deliver_message(message_id: int) -> str:
    from .sending import deliver

    return deliver(message_id).status


@every("messaging.sweep", dt.timedelta(minutes=1))
@task()
def sweep_messages() -> int:
    """Deliver queued messages whose task was lost; mark claims of dead workers as failed."""
    from .sending import deliver, fail_stale_claims, pending_ids

    fail_stale_claims()
    ids = pending_ids()
    for message_id in ids:
        deliver(message_id)
    return len(ids)
