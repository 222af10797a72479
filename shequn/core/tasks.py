import datetime as dt

from django.tasks import task

from . import outbox
from .scheduler import every


@every("core.drain_outbox", dt.timedelta(seconds=10))
@task()
def drain_outbox() -> int:
    return outbox.drain()
