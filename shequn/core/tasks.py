import datetime as dt

from django.tasks import task

from . import outbox
from .scheduler import every


@every("core.drain_outbox", dt.timedelta(seconds=10))
@task()
def drain_outbox() -> int:
    return outbox.drain()


@every("core.prune_task_results", dt.timedelta(days=1))
@task()
def prune_task_results() -> None:
    """Finished job records older than two weeks are not needed."""
    from django.core.management import call_command

    call_command("prune_db_task_results", queue_name="*", min_age_days=14, verbosity=0)


@every("core.prune_outbox", dt.timedelta(days=1))
@task()
def prune_outbox() -> int:
    return outbox.prune_processed()
