"""Flash sales (秒杀) over HTTP: create and list sales, live remaining, per-member stats, buy for a member."""

from ninja import Query, Router, Schema

from shequn.commerce.selectors import sku_by_code
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require
from shequn.members.selectors import get_member
from shequn.stores.selectors import store_by_code

from . import selectors, services
from .models import FlashSale
from .schemas import BuyerOut, BuyIn, BuyOut, SaleIn, SaleOut, SalePage

router = Router(tags=["flash sale"])

VIEW, CAMPAIGNS, ORDERS = "commerce.view", "commerce.campaigns", "commerce.orders"


class SaleFilters(Schema):
    status: str = ""
    store: str = ""
    cursor: str | None = None
    limit: int = 50


def sale_out(sale: FlashSale) -> dict:
    return {"id": sale.pk, "title": sale.title, "sku": sale.sku.code, "product_name": sale.sku.product.name,
            "store_code": sale.store.code, "list_price_fen": sale.sku.price_fen,
            "flash_price_fen": sale.flash_price_fen, "quantity": sale.quantity, "remaining": sale.remaining,
            "per_member_limit": sale.per_member_limit, "starts_at": sale.starts_at, "ends_at": sale.ends_at,
            "status": sale.status, "phase": selectors.phase(sale), "stats": selectors.sale_stats(sale)}


@router.post("/flash-sales", response={201: SaleOut}, summary="Create a flash sale (秒杀)")
@idempotent()
def create_sale(request, payload: SaleIn):
    actor = request.auth
    require(actor, CAMPAIGNS)
    sale = services.create_sale(actor, title=payload.title, sku=sku_by_code(payload.sku),
                                store=store_by_code(actor, payload.store_code),
                                flash_price_fen=payload.flash_price_fen, quantity=payload.quantity,
                                per_member_limit=payload.per_member_limit, starts_at=payload.starts_at,
                                ends_at=payload.ends_at)
    return 201, sale_out(selectors.get_sale(actor, sale.pk))


@router.get("/flash-sales", response=SalePage, summary="List flash sales, newest first")
def list_sales(request, filters: Query[SaleFilters]):
    actor = request.auth
    require(actor, VIEW)
    qs = selectors.sales_visible_to(actor)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.store:
        qs = qs.filter(store__code=filters.store)
    rows, next_cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [sale_out(s) for s in rows], "next_cursor": next_cursor}


@router.get("/flash-sales/{sale_id}", response=SaleOut, summary="A flash sale with live remaining and totals")
def get_sale(request, sale_id: int):
    actor = request.auth
    require(actor, VIEW)
    return sale_out(selectors.get_sale(actor, sale_id))


@router.get("/flash-sales/{sale_id}/buyers", response=list[BuyerOut], summary="Units per member in a sale")
def sale_buyers(request, sale_id: int):
    actor = request.auth
    require(actor, VIEW)
    return selectors.member_stats(selectors.get_sale(actor, sale_id))


@router.post("/flash-sales/{sale_id}/cancel", response=SaleOut, summary="Stop a flash sale")
@idempotent()
def cancel_sale(request, sale_id: int):
    actor = request.auth
    require(actor, CAMPAIGNS)
    services.cancel_sale(actor, selectors.get_sale(actor, sale_id))
    return sale_out(selectors.get_sale(actor, sale_id))


@router.post("/flash-sales/{sale_id}/buy", response={201: BuyOut}, summary="Buy in a flash sale for a member")
@idempotent(required=True)
def buy(request, sale_id: int, payload: BuyIn):
    actor = request.auth
    require(actor, ORDERS)
    sale = selectors.get_sale(actor, sale_id)
    order = services.buy(actor, sale, get_member(actor, payload.member_id), quantity=payload.quantity,
                         fulfilment=payload.fulfilment, address=payload.address)
    sale.refresh_from_db(fields=["remaining"])
    return 201, {"sale_id": sale.pk, "order_id": order.pk, "order_no": order.order_no, "status": order.status,
                 "quantity": payload.quantity, "total_fen": order.total_fen, "pay_by": order.expires_at,
                 "remaining": sale.remaining}
