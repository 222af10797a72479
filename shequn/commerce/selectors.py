"""Reads for catalog, stock and orders, scoped to the actor's stores."""

from django.db.models import Prefetch, Q, QuerySet, Sum

from shequn.core.actor import Actor

from .errors import OrderNotFound, ProductNotFound
from .models import Order, Product, Sku, StockEntry, StockLevel


def sku_by_code(code: str) -> Sku:
    try:
        return Sku.objects.select_related("product", "product__category").get(code=code)
    except Sku.DoesNotExist:
        raise ProductNotFound(f"No product with SKU {code}.") from None


def stock_available(sku: Sku, store_ids=None) -> int:
    levels = StockLevel.objects.filter(sku=sku)
    if store_ids is not None:
        levels = levels.filter(store_id__in=store_ids)
    row = levels.aggregate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    return (row["on_hand"] or 0) - (row["reserved"] or 0)


def stock_by_location(sku: Sku) -> list[dict]:
    return [{"store_code": lv.store.code, "store_name": lv.store.name, "on_hand": lv.on_hand,
             "reserved": lv.reserved, "available": lv.available}
            for lv in StockLevel.objects.filter(sku=sku).select_related("store").order_by("store__code")]


def products(*, q: str = "", category: str = "", tag: str = "", active_only: bool = False) -> QuerySet[Product]:
    qs = Product.objects.select_related("category").prefetch_related("skus")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(skus__code__icontains=q)).distinct()
    if category:
        qs = qs.filter(category__name=category)
    if tag:
        qs = qs.filter(tags__contains=[tag]) if _json_contains() else qs.filter(tags__icontains=f'"{tag}"')
    if active_only:
        qs = qs.filter(is_active=True)
    return qs


def _json_contains() -> bool:
    from django.db import connection
    return connection.vendor == "postgresql"


def stock_entries(sku: Sku, store_ids=None) -> QuerySet[StockEntry]:
    qs = StockEntry.objects.filter(level__sku=sku).select_related("level__store")
    if store_ids is not None:
        qs = qs.filter(level__store_id__in=store_ids)
    return qs.order_by("-id")


def orders_visible_to(actor: Actor) -> QuerySet[Order]:
    qs = Order.objects.select_related("member", "store", "pickup_point")
    if actor.kind == "member":
        return qs.filter(member_id=int(actor.id))
    if actor.scoped:
        qs = qs.filter(store_id__in=actor.store_ids)
    return qs


def get_order(actor: Actor, order_id: int) -> Order:
    order = (orders_visible_to(actor).prefetch_related(Prefetch("lines"), "payments", "refunds")
             .filter(pk=order_id).first())
    if order is None:
        raise OrderNotFound(f"No order {order_id}.")
    return order


def get_order_by_no(actor: Actor, order_no: str) -> Order:
    order = orders_visible_to(actor).filter(order_no=order_no).first()
    if order is None:
        raise OrderNotFound(f"No order {order_no}.")
    return order


def search_orders(actor: Actor, *, status: str = "", store: str = "", channel: str = "", member_id: int | None = None,
                  q: str = "") -> QuerySet[Order]:
    qs = orders_visible_to(actor)
    if status:
        qs = qs.filter(status=status)
    if store:
        qs = qs.filter(store__code=store)
    if channel:
        qs = qs.filter(channel=channel)
    if member_id:
        qs = qs.filter(member_id=member_id)
    if q:
        qs = qs.filter(Q(order_no__startswith=q) | Q(member__member_no=q) | Q(member__name__icontains=q))
    return qs
