"""Commerce console: products (list, new with SKUs and member prices, detail with stock per location and the
stock ledger, edit, prices, on/off sale), stock receipts and adjustments, and the commerce settings.
Orders are in commerce_orders, the hot-products report in commerce_reports."""

from django.contrib import messages
from django.db import transaction
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shequn.commerce import catalog, configuration, selectors, stock
from shequn.commerce.errors import ProductNotFound
from shequn.commerce.models import Category, Product, StockEntry, StockLevel
from shequn.commerce.pricing import settings_row
from shequn.core.errors import NotFound, Problem
from shequn.core.pagination import paginate
from shequn.loyalty.models import Tier
from shequn.stores.selectors import stores_visible_to

from ..access import console_view
from ..forms.commerce import (
    PriceForm,
    ProductForm,
    ProductSearchForm,
    SettingsForm,
    StockMoveForm,
    new_form_token,
    sku_rows,
)
from ..problems import problem_text

VIEW, CATALOG, STOCK = "commerce.view", "commerce.catalog", "commerce.stock"
LEDGER_SHOWN = 50

_PRODUCT_FIELDS = {
    "sku": gettext_lazy("SKU 编码为 1-40 位字母、数字或 . - _，同一商品内不能重复。"),
    "price_fen": gettext_lazy("售价需在 0.01 到 100,000 元之间。"),
    "tier_prices": gettext_lazy("会员价不能高于售价。"),
    "name": gettext_lazy("请填写商品名称（最多 100 字）。"),
    "tags": gettext_lazy("标签最多 10 个，每个最多 20 字。"),
}
_MESSAGES = {
    "sku-exists": gettext_lazy("SKU 编码已被其他商品使用，请换一个。"),
    "product-not-found": gettext_lazy("找不到这个商品。"),
    "order-not-found": gettext_lazy("找不到这个订单，或者该订单不属于你的门店。"),
    "invalid-pickup-code": gettext_lazy("这里没有这个取货码的订单，请核对取货码和自提地点。"),
    "not-on-sale": gettext_lazy("商品已下架，不能下单。"),
    "unknown-payment-method": gettext_lazy("不支持这种支付方式。"),
    "payment-method-unavailable": gettext_lazy("这种支付方式还没有配置好，暂时不能使用。"),
    "payment-provider-error": gettext_lazy("支付渠道暂时无法处理，请稍后再试。"),
    "invalid-settings": gettext_lazy("设置的数值超出允许范围。"),
}


def commerce_problem_text(problem: Problem) -> str:
    """A readable Chinese message for the errors the commerce services raise (their detail is English)."""
    extra = problem.extra
    if problem.type == "out-of-stock":
        return _("库存不足：%(sku)s 只剩 %(available)s 件，需要 %(requested)s 件。") % {
            "sku": extra.get("sku", ""), "available": extra.get("available", 0),
            "requested": extra.get("requested", "")}
    if problem.type == "order-state":
        return _("订单当前状态不能这样操作（已付款的订单只能退款，不能取消；只有已付款的订单才能发货或提货）。")
    if problem.type == "invalid-refund":
        if "refundable_fen" in extra:
            return _("退款金额超出可退金额：这个订单最多还能退 ¥%(left)s。") % {
                "left": f"{extra['refundable_fen'] / 100:,.2f}"}
        if extra.get("field") == "lines":
            return _("退货数量超出：每件商品最多退还未退的数量。")
        if extra.get("field") == "amount_fen":
            return _("退款金额不能超过所选商品的实付金额。")
        return _("请填写退款原因（最多 200 字）。")
    if problem.type == "invalid-stock-move":
        if extra.get("field") == "reason":
            return _("库存调整需要填写原因。")
        return _("库存调整无效：调整后库存不能少于待支付订单占用的数量。")
    if problem.type == "invalid-product":
        return str(_PRODUCT_FIELDS.get(extra.get("field"), gettext_lazy("商品信息有误，请检查后再提交。")))
    message = _MESSAGES.get(problem.type)
    return str(message) if message is not None else problem_text(problem)


def _tiers():
    return list(Tier.objects.order_by("rank"))


def _store_ids(actor):
    return actor.store_ids if actor.scoped else None


def _available_by_product(actor, product_ids) -> dict[int, int]:
    levels = StockLevel.objects.filter(sku__product_id__in=product_ids)
    if actor.scoped:
        levels = levels.filter(store_id__in=actor.store_ids)
    rows = levels.values("sku__product_id").annotate(on_hand=Sum("on_hand"), reserved=Sum("reserved"))
    return {r["sku__product_id"]: (r["on_hand"] or 0) - (r["reserved"] or 0) for r in rows}


@console_view(VIEW)
def product_list(request):
    actor = request.actor
    categories = list(Category.objects.values_list("name", flat=True))
    form = ProductSearchForm(request.GET or None, categories=categories)
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.products(q=(data.get("q") or "").strip(), category=data.get("category") or "")
    if data.get("status"):
        qs = qs.filter(is_active=data["status"] == "active")
    try:
        rows, next_cursor = paginate(qs, request.GET.get("cursor"), 50)
    except Problem as problem:
        rows, next_cursor = [], None
        messages.error(request, commerce_problem_text(problem))
    available = _available_by_product(actor, [p.pk for p in rows])
    for product in rows:
        product.available = available.get(product.pk, 0)
    return render(request, "console/commerce/products.html", {
        "form": form, "rows": rows, "next_cursor": next_cursor, "paged": bool(request.GET.get("cursor")),
        "nav": "commerce_products"})


@console_view(VIEW, write_permission=CATALOG)
def product_new(request):
    if not request.actor.can(CATALOG):
        return redirect("console:commerce_products")
    tiers = _tiers()
    form = ProductForm(request.POST or None)
    rows = sku_rows(request.POST or None, tiers)
    if request.method == "POST" and form.is_valid() & all(r.is_valid() for r in rows):
        skus = [r.sku() for r in rows if not r.is_blank]
        if not skus:
            form.add_error(None, _("至少填写一个 SKU（编码和售价）。"))
        else:
            data = form.cleaned_data
            try:
                product = catalog.create_product(request.actor, name=data["name"], skus=skus,
                                                 category=data["category"], tags=data["tags"],
                                                 description=data["description"], image_url=data["image_url"])
            except Problem as problem:
                form.add_error(None, commerce_problem_text(problem))
            else:
                messages.success(request, _("已创建商品 %(name)s。") % {"name": product.name})
                return redirect("console:commerce_product", product.pk)
    return render(request, "console/commerce/products_new.html", {
        "form": form, "rows": rows, "tiers": tiers, "nav": "commerce_products"})


def _product(product_id: int) -> Product:
    product = Product.objects.select_related("category").prefetch_related("skus__tier_prices").filter(
        pk=product_id).first()
    if product is None:
        raise ProductNotFound("No such product.")
    return product


def _detail_context(request, product: Product, **forms) -> dict:
    actor = request.actor
    tiers = _tiers()
    skus = list(product.skus.all())
    stores = stores_visible_to(actor).order_by("code")
    ledger = StockEntry.objects.filter(level__sku__product=product).select_related("level__sku", "level__store")
    if actor.scoped:
        ledger = ledger.filter(level__store_id__in=actor.store_ids)
    for sku in skus:
        sku.member_prices = {tp.tier_code: tp.price_fen for tp in sku.tier_prices.all()}
        sku.tier_rows = [(t, sku.member_prices.get(t.code)) for t in tiers]
        sku.locations = [r for r in selectors.stock_by_location(sku)
                         if not actor.scoped or r["store_code"] in {s.code for s in stores}]
        sku.available = selectors.stock_available(sku, _store_ids(actor))
        sku.price_form = forms.get(f"price_{sku.code}") or PriceForm(
            prefix=f"p-{sku.code}", tiers=tiers,
            initial={"price": f"{sku.price_fen / 100:.2f}",
                     **{f"tier_{c}": f"{f / 100:.2f}" for c, f in sku.member_prices.items()}})
    return {
        "product": product, "skus": skus, "tiers": tiers, "ledger": ledger.order_by("-id")[:LEDGER_SHOWN],
        "edit_form": forms.get("edit_form") or ProductForm(initial={
            "name": product.name, "category": product.category.name if product.category else "",
            "tags": " ".join(product.tags), "description": product.description, "image_url": product.image_url}),
        "receive_form": forms.get("receive_form") or StockMoveForm(
            prefix="receive", skus=skus, stores=stores, initial={"token": new_form_token()}),
        "adjust_form": forms.get("adjust_form") or StockMoveForm(
            prefix="adjust", skus=skus, stores=stores, adjust=True, initial={"token": new_form_token()}),
        "nav": "commerce_products"}


@console_view(VIEW)
def product_detail(request, product_id: int):
    product = _product(product_id)
    return render(request, "console/commerce/products_detail.html", _detail_context(request, product))


@require_POST
@console_view(VIEW, write_permission=CATALOG)
def product_edit(request, product_id: int):
    product = _product(product_id)
    form = ProductForm(request.POST)
    if form.is_valid():
        try:
            catalog.update_product(request.actor, product, **form.cleaned_data)
        except Problem as problem:
            form.add_error(None, commerce_problem_text(problem))
        else:
            messages.success(request, _("商品信息已保存。"))
            return redirect("console:commerce_product", product.pk)
    return render(request, "console/commerce/products_detail.html",
                  _detail_context(request, _product(product_id), edit_form=form), status=422)


@require_POST
@console_view(VIEW, write_permission=CATALOG)
def product_prices(request, product_id: int):
    product = _product(product_id)
    sku = next((s for s in product.skus.all() if s.code == request.POST.get("sku")), None)
    if sku is None:
        raise ProductNotFound("No such SKU in this product.")
    form = PriceForm(request.POST, prefix=f"p-{sku.code}", tiers=_tiers())
    if form.is_valid():
        try:
            catalog.set_sku_price(request.actor, sku, price_fen=form.cleaned_data["price"],
                                  tier_prices=form.tier_prices())
        except Problem as problem:
            form.add_error(None, commerce_problem_text(problem))
        else:
            messages.success(request, _("%(sku)s 的价格已保存。") % {"sku": sku.code})
            return redirect("console:commerce_product", product.pk)
    return render(request, "console/commerce/products_detail.html",
                  _detail_context(request, _product(product_id), **{f"price_{sku.code}": form}), status=422)


@require_POST
@console_view(VIEW, write_permission=CATALOG)
def product_active(request, product_id: int):
    product = _product(product_id)
    active = request.POST.get("active") == "1"
    catalog.update_product(request.actor, product, is_active=active)
    messages.success(request, _("商品已上架。") if active else _("商品已下架，不能再下单。"))
    return redirect("console:commerce_product", product.pk)


def _ledger_url(product: Product) -> str:
    return reverse("console:commerce_product", args=[product.pk]) + "#ledger"


@require_POST
@console_view(VIEW, write_permission=STOCK)
def stock_move(request, product_id: int, kind: str):
    actor = request.actor
    if kind not in ("receive", "adjust"):
        raise NotFound("No such stock movement.")
    product = _product(product_id)
    adjust = kind == "adjust"
    form = StockMoveForm(request.POST, prefix=kind, skus=list(product.skus.all()),
                         stores=stores_visible_to(actor), adjust=adjust)
    if form.is_valid():
        data = form.cleaned_data
        ref = f"console:{data['token']}"
        if StockEntry.objects.filter(ref=ref).exists():  # the same form submitted twice
            return redirect(_ledger_url(product))
        sku = next(s for s in product.skus.all() if s.code == data["sku"])
        try:
            if adjust:
                with transaction.atomic():  # the form token marks the entry, so a resubmitted form is seen
                    entry = stock.adjust(actor, sku, data["store"], data["quantity"], reason=data["reason"])
                    StockEntry.objects.filter(pk=entry.pk).update(ref=ref)
            else:
                entry = stock.receive(actor, sku, data["store"], data["quantity"], reason=data["reason"], ref=ref)
        except Problem as problem:
            form.add_error(None, commerce_problem_text(problem))
        else:
            messages.success(request, _("%(sku)s 在 %(store)s 的库存已更新：现有 %(on_hand)s 件。") % {
                "sku": sku.code, "store": data["store"].name, "on_hand": entry.on_hand_after})
            return redirect(_ledger_url(product))
    return render(request, "console/commerce/products_detail.html",
                  _detail_context(request, product, **{f"{kind}_form": form}), status=422)


@console_view(VIEW, write_permission=CATALOG)
def commerce_settings(request):
    row = settings_row()
    initial = {**configuration.settings_dict(row), "delivery_fee": f"{row.delivery_fee_fen / 100:.2f}",
               "free_delivery_from": f"{row.free_delivery_from_fen / 100:.2f}"}
    form = SettingsForm(request.POST or None, initial=initial)
    if not request.actor.can(CATALOG):
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            configuration.update_settings(request.actor, **form.values())
        except Problem as problem:
            form.add_error(None, commerce_problem_text(problem))
        else:
            messages.success(request, _("商城设置已保存。"))
            return redirect("console:commerce_settings")
    return render(request, "console/commerce/settings.html", {
        "form": form, "row": row, "can_edit": request.actor.can(CATALOG), "nav": "commerce_settings"})
