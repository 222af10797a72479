"""Member H5 shop (商城): product list, product page, cart, checkout, my orders.

Prices come from the order core (`orders.price_lines`, `pricing`), orders are placed and cancelled
through `orders.place_order` / `orders.cancel_order` acting as the member; views hold no price rules."""

import datetime as dt
import hashlib
import secrets

import segno
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Sum
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from shequn.commerce import orders, selectors
from shequn.commerce.models import Category, Order, Product, Sku, StockLevel
from shequn.core.errors import Conflict, Problem
from shequn.core.models import IdempotencyRecord
from shequn.core.money import format_fen
from shequn.core.pagination import decode_cursor, paginate
from shequn.members.models import Member
from shequn.stores.models import Store

from . import cart
from .card import local_time
from .session import actor_for, member_required

PRODUCTS_PAGE_SIZE = 20
ORDERS_PAGE_SIZE = 20
LOW_STOCK = 5
CHECKOUT_TOKEN = "shop_checkout_token"
STALE_CLAIM = dt.timedelta(minutes=2)  # a checkout still unfinished after this has died
REFERRER_KEY = "referrer_member_id"  # set by the referral (distributor link) pages
TABS = {
    "pending": (Order.Status.PENDING_PAYMENT,),
    "pickup": (Order.Status.PAID, Order.Status.FULFILLED),
    "done": (Order.Status.PICKED_UP, Order.Status.COMPLETED),
    "refund": (Order.Status.PARTIALLY_REFUNDED, Order.Status.REFUNDED),
}


def channel_label(channel: str) -> str:
    """How the order came in, for orders not bought in the shop itself (团购, 拼团 …)."""
    labels = {"groupbuy": _("社群团购"), "team": _("拼团"), "flash": _("秒杀"), "live": _("直播"), "pos": _("门店")}
    return labels.get(channel, "")


def tab_labels() -> list[tuple[str, str]]:
    return [("", _("全部")), ("pending", _("待付款")), ("pickup", _("待提货")), ("done", _("已完成")),
            ("refund", _("退款"))]


# --- reads -----------------------------------------------------------------------------------------------


def _available(sku_ids, store_ids=None) -> dict[int, int]:
    """Available stock per SKU at open locations (all of them, or the given ones)."""
    levels = StockLevel.objects.filter(sku_id__in=list(sku_ids), store__is_active=True)
    if store_ids is not None:
        levels = levels.filter(store_id__in=list(store_ids))
    rows = levels.values("sku_id").annotate(available=Sum(F("on_hand") - F("reserved")))
    return {row["sku_id"]: max(row["available"] or 0, 0) for row in rows}


def _member_prices(member: Member, skus: list[Sku]) -> dict[str, int]:
    """会员价 of one piece of each SKU for this member's tier, as the order core prices it."""
    if not skus:
        return {}
    _tier, lines = orders.price_lines(member.pk, [orders.Item(s.code, 1) for s in skus], {s.code: s for s in skus})
    return {line.code: line.unit_price_fen for line in lines}


def _active_skus(product: Product) -> list[Sku]:
    return [s for s in product.skus.all() if s.is_active]


def _shop_products(q: str, category: str):
    return (selectors.products(q=q, category=category, active_only=True).prefetch_related(None)
            .prefetch_related(Prefetch("skus", queryset=Sku.objects.filter(is_active=True)
                                       .prefetch_related("tier_prices").select_related("product"))))


def _card(product: Product, prices: dict[str, int], available: dict[int, int]) -> dict | None:
    skus = _active_skus(product)
    if not skus:
        return None
    cheapest = min(skus, key=lambda s: (prices[s.code], s.price_fen))
    return {"product": product, "sku": cheapest, "price_fen": cheapest.price_fen,
            "member_fen": prices[cheapest.code], "multi": len(skus) > 1,
            "sold_out": sum(available.get(s.pk, 0) for s in skus) == 0}


@member_required
def shop(request):
    """商城: scenario categories as chips, search, product cards with my member price."""
    q = (request.GET.get("q") or "").strip()[:40]
    category = (request.GET.get("category") or "").strip()[:40]
    cursor = request.GET.get("cursor") or None
    if cursor:
        try:
            decode_cursor(cursor)
        except Problem:
            return redirect("h5:shop")
    page, next_cursor = paginate(_shop_products(q, category), cursor, PRODUCTS_PAGE_SIZE, newest_first=False)
    skus = [s for p in page for s in _active_skus(p)]
    prices, available = _member_prices(request.member, skus), _available(s.pk for s in skus)
    cards = [c for c in (_card(p, prices, available) for p in page) if c]
    categories = Category.objects.filter(products__is_active=True).distinct().order_by("sort", "name")
    return render(request, "h5/shop/list.html", {
        "cards": cards, "categories": categories, "q": q, "category": category, "next_cursor": next_cursor,
        "first_page": cursor is None, "cart_count": cart.count(request.session)})


def _pickup_store(member: Member) -> Store | None:
    home = member.home_store
    if home is not None and home.is_active and home.kind == Store.Kind.STORE:
        return home
    return None


def _stock_hint(available: int) -> dict:
    if available <= 0:
        return {"level": "none", "text": _("暂时缺货")}
    if available <= LOW_STOCK:
        return {"level": "low", "text": _("仅剩 %(n)s 件") % {"n": available}}
    return {"level": "ok", "text": _("有货")}


def _sku_rows(member: Member, skus: list[Sku]) -> list[dict]:
    prices = _member_prices(member, skus)
    ids = [s.pk for s in skus]
    everywhere = _available(ids)
    home = _pickup_store(member)
    at_home = _available(ids, [home.pk]) if home else {}
    warehouse = Store.objects.filter(code="WH").values_list("pk", flat=True).first()
    delivered = _available(ids, [warehouse]) if warehouse else {}
    return [{"sku": s, "member_fen": prices[s.code], "saving_fen": s.price_fen - prices[s.code],
             "sold_out": everywhere.get(s.pk, 0) == 0,
             "pickup": _stock_hint(at_home.get(s.pk, 0)) if home else None,
             "delivery": _stock_hint(delivered.get(s.pk, 0))} for s in skus]


@require_http_methods(["GET", "POST"])
@member_required
def product(request, product_id: int):
    """商品详情: choose a spec, see my member price and stock, add to the cart."""
    item = _shop_products("", "").filter(pk=product_id).first()
    if item is None or not _active_skus(item):
        raise Http404("No such product on sale.")
    rows = _sku_rows(request.member, _active_skus(item))
    codes = [r["sku"].code for r in rows]
    chosen = request.POST.get("sku") or request.GET.get("sku") or next(
        (r["sku"].code for r in rows if not r["sold_out"]), codes[0])
    error, status = None, 200
    if request.method == "POST":
        try:
            if chosen not in codes:
                raise cart.InvalidCart(_("请选择规格。"), field="sku")
            in_cart = cart.add(request.session, chosen, cart.parse_quantity(request.POST.get("quantity")))
        except Problem as problem:
            error, status = problem.detail, problem.status
        else:
            if request.POST.get("then") == "buy":
                return redirect("h5:checkout")
            messages.success(request, _("已加入购物车（共 %(n)s 件）") % {"n": in_cart})
            return redirect(f"{reverse('h5:product', args=[item.pk])}?sku={chosen}")
    return render(request, "h5/shop/product.html", {
        "product": item, "rows": rows, "chosen": chosen if chosen in codes else codes[0],
        "home_store": _pickup_store(request.member), "error": error, "max_quantity": cart.MAX_QUANTITY,
        "sold_out": all(r["sold_out"] for r in rows),
        "cart_count": cart.count(request.session)}, status=status)


# --- cart and checkout ------------------------------------------------------------------------------------


@member_required
def cart_page(request):
    """购物车: quantities, member prices, and the way to checkout."""
    quote = cart.quote(request.member, cart.items(request.session), coupon_ids=[])
    stock = _available(line.sku.pk for line in quote.lines)
    rows = [{"line": line, "available": stock.get(line.sku.pk, 0)} for line in quote.lines]
    return render(request, "h5/shop/cart.html", {
        "quote": quote, "rows": rows, "unavailable": _names(quote.unavailable), "max_quantity": cart.MAX_QUANTITY})


def _names(codes: list[str]) -> list[dict]:
    found = {s.code: s for s in Sku.objects.select_related("product").filter(code__in=codes)}
    return [{"code": c, "name": found[c].product.name if c in found else c} for c in codes]


@require_POST
@member_required
def cart_update(request):
    code = (request.POST.get("sku") or "").strip()
    try:
        if request.POST.get("action") == "remove":
            cart.remove(request.session, code)
        else:
            cart.update(request.session, code, cart.parse_quantity(request.POST.get("quantity"), allow_zero=True))
    except Problem as problem:
        messages.info(request, problem.detail)
    return redirect("h5:cart")


def _referrer(request) -> Member | None:
    raw = request.session.get(REFERRER_KEY)
    if not isinstance(raw, int) or isinstance(raw, bool) or raw == request.member.pk:
        return None
    return Member.objects.filter(pk=raw, is_active=True).first()


def _checkout_form(request, stores: list[Store]) -> dict:
    data = request.POST if request.method == "POST" else request.GET
    fulfilment = data.get("fulfilment")
    if fulfilment not in Order.Fulfilment.values:
        fulfilment = Order.Fulfilment.PICKUP
    by_code = {s.code: s for s in stores}
    home = _pickup_store(request.member)
    store = by_code.get(data.get("store") or "") or (home if home and home.code in by_code else None)
    coupon_ids = None  # first visit: the best coupons for the cart are suggested
    if data.get("coupons_chosen"):
        coupon_ids = [int(v) for v in data.getlist("coupon") if v.isascii() and v.isdigit() and len(v) < 19]
    return {"fulfilment": fulfilment, "store": store, "use_points": data.get("use_points") == "1",
            "coupon_ids": coupon_ids,
            "address": (data.get("address") or "").strip()[:200], "note": (data.get("note") or "").strip()[:200]}


def order_problem_text(problem: Problem, names: dict[str, str] | None = None, *, paying: bool = False) -> str:
    """A sentence the member can act on for a refused order (service details are for operators)."""
    names = names or {}
    sku = problem.extra.get("sku", "")
    name = names.get(sku, sku)
    if problem.type == "out-of-stock":
        return _("「%(name)s」库存不足：仅剩 %(available)s 件，你要买 %(requested)s 件。"
                 "请减少数量或换一家自提门店。") % {
            "name": name, "available": problem.extra.get("available", 0),
            "requested": problem.extra.get("requested", "")}
    texts = {
        "not-on-sale": _("「%(name)s」已下架，请从购物车删除后再提交。") % {"name": name},
        "unknown-sku": _("购物车里有已下架的商品，请删除后再提交。"),
        "insufficient-points": _("积分余额已变化，请重新确认积分抵扣。"),
        "order-state": _("订单状态已变化，请刷新后查看。"),
        "order-not-found": _("没有找到这个订单。"),
    }
    if problem.type in texts:
        return texts[problem.type]
    if problem.type in ("checkout-incomplete", "checkout-in-progress"):
        return problem.detail
    if problem.type == "coupon-not-applicable":  # the coupon rules word their refusals for members
        return problem.detail if _has_chinese(problem.detail) else _("优惠券不适用于这个订单，请重新选择。")
    if problem.extra.get("field") == "store_code":
        return _("请选择自提门店。")
    if paying:
        return _("支付失败：%(detail)s") % {"detail": problem.detail}
    return _("下单失败：%(detail)s") % {"detail": problem.detail}


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _place(request, form: dict, quote: cart.Quote) -> Order:
    if form["fulfilment"] == Order.Fulfilment.PICKUP and form["store"] is None:
        raise Problem(_("请选择自提门店。"), type="checkout-incomplete", field="store")
    if form["fulfilment"] == Order.Fulfilment.DELIVERY and not form["address"]:
        raise Problem(_("请填写收货地址。"), type="checkout-incomplete", field="address")
    return orders.place_order(
        actor_for(request), member=request.member,
        items=[{"sku": line.sku.code, "quantity": line.quantity} for line in quote.lines],
        fulfilment=form["fulfilment"], store=form["store"] if form["fulfilment"] == "pickup" else None,
        coupon_ids=quote.coupon_ids, points=quote.points_used, note=form["note"], referrer=_referrer(request),
        address=form["address"] if form["fulfilment"] == "delivery" else "")


def _after_placed(order: Order):
    if order.status == Order.Status.PENDING_PAYMENT:
        return redirect("h5:order_pay", order_no=order.order_no)
    return redirect("h5:order", order_no=order.order_no)


class CheckoutInProgress(Conflict):
    type, title = "checkout-in-progress", "This checkout form is being submitted"


def _checkout_key(token: str) -> str:
    return f"h5-checkout:{token}"


def _claim_form(request, token: str) -> str | None:
    """One order per checkout form, even when the form arrives twice at once (a double tap without
    JavaScript, a reload while the first is running): the form's token is claimed in the idempotency
    table, whose unique key settles the race. Returns the order number an earlier submission placed, or
    None when this submission is the first."""
    scope, key = actor_for(request).idempotency_scope, _checkout_key(token)
    for _attempt in range(2):
        now = timezone.now()
        try:
            with transaction.atomic():
                IdempotencyRecord.objects.create(actor=scope, key=key, method_path="POST /m/checkout/",
                                                 request_hash=hashlib.sha256(key.encode()).hexdigest(),
                                                 started_at=now)
            return None
        except IntegrityError:
            record = IdempotencyRecord.objects.filter(actor=scope, key=key).first()
        if record is None:  # the earlier submission failed and let go of the form a moment ago
            continue
        if record.completed_at is not None:
            return (record.response_body or {}).get("order_no") or ""
        if record.started_at > now - STALE_CLAIM:
            break
        # The earlier submission died midway (its transaction rolled back): take the form over.
        IdempotencyRecord.objects.filter(pk=record.pk, completed_at__isnull=True, started_at=record.started_at).delete()
    raise CheckoutInProgress(_("订单正在提交，请稍候在「我的订单」中查看。"))


def _release_form(request, token: str) -> None:
    IdempotencyRecord.objects.filter(actor=actor_for(request).idempotency_scope, key=_checkout_key(token),
                                     completed_at__isnull=True).delete()


def _submit(request, form: dict, quote: cart.Quote, token: str):
    """提交订单: the order, the order number of an earlier submission of the same form, or a Problem."""
    earlier = _claim_form(request, token)
    if earlier is not None:
        return earlier
    try:
        if token != request.session.get(CHECKOUT_TOKEN):
            raise Problem(_("页面已过期，请确认订单信息后再提交。"), status=409, type="checkout-incomplete")
        if quote.unavailable:
            raise Problem(_("购物车里有已下架的商品，请删除后再提交。"), status=409, type="checkout-incomplete")
        if not quote.lines:
            raise Problem(_("购物车是空的。"), status=400, type="checkout-incomplete")
        if quote.coupon_error:
            raise Problem(quote.coupon_error, status=422, type="checkout-incomplete")
        with transaction.atomic():
            order = _place(request, form, quote)
            IdempotencyRecord.objects.filter(actor=actor_for(request).idempotency_scope,
                                             key=_checkout_key(token)).update(
                completed_at=timezone.now(), response_status=201, response_body={"order_no": order.order_no})
    except BaseException:
        _release_form(request, token)
        raise
    return order


@require_http_methods(["GET", "POST"])
@member_required
def checkout(request):
    """结算: pickup or delivery, coupons, points as cash, the order's breakdown, 提交订单."""
    stores = list(Store.objects.filter(kind=Store.Kind.STORE, is_active=True).order_by("code"))
    form = _checkout_form(request, stores)
    items = cart.items(request.session)
    quote = cart.quote(request.member, items, fulfilment=form["fulfilment"], use_points=form["use_points"],
                       coupon_ids=form["coupon_ids"])
    error, status = None, 200
    if request.method == "POST" and request.POST.get("action") == "place":
        token = request.POST.get("token", "")
        if not token or len(token) > 64:
            error, status = _("页面已过期，请确认订单信息后再提交。"), 409
        else:
            try:
                placed = _submit(request, form, quote, token)
            except Problem as problem:
                names = {line.sku.code: line.sku.product.name for line in quote.lines}
                error, status = order_problem_text(problem, names), problem.status
            else:
                if isinstance(placed, str):  # the same form again: show the order it placed
                    return redirect("h5:order", order_no=placed) if placed else redirect("h5:orders")
                cart.clear(request.session)
                request.session.pop(CHECKOUT_TOKEN, None)
                return _after_placed(placed)
    if not items:
        return redirect("h5:cart")
    request.session[CHECKOUT_TOKEN] = token = request.session.get(CHECKOUT_TOKEN) or secrets.token_urlsafe(16)
    return render(request, "h5/shop/checkout.html", {
        "quote": quote, "form": form, "stores": stores, "error": error, "token": token,
        "unavailable": _names(quote.unavailable), "referred": _referrer(request) is not None}, status=status)


# --- my orders ---------------------------------------------------------------------------------------------


@member_required
def my_orders(request):
    """我的订单: tabs 待付款 / 待提货 / 已完成 / 退款."""
    tab = request.GET.get("tab", "")
    if tab and tab not in TABS:
        return redirect("h5:orders")
    qs = selectors.orders_visible_to(actor_for(request)).prefetch_related("lines")
    if tab:
        qs = qs.filter(status__in=TABS[tab])
    cursor = request.GET.get("cursor") or None
    if cursor:
        try:
            decode_cursor(cursor)
        except Problem:
            return redirect("h5:orders")
    rows, next_cursor = paginate(qs, cursor, ORDERS_PAGE_SIZE)
    return render(request, "h5/shop/orders.html", {
        "rows": [{"order": o, "at": local_time(request.member, o.created_at), "lines": list(o.lines.all()),
                  "channel": channel_label(o.channel)} for o in rows],
        "tab": tab, "tabs": tab_labels(), "next_cursor": next_cursor})


def member_order(request, order_no: str) -> Order:
    try:
        return selectors.get_order_by_no(actor_for(request), order_no)
    except Problem:
        raise Http404("No such order.") from None


def pickup_qr_svg(code: str) -> SafeString:
    qr = segno.make(code, error="m", micro=False)
    svg = qr.svg_inline(scale=1, border=2, dark="#111827", light="#ffffff", omitsize=True, svgclass="pickup-qr",
                        title=_("提货码 %(code)s") % {"code": code})
    return mark_safe(svg)  # segno's own markup; the code is 8 digits


def _timeline(member: Member, order: Order) -> list[dict]:
    steps = [(order.created_at, _("提交订单"))]
    if order.paid_at:
        steps.append((order.paid_at, _("已付款")))
    if order.fulfilled_at:
        steps.append((order.fulfilled_at, _("已提货") if order.fulfilment == Order.Fulfilment.PICKUP else _("已发货")))
    if order.completed_at:
        steps.append((order.completed_at, _("已完成")))
    if order.cancelled_at:
        steps.append((order.cancelled_at, _("已取消") + (f"（{order.cancel_reason}）" if order.cancel_reason else "")))
    for refund in order.refunds.all():
        steps.append((refund.created_at, _("退款 %(amount)s") % {"amount": format_fen(refund.amount_fen)}))
    steps.sort(key=lambda step: step[0])
    return [{"at": local_time(member, at), "label": label} for at, label in steps]


def awaiting_pickup(order: Order) -> bool:
    return (order.fulfilment == Order.Fulfilment.PICKUP and order.fulfilled_at is None
            and order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED))


@member_required
def order_detail(request, order_no: str):
    """订单详情: lines, breakdown, timeline; the pickup code as digits and QR; pay or cancel while unpaid."""
    order = member_order(request, order_no)
    lines = list(order.lines.all())
    pickup = awaiting_pickup(order)
    return render(request, "h5/shop/order.html", {
        "order": order, "lines": lines, "timeline": _timeline(request.member, order),
        "channel": channel_label(order.channel),
        "pending": order.status == Order.Status.PENDING_PAYMENT,
        "expires_at": local_time(request.member, order.expires_at),
        "pickup": pickup, "qr_svg": pickup_qr_svg(order.pickup_code) if pickup else "",
        "place": order.pickup_point or order.store})


@require_POST
@member_required
def order_cancel(request, order_no: str):
    order = member_order(request, order_no)
    try:
        orders.cancel_order(actor_for(request), order, reason="会员取消")
    except Problem as problem:
        messages.info(request, order_problem_text(problem))
    else:
        messages.success(request, _("订单已取消，库存与积分已退回"))
    return redirect("h5:order", order_no=order.order_no)
