"""Recommended products on the member 360 view: `recommend.Recommender` picks, shown as sellable catalogue
products with the member's price.

Building the co-purchase model reads every basket, so one model is kept per process and rebuilt when it is
older than `MAX_AGE_SECONDS`: a page view costs a lookup, not a pass over the order history."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .recommend import Recommender

MAX_AGE_SECONDS = 600
_lock = threading.Lock()
_cached: dict = {}


def recommender() -> Recommender:
    """The process's co-purchase model over every basket, rebuilt after MAX_AGE_SECONDS."""
    with _lock:
        model, built = _cached.get("model"), _cached.get("built", 0.0)
        if model is None or time.monotonic() - built > MAX_AGE_SECONDS:
            from .recommend import Recommender, load_baskets  # numpy/scipy load with the first model

            model = Recommender(load_baskets())
            _cached.update(model=model, built=time.monotonic())
        return model


def forget() -> None:
    """Drop the cached model (the next call rebuilds it)."""
    with _lock:
        _cached.clear()


def recommended_products(member_id: int, tier_code: str = "", k: int = 6) -> list[dict]:
    """Up to k products for the member, best first: active SKUs of active products only (an imported SKU that
    is not in the catalogue cannot be sold, so it is skipped). `reason` is together (bought with what the
    member bought recently) or popular (热销 fill-in); the price is the member's tier price when there is one."""
    from shequn.commerce.models import Sku, SkuTierPrice

    picks = recommender().for_member(member_id, k=k * 3)
    if not picks:
        return []
    codes = [p.sku for p in picks]
    skus = {s.code: s for s in Sku.objects.filter(code__in=codes, is_active=True, product__is_active=True)
            .select_related("product__category")}
    tier_prices = dict(SkuTierPrice.objects.filter(sku__code__in=list(skus), tier_code=tier_code)
                       .values_list("sku__code", "price_fen")) if tier_code and skus else {}
    out = []
    for pick in picks:
        sku = skus.get(pick.sku)
        if sku is None:
            continue
        out.append({"sku": sku.code, "product_id": sku.product_id, "name": sku.product.name, "spec": sku.spec,
                    "category": sku.product.category.name if sku.product.category_id else "",
                    "price_fen": sku.price_fen, "member_price_fen": tier_prices.get(sku.code, sku.price_fen),
                    "reason": pick.source, "score": round(pick.score, 4)})
        if len(out) == k:
            break
    return out
