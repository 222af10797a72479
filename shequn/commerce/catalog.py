"""商品: products, SKUs, member prices per tier."""

import re

from django.db import IntegrityError, transaction

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.stores.models import Store

from . import stock
from .errors import InvalidProduct
from .models import Category, Product, Sku, SkuTierPrice

SKU_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MAX_PRICE_FEN = 10_000_000  # ¥100,000
MAX_TAGS = 10


def _clean_price(value, field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= MAX_PRICE_FEN:
        raise InvalidProduct(f"{field} must be a whole number of fen between 1 and {MAX_PRICE_FEN:,}.", field=field)
    return value


def _clean_text(value: str, field: str, max_length: int, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidProduct(f"{field} is required.", field=field)
    if len(value) > max_length:
        raise InvalidProduct(f"{field} has at most {max_length} characters.", field=field)
    return value


def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = str(tag).strip()
        if tag and tag not in cleaned:
            cleaned.append(_clean_text(tag, "tags", 20))
    if len(cleaned) > MAX_TAGS:
        raise InvalidProduct(f"A product has at most {MAX_TAGS} tags.", field="tags")
    return cleaned


def category_named(name: str) -> Category | None:
    name = (name or "").strip()
    if not name:
        return None
    return Category.objects.get_or_create(name=_clean_text(name, "category", 40))[0]


def create_product(actor: Actor, *, name: str, skus: list[dict], category: str = "", description: str = "",
                   tags=(), image_url: str = "") -> Product:
    """A product with one or more SKUs: [{"code", "spec", "price_fen", "tier_prices": {tier_code: fen}}]."""
    name = _clean_text(name, "name", 100, required=True)
    if not skus:
        raise InvalidProduct("A product needs at least one SKU.", field="skus")
    seen = set()
    for row in skus:
        code = str(row.get("code", "")).strip()
        if not SKU_CODE.match(code):
            raise InvalidProduct("A SKU code is 1-40 letters, digits, '.', '-' or '_'.", field="sku")
        if code in seen:
            raise InvalidProduct(f"SKU {code} appears twice.", field="sku")
        seen.add(code)
        _clean_price(row.get("price_fen"), "price_fen")
        for tier, fen in (row.get("tier_prices") or {}).items():
            if _clean_price(fen, "tier_prices") > row["price_fen"]:
                raise InvalidProduct(f"The {tier} price of {code} is above its list price.", field="tier_prices")
    fields = {"description": _clean_text(description, "description", 2000), "tags": _clean_tags(tags),
              "image_url": _clean_text(image_url, "image_url", 300)}
    try:
        with transaction.atomic():
            product = Product.objects.create(name=name, category=category_named(category), **fields)
            for row in skus:
                sku = Sku.objects.create(product=product, code=row["code"].strip(),
                                         spec=_clean_text(row.get("spec", ""), "spec", 60),
                                         price_fen=row["price_fen"])
                SkuTierPrice.objects.bulk_create(SkuTierPrice(sku=sku, tier_code=tier, price_fen=fen)
                                                 for tier, fen in (row.get("tier_prices") or {}).items())
            audit.record(actor, "product.created", product, after={"name": name, "skus": sorted(seen)})
            outbox.emit("product.created", "product", product.pk, name=name, skus=sorted(seen))
    except IntegrityError as exc:
        raise InvalidProduct(f"A SKU code in {sorted(seen)} is already used by another product.",
                             type="sku-exists", status=409) from exc
    return product


def create_simple_product(actor: Actor, *, sku: str, name: str, price_fen: int, stock_quantity: int = 0,
                          store: Store | None = None, category: str = "", tags=()) -> Sku:
    """One product with one SKU and its opening stock at a store (or the central warehouse)."""
    if not isinstance(stock_quantity, int) or isinstance(stock_quantity, bool) or stock_quantity < 0:
        raise InvalidProduct("stock must be a whole number, 0 or more.", field="stock")
    with transaction.atomic():
        product = create_product(actor, name=name, skus=[{"code": sku, "price_fen": price_fen}],
                                 category=category, tags=tags)
        item = product.skus.get()
        location = store or stock.default_location()
        if stock_quantity:
            stock.receive(actor, item, location, stock_quantity, reason="期初库存")
    return item


def update_product(actor: Actor, product: Product, **changes) -> Product:
    allowed = {"name", "description", "category", "tags", "image_url", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidProduct(f"Cannot change {', '.join(sorted(unknown))}.")
    before = {k: getattr(product, k) for k in ("name", "description", "tags", "image_url", "is_active")}
    if "name" in changes:
        product.name = _clean_text(changes["name"], "name", 100, required=True)
    if "description" in changes:
        product.description = _clean_text(changes["description"], "description", 2000)
    if "tags" in changes:
        product.tags = _clean_tags(changes["tags"])
    if "image_url" in changes:
        product.image_url = _clean_text(changes["image_url"], "image_url", 300)
    if "is_active" in changes:
        product.is_active = bool(changes["is_active"])
    with transaction.atomic():
        if "category" in changes:
            product.category = category_named(changes["category"])
        product.save()
        audit.record(actor, "product.updated", product, before=before,
                     after={k: getattr(product, k) for k in before})
    return product


def set_sku_price(actor: Actor, sku: Sku, *, price_fen: int | None = None,
                  tier_prices: dict[str, int] | None = None) -> Sku:
    """Change the list price and/or member prices (an empty tier_prices entry value 0 removes it)."""
    with transaction.atomic():
        before = {"price_fen": sku.price_fen,
                  "tier_prices": dict(sku.tier_prices.values_list("tier_code", "price_fen"))}
        if price_fen is not None:
            sku.price_fen = _clean_price(price_fen, "price_fen")
            sku.save(update_fields=["price_fen"])
        for tier, fen in (tier_prices or {}).items():
            if fen == 0:
                SkuTierPrice.objects.filter(sku=sku, tier_code=tier).delete()
                continue
            if _clean_price(fen, "tier_prices") > sku.price_fen:
                raise InvalidProduct(f"The {tier} price is above the list price.", field="tier_prices")
            SkuTierPrice.objects.update_or_create(sku=sku, tier_code=tier, defaults={"price_fen": fen})
        audit.record(actor, "sku.price_changed", sku, before=before,
                     after={"price_fen": sku.price_fen,
                            "tier_prices": dict(sku.tier_prices.values_list("tier_code", "price_fen"))})
    return sku
