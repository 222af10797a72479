import datetime as dt

from django.tasks import task

from shequn.core.scheduler import every

from . import orders


@every("commerce.cancel_expired_orders", dt.timedelta(minutes=1))
@task()
def cancel_expired_orders() -> int:
    """Unpaid orders past their deadline give back stock, points and coupons."""
    return orders.cancel_expired()


@every("commerce.complete_orders", dt.timedelta(hours=1))
@task()
def complete_orders() -> int:
    return orders.complete_due()
