"""Commerce core over HTTP: products, stock, orders, payments (and the providers' notifications),
refunds, pickups, the hot-products report and the commerce settings."""

import datetime as dt
import hashlib
import logging

from django.http import HttpResponse, JsonResponse
from ninja import Field, Query, Router, Schema

from shequn.core.errors import NotFound, PermissionDenied, Problem, ValidationProblem, problem_response
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.loyalty.models import Tier
from shequn.members.models import Member
from shequn.members.selectors import get_member
from shequn.stores.models import PickupPoint
from shequn.stores.selectors import store_by_code, stores_visible_to

from . import catalog, configuration, orders, payments, refunds, reports, selectors, stock
from .errors import InvalidOrder, ProductNotFound
from .models import Order, Product, Refund, Sku
from .pricing import settings_row
from .schemas import (
    AdjustmentIn,
    CancelIn,
    CatalogProductIn,
    CatalogProductOut,
    HotProductsOut,
    OrderDetailOut,
    OrderIn,
    OrderOut,
    OrderPage,
    PayIn,
    PayOut,
    PickupVerifyIn,
    PricesIn,
    ProductIn,
    ProductPage,
    ProductPatch,
    ReceiptIn,
    RefundIn,
    RefundOut,
    SettingsIn,
    SettingsOut,
    SkuOut,
    StockEntryOut,
    StockEntryPage,
)

log = logging.getLogger(__name__)
router = Router(tags=["commerce"])

VIEW, CATALOG, STOCK = "commerce.view", "commerce.catalog", "commerce.stock"
ORDERS, REFUND = "commerce.orders", "commerce.refund"


# --- shaping ------------------------------------------------------------------------------------------


def _store_ids(actor):
    return actor.store_ids if actor.scoped else None


def _locations(actor, sku: Sku) -> list[dict]:
    rows = selectors.stock_by_location(sku)
    if actor.scoped:
        codes = set(stores_visible_to(actor).values_list("code", flat=True))
        rows = [r for r in rows if r["store_code"] in codes]
    return rows


def sku_out(actor, sku: Sku) -> dict:
    product = sku.product
    return {"sku": sku.code, "product_id": product.pk, "name": product.name, "spec": sku.spec,
            "price_fen": sku.price_fen, "member_prices": _member_prices(sku),
            "stock_available": selectors.stock_available(sku, _store_ids(actor)),
            "category": product.category.name if product.category else None, "tags": product.tags,
            "description": product.description, "image_url": product.image_url,
            "is_active": product.is_active and sku.is_active, "stock_by_location": _locations(actor, sku)}


def _member_prices(sku: Sku) -> dict[str, int]:
    return {tp.tier_code: tp.price_fen for tp in sku.tier_prices.all()}


def product_out(actor, product: Product) -> dict:
    return {"id": product.pk, "name": product.name,
            "category": product.category.name if product.category else None, "tags": product.tags,
            "description": product.description, "image_url": product.image_url, "is_active": product.is_active,
            "created_at": product.created_at,
            "skus": [{"sku": s.code, "spec": s.spec, "price_fen": s.price_fen, "member_prices": _member_prices(s),
                      "stock_available": selectors.stock_available(s, _store_ids(actor)), "is_active": s.is_active}
                     for s in product.skus.all()]}


def entry_out(entry) -> dict:
    return {"id": entry.pk, "sku": entry.level.sku.code, "store_code": entry.level.store.code, "kind": entry.kind,
            "on_hand_delta": entry.on_hand_delta, "reserved_delta": entry.reserved_delta,
            "on_hand_after": entry.on_hand_after, "reserved_after": entry.reserved_after, "ref": entry.ref,
            "reason": entry.reason, "actor": entry.actor, "created_at": entry.created_at}


ORDER_FIELDS = ("id", "order_no", "status", "member_id", "fulfilment", "pickup_point_id", "channel", "channel_ref",
                "subtotal_fen", "member_discount_fen", "coupon_discount_fen", "points_used", "points_offset_fen",
                "delivery_fee_fen", "total_fen", "paid_fen", "refunded_fen", "payment_method", "pickup_code",
                "created_at", "expires_at", "paid_at")


def order_out(order: Order) -> dict:
    data = {name: getattr(order, name) for name in ORDER_FIELDS}
    data["store_code"] = order.store.code
    return data


def refund_out(refund: Refund) -> dict:
    return {"refund_no": refund.refund_no, "order_id": refund.order_id, "order_no": refund.order.order_no,
            "amount_fen": refund.amount_fen, "points_returned": refund.points_returned, "reason": refund.reason,
            "status": refund.status, "lines": refund.lines, "created_at": refund.created_at}


def order_detail_out(order: Order) -> dict:
    data = order_out(order)
    data.update(address=order.address, note=order.note, cancel_reason=order.cancel_reason,
                referrer_id=order.referrer_id,
                lines=[{"id": ln.pk, "sku": ln.sku.code, "product_name": ln.product_name, "spec": ln.spec,
                        "quantity": ln.quantity, "list_price_fen": ln.list_price_fen,
                        "unit_price_fen": ln.unit_price_fen, "discount_fen": ln.discount_fen, "paid_fen": ln.paid_fen,
                        "refunded_quantity": ln.refunded_quantity, "refunded_fen": ln.refunded_fen}
                       for ln in order.lines.select_related("sku")],
                payments=[{"provider": p.provider, "transaction_id": p.transaction_id, "amount_fen": p.amount_fen,
                           "status": p.status, "paid_at": p.paid_at} for p in order.payments.all()],
                refunds=[refund_out(r) for r in order.refunds.select_related("order")])
    return data


def _sku(code: str) -> Sku:
    return selectors.sku_by_code(code.strip())


# --- catalog ------------------------------------------------------------------------------------------


class ProductFilters(Schema):
    q: str = Field("", max_length=100)
    category: str = Field("", max_length=40)
    tag: str = Field("", max_length=20)
    active: bool | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.post("/products", response={201: SkuOut}, summary="Create a product with one SKU and opening stock")
@idempotent()
def create_product(request, payload: ProductIn):
    actor = request.auth
    require(actor, CATALOG)
    store = store_by_code(actor, payload.store_code) if payload.store_code else None
    if payload.stock:
        require(actor, STOCK)
    sku = catalog.create_simple_product(actor, sku=payload.sku.strip(), name=payload.name,
                                        price_fen=payload.price_fen, stock_quantity=payload.stock, store=store,
                                        category=payload.category, tags=payload.tags)
    return 201, sku_out(actor, selectors.sku_by_code(sku.code))


@router.get("/products", response=ProductPage, summary="List products (filters, cursor pagination)")
def list_products(request, filters: Query[ProductFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.products(q=filters.q.strip(), category=filters.category.strip(), tag=filters.tag.strip())
    if filters.active is not None:
        qs = qs.filter(is_active=filters.active)
    rows, next_cursor = paginate(qs.prefetch_related("skus__tier_prices"), filters.cursor, filters.limit,
                                 newest_first=False)
    return {"items": [product_out(actor, p) for p in rows], "next_cursor": next_cursor}


@router.get("/products/{sku}", response=SkuOut, summary="One SKU: price, member prices, stock per location")
def get_product(request, sku: str):
    require(request.auth, VIEW)
    return sku_out(request.auth, _sku(sku))


def _product_changes(payload: ProductPatch) -> dict:
    """The fields sent; a null or empty category removes it, other nulls are ignored."""
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    if "category" in payload.model_fields_set and not payload.category:
        changes["category"] = ""
    return changes


def _check_tiers(prices: dict[str, int]) -> None:
    unknown = sorted(set(prices) - set(Tier.objects.values_list("code", flat=True)))
    if unknown:
        raise ValidationProblem(f"Unknown tier {', '.join(unknown)}; see GET /api/v1/tiers.", type="unknown-tier",
                                field="member_prices")


@router.patch("/products/{sku}", response=SkuOut, summary="Change the product a SKU belongs to")
@idempotent()
def patch_product(request, sku: str, payload: ProductPatch):
    actor = request.auth
    require(actor, CATALOG)
    item = _sku(sku)
    changes = _product_changes(payload)
    if changes:
        catalog.update_product(actor, item.product, **changes)
    return sku_out(actor, _sku(sku))


@router.put("/products/{sku}/prices", response=SkuOut, summary="Replace the list price and member prices")
@idempotent()
def put_prices(request, sku: str, payload: PricesIn):
    actor = request.auth
    require(actor, CATALOG)
    item = _sku(sku)
    _check_tiers(payload.member_prices)
    tiers = {tier: 0 for tier in _member_prices(item) if tier not in payload.member_prices}
    tiers.update(payload.member_prices)
    if any(fen == 0 for fen in payload.member_prices.values()):
        raise ValidationProblem("A member price must be at least 1 fen; leave the tier out to remove it.",
                                type="invalid-product", field="member_prices")
    catalog.set_sku_price(actor, item, price_fen=payload.price_fen, tier_prices=tiers)
    return sku_out(actor, _sku(sku))


@router.post("/catalog/products", response={201: CatalogProductOut}, summary="Create a product with several SKUs")
@idempotent()
def create_catalog_product(request, payload: CatalogProductIn):
    actor = request.auth
    require(actor, CATALOG)
    for row in payload.skus:
        _check_tiers(row.member_prices)
    product = catalog.create_product(
        actor, name=payload.name, category=payload.category, tags=payload.tags, description=payload.description,
        image_url=payload.image_url,
        skus=[{"code": s.code.strip(), "spec": s.spec, "price_fen": s.price_fen, "tier_prices": s.member_prices}
              for s in payload.skus])
    return 201, product_out(actor, _product(product.pk))


def _product(product_id: int) -> Product:
    product = (selectors.products().prefetch_related("skus__tier_prices").filter(pk=product_id).first()
               if 0 < product_id < 2**63 else None)
    if product is None:
        raise ProductNotFound(f"No product {product_id}.")
    return product


@router.get("/catalog/products/{int:product_id}", response=CatalogProductOut, summary="One product with its SKUs")
def get_catalog_product(request, product_id: int):
    require(request.auth, VIEW)
    return product_out(request.auth, _product(product_id))


@router.patch("/catalog/products/{int:product_id}", response=CatalogProductOut, summary="Change a product")
@idempotent()
def patch_catalog_product(request, product_id: int, payload: ProductPatch):
    actor = request.auth
    require(actor, CATALOG)
    changes = _product_changes(payload)
    if changes:
        catalog.update_product(actor, _product(product_id), **changes)
    return product_out(actor, _product(product_id))


# --- stock --------------------------------------------------------------------------------------------


class EntryFilters(Schema):
    store: str = Field("", max_length=32)
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


@router.post("/stock/receipts", response={201: StockEntryOut}, summary="Receive stock at a store or warehouse")
@idempotent()
def receive_stock(request, payload: ReceiptIn):
    actor = request.auth
    require(actor, STOCK)
    store = store_by_code(actor, payload.store_code)
    entry = stock.receive(actor, _sku(payload.sku), store, payload.quantity, reason=payload.reason.strip())
    return 201, entry_out(entry)


@router.post("/stock/adjustments", response={201: StockEntryOut}, summary="Correct stock after a count (reason)")
@idempotent()
def adjust_stock(request, payload: AdjustmentIn):
    actor = request.auth
    require(actor, STOCK)
    store = store_by_code(actor, payload.store_code)
    entry = stock.adjust(actor, _sku(payload.sku), store, payload.delta, reason=payload.reason)
    return 201, entry_out(entry)


@router.get("/stock/{sku}/entries", response=StockEntryPage, summary="The stock ledger of a SKU, newest first")
def stock_entries(request, sku: str, filters: Query[EntryFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.stock_entries(_sku(sku), _store_ids(actor)).select_related("level__sku")
    if filters.store:
        qs = qs.filter(level__store=store_by_code(actor, filters.store))
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [entry_out(e) for e in rows], "next_cursor": next_cursor}


# --- orders -------------------------------------------------------------------------------------------


class OrderFilters(Schema):
    status: str = Field("", max_length=20)
    store: str = Field("", max_length=32)
    channel: str = Field("", max_length=16)
    member_id: int | None = Field(None, gt=0, lt=2**63)
    q: str = Field("", max_length=40, description="Order number (prefix), member number or name")
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


def _pickup_point(actor, point_id: int) -> PickupPoint:
    point = PickupPoint.objects.select_related("store").filter(pk=point_id).first() if point_id < 2**63 else None
    if point is None or (actor.scoped and point.store_id not in actor.store_ids):
        raise NotFound(f"No pickup point {point_id}.", type="pickup-point-not-found")
    return point


def _referrer(referrer_id: int | None) -> Member | None:
    if referrer_id is None:
        return None
    referrer = Member.objects.filter(pk=referrer_id).first() if referrer_id < 2**63 else None
    if referrer is None:
        raise InvalidOrder(f"No member {referrer_id} to credit as referrer.", type="unknown-referrer",
                           field="referrer_id")
    return referrer


def _out_of_scope() -> PermissionDenied:
    return PermissionDenied("Store managers place orders at their own stores; give your store_code.",
                            type="store-out-of-scope")


def _check_scope(actor, order: Order) -> None:
    if actor.scoped and order.store_id not in actor.store_ids:
        raise _out_of_scope()


@router.post("/orders", response={201: OrderDetailOut}, summary="Place an order (reserves stock)")
@idempotent(required=True, default_status=201)
def create_order(request, payload: OrderIn):
    actor = request.auth
    require(actor, ORDERS)
    member = get_member(actor, payload.member_id)
    store = store_by_code(actor, payload.store_code) if payload.store_code else None
    point = _pickup_point(actor, payload.pickup_point_id) if payload.pickup_point_id else None
    if actor.scoped and store is None and point is None and payload.fulfilment == "delivery":
        raise _out_of_scope()  # delivery without a store ships from the central warehouse
    order = orders.place_order(
        actor, member=member, items=[{"sku": i.sku.strip(), "quantity": i.quantity} for i in payload.items],
        fulfilment=payload.fulfilment, store=store, pickup_point=point, coupon_ids=payload.coupon_ids,
        points=payload.points, referrer=_referrer(payload.referrer_id), address=payload.address,
        note=payload.note)
    _check_scope(actor, order)  # the default location (home store, warehouse) may lie outside the caller's stores
    return 201, order_detail_out(selectors.get_order(actor, order.pk))


@router.get("/orders", response=OrderPage, summary="List orders (filters, cursor pagination)")
def list_orders(request, filters: Query[OrderFilters]):
    actor = request.auth
    require(actor, VIEW)
    if filters.status and filters.status not in Order.Status.values:
        raise ValidationProblem(f"Unknown status {filters.status!r}; one of {', '.join(Order.Status.values)}.",
                                type="invalid-filter", field="status")
    qs = selectors.search_orders(actor, status=filters.status, store=filters.store.strip(),
                                 channel=filters.channel.strip(), member_id=filters.member_id, q=filters.q.strip())
    if filters.created_from:
        qs = qs.filter(created_at__gte=reports.day_start(filters.created_from))
    if filters.created_to:
        qs = qs.filter(created_at__lt=reports.day_start(filters.created_to + dt.timedelta(days=1)))
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [order_out(o) for o in rows], "next_cursor": next_cursor}


@router.get("/orders/{int:order_id}", response=OrderDetailOut, summary="One order with lines, payments, refunds")
def get_order(request, order_id: int):
    require(request.auth, VIEW)
    return order_detail_out(_visible_order(request.auth, order_id))


def _visible_order(actor, order_id: int) -> Order:
    if not 0 < order_id < 2**63:
        raise NotFound(f"No order {order_id}.", type="order-not-found")
    return selectors.get_order(actor, order_id)


@router.post("/orders/{int:order_id}/pay", response=PayOut, summary="Pay: offline confirms; others check out")
@idempotent()
def pay_order(request, order_id: int, payload: PayIn):
    actor = request.auth
    require(actor, ORDERS)
    order = _visible_order(actor, order_id)
    result = payments.start_payment(actor, order, payload.method)
    checkout = None if isinstance(result, Order) else {"provider": result.provider, "params": result.params}
    data = order_out(selectors.get_order(actor, order_id))
    data["checkout"] = checkout
    return data


@router.post("/orders/{int:order_id}/cancel", response=OrderOut, summary="Cancel an unpaid order (stock released)")
@idempotent()
def cancel_order(request, order_id: int, payload: CancelIn | None = None):
    actor = request.auth
    require(actor, ORDERS)
    order = _visible_order(actor, order_id)
    reason = (payload.reason.strip() if payload else "") or "门店取消"
    return order_out(orders.cancel_order(actor, order, reason=reason))


def _refund_no(request, given: str) -> str:
    """The caller's refund number, else one derived from the Idempotency-Key: a retry finds the same refund."""
    if given.strip():
        return given.strip()
    key = request.headers.get("Idempotency-Key", "").strip()
    digest = hashlib.sha256(f"{request.auth.idempotency_scope}\0{key}".encode()).hexdigest()
    return "RF" + digest[:30].upper()


@router.post("/orders/{int:order_id}/refunds", response={201: RefundOut}, summary="Refund all or part of an order")
@idempotent(required=True, default_status=201)
def refund_order(request, order_id: int, payload: RefundIn):
    actor = request.auth
    require(actor, REFUND)
    order = _visible_order(actor, order_id)
    lines = [{k: v for k, v in line.dict().items() if v is not None} for line in payload.lines]
    refund = refunds.refund_order(actor, order, reason=payload.reason, amount_fen=payload.amount_fen,
                                  lines=lines or None, refund_no=_refund_no(request, payload.refund_no))
    return 201, refund_out(refund)


@router.post("/orders/{int:order_id}/fulfil", response=OrderOut, summary="Mark a delivery order as sent")
@idempotent()
def fulfil_order(request, order_id: int):
    actor = request.auth
    require(actor, ORDERS)
    return order_out(orders.mark_fulfilled(actor, _visible_order(actor, order_id)))


@router.post("/pickups/verify", response=OrderOut, summary="Verify a pickup code at a store or pickup point")
@idempotent()
def verify_pickup(request, payload: PickupVerifyIn):
    actor = request.auth
    require(actor, ORDERS)
    if bool(payload.store_code) == bool(payload.pickup_point_id):
        raise ValidationProblem("Give either store_code or pickup_point_id (where the member picks up).",
                                type="invalid-pickup-place", field="store_code")
    store = store_by_code(actor, payload.store_code) if payload.store_code else None
    point = _pickup_point(actor, payload.pickup_point_id) if payload.pickup_point_id else None
    return order_out(orders.verify_pickup(actor, code=payload.code, store=store, pickup_point=point))


# --- payment notifications ----------------------------------------------------------------------------


def _fail(request, status: int, message: str, type_: str = "invalid-notification") -> JsonResponse:
    """A notification not accepted: WeChat Pay reads {"code": "FAIL", "message"} and sends it again later;
    the same body is also a problem+json like every other error of the API."""
    return problem_response(request, Problem(message, status=status, type=type_, title="Notification not accepted",
                                             code="FAIL", message=message))


@router.post("/payments/{provider}/notify", auth=None, include_in_schema=True, response={204: None},
             summary="A payment provider's notification (its signature is the authentication)")
def payment_notify(request, provider: str):
    from .providers import NotPaidNotification
    from .providers.base import PROVIDER_NAMES
    if provider not in PROVIDER_NAMES or provider == "offline":
        return _fail(request, 404, f"No notifications for provider {provider!r}.", "unknown-provider")
    try:
        order = payments.handle_notification(provider, request.headers, request.body)
    except NotPaidNotification as problem:
        log.info("payment notification not a payment (%s): %s", provider, problem.detail)
        return HttpResponse(status=204)
    except Problem as problem:
        log.warning("payment notification refused (%s, %s): %s", provider, problem.type, problem.detail)
        return _fail(request, problem.status if 400 <= problem.status < 600 else 400, problem.detail, problem.type)
    log.info("payment notification accepted (%s) for order %s", provider, order.order_no)
    return HttpResponse(status=204)


# --- reports and settings -----------------------------------------------------------------------------


class HotFilters(Schema):
    store: str = Field("", max_length=32)
    date_from: dt.date | None = Field(None, alias="from")
    date_to: dt.date | None = Field(None, alias="to")
    limit: int = Field(50, ge=1, le=500)


@router.get("/reports/hot-products", response=HotProductsOut, summary="爆品: products ranked by net sales (Pareto)")
def hot_products(request, filters: Query[HotFilters]):
    actor = request.auth
    require(actor, VIEW)
    return reports.hot_products(actor, store=filters.store.strip(), date_from=filters.date_from,
                                date_to=filters.date_to, limit=filters.limit)


def _settings_out(row) -> dict:
    return {**configuration.settings_dict(row), "updated_at": row.updated_at}


@router.get("/commerce/settings", response=SettingsOut, summary="商城设置")
def get_settings(request):
    require(request.auth, VIEW)
    return _settings_out(settings_row())


@router.put("/commerce/settings", response=SettingsOut, summary="Change the commerce settings")
@idempotent()
def put_settings(request, payload: SettingsIn):
    actor = request.auth
    require(actor, CATALOG)
    return _settings_out(configuration.update_settings(actor, **payload.dict()))
