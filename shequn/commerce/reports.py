"""爆品: the few products that carry most of the sales, per store and period (a Pareto ranking).

Sales are what members paid for the goods (after member prices, coupons and points; without delivery),
net of refunds, for orders paid in the period. A product is "hot" while the products ranked above it
hold less than 80% of the period's sales, so the product that crosses 80% is hot too."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from django.db.models import Count, F, Sum

from shequn.core import clock
from shequn.core.actor import Actor
from shequn.core.errors import ValidationProblem
from shequn.stores.selectors import store_by_code

from .models import OrderLine

PARETO_NUMERATOR, PARETO_DENOMINATOR = 4, 5  # 80%, compared in whole numbers
MAX_DAYS = 731
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@dataclass
class HotProduct:
    rank: int
    product_id: int
    name: str
    category: str | None
    quantity: int
    sales_fen: int
    orders: int
    share: float
    cumulative_share: float
    is_hot: bool


@dataclass
class HotProductsReport:
    date_from: dt.date
    date_to: dt.date
    store: str | None
    total_fen: int
    total_quantity: int
    product_count: int
    hot_count: int
    items: list[HotProduct]


def period(date_from: dt.date | None, date_to: dt.date | None, days: int = 30) -> tuple[dt.date, dt.date]:
    """Inclusive local dates; by default the last `days` days up to today (Asia/Shanghai)."""
    today = clock.now().astimezone(SHANGHAI).date()
    date_to = date_to or today
    date_from = date_from or date_to - dt.timedelta(days=days - 1)
    if date_from > date_to:
        raise ValidationProblem("The period starts after it ends; swap from and to.", type="invalid-period",
                                field="from")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationProblem(f"A report covers at most {MAX_DAYS} days.", type="invalid-period", field="from")
    return date_from, date_to


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local (Asia/Shanghai) date, as an aware time."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)


def hot_products(actor: Actor, *, store: str = "", date_from: dt.date | None = None,
                 date_to: dt.date | None = None, limit: int = 50) -> HotProductsReport:
    """Products ranked by net sales in the period, at one store or every store the actor sees."""
    date_from, date_to = period(date_from, date_to)
    limit = max(1, min(int(limit), 500))
    start, end = day_start(date_from), day_start(date_to + dt.timedelta(days=1))
    lines = OrderLine.objects.filter(order__paid_at__gte=start, order__paid_at__lt=end)
    if store:
        lines = lines.filter(order__store_id=store_by_code(actor, store).pk)
    elif actor.scoped:
        lines = lines.filter(order__store_id__in=actor.store_ids)
    rows = list(lines.values(product_id=F("sku__product_id"), name=F("sku__product__name"),
                             category=F("sku__product__category__name"))
                .annotate(sales=Sum(F("paid_fen") - F("refunded_fen")),
                          quantity=Sum(F("quantity") - F("refunded_quantity")),
                          orders=Count("order_id", distinct=True))
                .order_by())
    rows = [r for r in rows if (r["sales"] or 0) > 0 or (r["quantity"] or 0) > 0]
    rows.sort(key=lambda r: (-(r["sales"] or 0), -(r["quantity"] or 0), r["product_id"]))
    total = sum(r["sales"] or 0 for r in rows)
    items, before, hot_count = [], 0, 0
    for rank, row in enumerate(rows, start=1):
        sales = row["sales"] or 0
        hot = sales > 0 and before * PARETO_DENOMINATOR < PARETO_NUMERATOR * total
        hot_count += hot
        before += sales
        if rank <= limit:
            items.append(HotProduct(rank=rank, product_id=row["product_id"], name=row["name"],
                                    category=row["category"], quantity=row["quantity"] or 0, sales_fen=sales,
                                    orders=row["orders"], share=round(sales / total, 4) if total else 0.0,
                                    cumulative_share=round(before / total, 4) if total else 0.0, is_hot=hot))
    return HotProductsReport(date_from=date_from, date_to=date_to, store=store or None, total_fen=total,
                             total_quantity=sum(r["quantity"] or 0 for r in rows), product_count=len(rows),
                             hot_count=hot_count, items=items)
