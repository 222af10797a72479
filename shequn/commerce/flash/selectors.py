"""Reads for flash sales: what a staff member may see, what members can buy now, per-member stats."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum

from shequn.commerce.models import Order
from shequn.core import clock
from shequn.core.actor import Actor

from .errors import FlashSaleNotFound
from .models import FlashOrder, FlashSale

PAID_STATUSES = [s for s in Order.Status.values if s not in (Order.Status.PENDING_PAYMENT, Order.Status.CANCELLED)]


def sales_visible_to(actor: Actor) -> QuerySet[FlashSale]:
    qs = FlashSale.objects.select_related("sku__product", "store")
    if actor.scoped:
        qs = qs.filter(store_id__in=actor.store_ids)
    return qs


def get_sale(actor: Actor, sale_id: int) -> FlashSale:
    sale = sales_visible_to(actor).filter(pk=sale_id).first() if 0 < sale_id < 2**63 else None
    if sale is None:
        raise FlashSaleNotFound(f"No flash sale {sale_id}.")
    return sale


def sale_for_members(sale_id: int) -> FlashSale:
    sale = FlashSale.objects.select_related("sku__product", "store").filter(pk=sale_id).first() \
        if 0 < sale_id < 2**63 else None
    if sale is None:
        raise FlashSaleNotFound(f"No flash sale {sale_id}.")
    return sale


def current_and_upcoming(now: dt.datetime | None = None) -> QuerySet[FlashSale]:
    """Sales members see: running or not yet started, soonest first."""
    now = now or clock.now()
    return (FlashSale.objects.select_related("sku__product", "store")
            .filter(status=FlashSale.Status.ACTIVE, ends_at__gt=now).order_by("starts_at", "id"))


def phase(sale: FlashSale, now: dt.datetime | None = None) -> str:
    """upcoming | live | sold_out | ended | cancelled"""
    now = now or clock.now()
    if sale.status == FlashSale.Status.CANCELLED:
        return "cancelled"
    if now < sale.starts_at:
        return "upcoming"
    if now >= sale.ends_at:
        return "ended"
    return "sold_out" if sale.remaining <= 0 else "live"


def sale_stats(sale: FlashSale) -> dict:
    """Units paid, units waiting for payment, units given back by cancelled orders, and buyers."""
    rows = FlashOrder.objects.filter(sale=sale)
    agg = rows.aggregate(
        paid=Sum("quantity", filter=Q(order__status__in=PAID_STATUSES)),
        pending=Sum("quantity", filter=Q(order__status=Order.Status.PENDING_PAYMENT)),
        given_back=Sum("quantity", filter=Q(cancelled=True)),
        buyers=Count("member", filter=Q(cancelled=False), distinct=True),
        orders=Count("id"))
    return {key: value or 0 for key, value in agg.items()}


def member_stats(sale: FlashSale, limit: int = 200) -> list[dict]:
    """Per member: units held (not cancelled), units paid, orders; most units first."""
    rows = (FlashOrder.objects.filter(sale=sale).values("member_id", "member__name", "member__member_no")
            .annotate(units=Sum("quantity", filter=Q(cancelled=False)),
                      paid=Sum("quantity", filter=Q(order__status__in=PAID_STATUSES)),
                      orders=Count("id"), given_back=Count("id", filter=Q(cancelled=True)))
            .order_by("-units", "member_id")[:limit])
    return [{"member_id": r["member_id"], "name": r["member__name"], "member_no": r["member__member_no"],
             "units": r["units"] or 0, "paid": r["paid"] or 0, "orders": r["orders"],
             "cancelled": r["given_back"]} for r in rows]


def member_units(sale: FlashSale, member) -> int:
    if member is None:
        return 0
    return FlashOrder.objects.filter(sale=sale, member=member, cancelled=False).aggregate(
        n=Sum("quantity"))["n"] or 0
