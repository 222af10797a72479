"""Products, prices, stock and settings over HTTP."""

import pytest

from shequn.commerce.models import CommerceSettings, Product, Sku, StockEntry, StockLevel
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    from shequn.loyalty.program import ensure_default_tiers
    ensure_default_tiers()


def put(client, path, json, key=None):
    extra = dict(client.headers)
    if key:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.client.put(f"/api/v1{path}", json, content_type="application/json", **extra)


def problem(response, status, slug):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == slug, body
    return body


def test_create_product_with_opening_stock(api, store):
    response = api.post("/products", {"sku": "MILK-1L", "name": "鲜牛奶 1L", "price_fen": 1590, "stock": 30,
                                       "store_code": "SH01", "category": "早餐", "tags": ["冷藏", "新品"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sku"] == "MILK-1L" and body["name"] == "鲜牛奶 1L" and body["price_fen"] == 1590
    assert body["stock_available"] == 30 and body["category"] == "早餐" and body["tags"] == ["冷藏", "新品"]
    assert body["stock_by_location"] == [{"store_code": "SH01", "store_name": "上海静安店", "on_hand": 30,
                                          "reserved": 0, "available": 30}]
    assert StockEntry.objects.get().kind == "receipt"


def test_create_product_without_store_goes_to_central_warehouse(api, db):
    body = api.post("/products", {"sku": "EGG-6", "name": "土鸡蛋 6 枚", "price_fen": 1290, "stock": 5}).json()
    assert body["stock_by_location"][0]["store_code"] == "WH" and body["stock_available"] == 5


def test_get_product_shows_member_prices_and_stock(api, sku, store):
    api.post("/catalog/products", {"name": "x", "skus": [{"code": "X-1", "price_fen": 100}]})
    response = api.get(f"/products/{sku.code}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("sku", "name", "price_fen", "stock_available", "category", "member_prices")} == {
        "sku": "BERRY-500", "name": "丹东草莓", "price_fen": 3990, "stock_available": 20, "category": "水果",
        "member_prices": {}}


@pytest.mark.parametrize("payload, status, slug", [
    ({"sku": "A", "name": "a", "price_fen": 0}, 422, "validation-error"),
    ({"sku": "A", "name": "a", "price_fen": 12.5}, 422, "validation-error"),
    ({"sku": "A", "name": "a", "price_fen": 100, "stock": -1}, 422, "validation-error"),
    ({"sku": "有 空格", "name": "a", "price_fen": 100}, 422, "invalid-product"),
    ({"sku": "A", "name": "  ", "price_fen": 100}, 422, "invalid-product"),
    ({"sku": "A", "name": "a", "price_fen": 100, "store_code": "NOPE"}, 404, "store-not-found"),
    ({"sku": "BERRY-500", "name": "again", "price_fen": 100}, 409, "sku-exists"),
])
def test_bad_products_are_refused_and_write_nothing(api, sku, payload, status, slug):
    before = Product.objects.count()
    problem(api.post("/products", payload), status, slug)
    assert Product.objects.count() == before


def test_unknown_sku_is_404(api, db):
    problem(api.get("/products/NOPE"), 404, "product-not-found")
    problem(api.get("/stock/NOPE/entries"), 404, "product-not-found")


def test_catalog_product_with_several_skus_and_member_prices(api, tiers):
    response = api.post("/catalog/products", {
        "name": "有机草莓", "category": "水果", "tags": ["当季"], "description": "丹东九九草莓",
        "skus": [{"code": "ST-250", "spec": "250g", "price_fen": 2590, "member_prices": {"gold": 2290}},
                 {"code": "ST-500", "spec": "500g", "price_fen": 4590}]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert [s["sku"] for s in body["skus"]] == ["ST-250", "ST-500"]
    assert body["skus"][0]["member_prices"] == {"gold": 2290}
    assert api.get(f"/catalog/products/{body['id']}").json()["name"] == "有机草莓"
    assert api.get("/products/ST-500").json()["product_id"] == body["id"]


def test_member_price_above_list_price_or_unknown_tier_is_refused(api, tiers):
    problem(api.post("/catalog/products", {"name": "x", "skus": [
        {"code": "X-1", "price_fen": 100, "member_prices": {"gold": 120}}]}), 422, "invalid-product")
    problem(api.post("/catalog/products", {"name": "x", "skus": [
        {"code": "X-1", "price_fen": 100, "member_prices": {"platinum": 90}}]}), 422, "unknown-tier")
    assert not Sku.objects.exists()


def test_list_products_filters_and_pages(api, make_sku):
    for i in range(5):
        make_sku(f"P-{i}", 100 + i, quantity=0, name=f"面包 {i}")
    api.patch("/products/P-1", {"is_active": False, "category": "早餐"})
    page = api.get("/products?limit=2").json()
    assert [p["skus"][0]["sku"] for p in page["items"]] == ["P-0", "P-1"] and page["next_cursor"]
    rest = api.get(f"/products?limit=10&cursor={page['next_cursor']}").json()
    assert [p["skus"][0]["sku"] for p in rest["items"]] == ["P-2", "P-3", "P-4"] and rest["next_cursor"] is None
    assert [p["name"] for p in api.get("/products?category=早餐").json()["items"]] == ["面包 1"]
    assert len(api.get("/products?active=true").json()["items"]) == 4
    assert [p["name"] for p in api.get("/products?q=P-3").json()["items"]] == ["面包 3"]
    problem(api.get("/products?cursor=garbage"), 422, "invalid-cursor")


def test_patch_product_changes_and_deactivates(api, sku):
    response = api.patch(f"/products/{sku.code}", {"name": "红颜草莓", "tags": ["当季"], "is_active": False})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "红颜草莓" and body["tags"] == ["当季"] and body["is_active"] is False
    assert body["category"] == "水果"
    assert api.patch(f"/products/{sku.code}", {"category": ""}).json()["category"] is None
    problem(api.patch(f"/products/{sku.code}", {"name": ""}), 422, "validation-error")
    assert AuditEntry.objects.filter(action="product.updated").count() == 2


def test_put_prices_replaces_member_prices(api, sku, tiers):
    body = put(api, f"/products/{sku.code}/prices", {"price_fen": 4290, "member_prices": {"gold": 3690,
                                                                                           "silver": 3990}}).json()
    assert body["price_fen"] == 4290 and body["member_prices"] == {"gold": 3690, "silver": 3990}
    body = put(api, f"/products/{sku.code}/prices", {"price_fen": 4290, "member_prices": {"gold": 3590}}).json()
    assert body["member_prices"] == {"gold": 3590}
    problem(put(api, f"/products/{sku.code}/prices", {"price_fen": 3000, "member_prices": {"gold": 3590}}),
            422, "invalid-product")
    problem(put(api, f"/products/{sku.code}/prices", {"price_fen": 3000, "member_prices": {"gold": 0}}),
            422, "invalid-product")
    problem(put(api, f"/products/{sku.code}/prices", {"price_fen": 3000, "member_prices": {"vip": 100}}),
            422, "unknown-tier")
    sku.refresh_from_db()
    assert sku.price_fen == 4290


def test_store_manager_cannot_change_the_catalog(api_as, sku):
    manager = api_as("store_manager", ["SH01"])
    problem(manager.post("/products", {"sku": "N-1", "name": "n", "price_fen": 100}), 403, "forbidden")
    problem(manager.patch(f"/products/{sku.code}", {"name": "x"}), 403, "forbidden")
    assert manager.get(f"/products/{sku.code}").status_code == 200


def test_receive_and_adjust_stock(api, sku, store):
    response = api.post("/stock/receipts", {"sku": sku.code, "store_code": "SH01", "quantity": 10,
                                            "reason": "到货"})
    assert response.status_code == 201, response.content
    assert response.json()["on_hand_after"] == 30 and response.json()["kind"] == "receipt"
    response = api.post("/stock/adjustments", {"sku": sku.code, "store_code": "SH01", "delta": -3,
                                               "reason": "破损"})
    assert response.status_code == 201 and response.json()["on_hand_after"] == 27
    entries = api.get(f"/stock/{sku.code}/entries").json()["items"]
    assert [(e["kind"], e["on_hand_delta"]) for e in entries] == [("adjustment", -3), ("receipt", 10),
                                                                   ("receipt", 20)]
    level = StockLevel.objects.get(sku=sku, store=store)
    assert level.on_hand == sum(StockEntry.objects.filter(level=level).values_list("on_hand_delta", flat=True))


@pytest.mark.parametrize("payload, status, slug", [
    ({"delta": 0, "reason": "x"}, 422, "invalid-stock-move"),
    ({"delta": -21, "reason": "盘亏"}, 422, "invalid-stock-move"),
    ({"delta": 5, "reason": ""}, 422, "validation-error"),
    ({"delta": 5, "reason": "   "}, 422, "invalid-stock-move"),
    ({"delta": 5, "reason": "x", "store_code": "NOPE"}, 404, "store-not-found"),
    ({"delta": 5, "reason": "x", "sku": "NOPE"}, 404, "product-not-found"),
])
def test_bad_adjustments_are_refused(api, sku, payload, status, slug):
    problem(api.post("/stock/adjustments", {"sku": sku.code, "store_code": "SH01", **payload}), status, slug)
    assert StockEntry.objects.count() == 1


def test_bad_receipt_quantity(api, sku):
    problem(api.post("/stock/receipts", {"sku": sku.code, "store_code": "SH01", "quantity": 0}), 422,
            "validation-error")


def test_stock_is_scoped_for_store_managers(api_as, sku, store, other_store, system_actor):
    from shequn.commerce import stock
    stock.receive(system_actor, sku, other_store, 7)
    manager = api_as("store_manager", ["BJ01"])
    body = manager.get(f"/products/{sku.code}").json()
    assert body["stock_available"] == 7 and [r["store_code"] for r in body["stock_by_location"]] == ["BJ01"]
    assert {e["store_code"] for e in manager.get(f"/stock/{sku.code}/entries").json()["items"]} == {"BJ01"}
    problem(manager.post("/stock/receipts", {"sku": sku.code, "store_code": "SH01", "quantity": 1}), 404,
            "store-not-found")
    assert manager.post("/stock/receipts", {"sku": sku.code, "store_code": "BJ01", "quantity": 1}).status_code == 201
    problem(api_as("analyst").post("/stock/receipts", {"sku": sku.code, "store_code": "BJ01", "quantity": 1}),
            403, "forbidden")


def test_settings_read_and_change(api, api_as, store):
    body = api.get("/commerce/settings").json()
    assert body["points_per_yuan"] == 100 and body["points_offset_max_percent"] == 50
    new = {"points_per_yuan": 200, "points_offset_max_percent": 30, "unpaid_timeout_minutes": 15,
           "complete_after_days": 5, "delivery_fee_fen": 800, "free_delivery_from_fen": 5900}
    response = put(api, "/commerce/settings", new)
    assert response.status_code == 200, response.content
    assert {k: response.json()[k] for k in new} == new
    row = CommerceSettings.objects.get()
    assert row.points_per_yuan == 200 and row.delivery_fee_fen == 800
    assert AuditEntry.objects.filter(action="commerce.settings_changed").exists()
    problem(put(api, "/commerce/settings", {**new, "points_offset_max_percent": 101}), 422, "validation-error")
    problem(put(api, "/commerce/settings", {**new, "points_per_yuan": 0}), 422, "validation-error")
    problem(put(api_as("store_manager", ["SH01"]), "/commerce/settings", new), 403, "forbidden")
    assert CommerceSettings.objects.get().points_offset_max_percent == 30


def test_settings_service_refuses_bad_values(system_actor, db):
    from shequn.commerce.configuration import InvalidSettings, update_settings
    for bad in ({"points_per_yuan": True}, {"delivery_fee_fen": -1}, {"color": 1}, {"complete_after_days": 1.5}):
        with pytest.raises(InvalidSettings):
            update_settings(system_actor, **bad)


def test_patch_catalog_product_and_unknown_id(api, sku):
    response = api.patch(f"/catalog/products/{sku.product_id}", {"category": "早餐", "description": "当季鲜果"})
    assert response.status_code == 200, response.content
    assert response.json()["category"] == "早餐" and response.json()["description"] == "当季鲜果"
    problem(api.patch("/catalog/products/999999", {"name": "x"}), 404, "product-not-found")
    problem(api.get("/catalog/products/999999"), 404, "product-not-found")


def test_openapi_lists_the_commerce_endpoints(api, db):
    paths = api.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/products", "/api/v1/products/{sku}/prices", "/api/v1/orders/{order_id}/refunds",
                 "/api/v1/payments/{provider}/notify", "/api/v1/reports/hot-products", "/api/v1/commerce/settings"):
        assert path in paths, path


def test_stock_entries_filter_by_store_and_page(api, sku, store, other_store, system_actor):
    from shequn.commerce import stock
    for n in range(3):
        stock.receive(system_actor, sku, other_store, n + 1)
    page = api.get(f"/stock/{sku.code}/entries?store=BJ01&limit=2").json()
    assert [e["on_hand_delta"] for e in page["items"]] == [3, 2] and page["next_cursor"]
    rest = api.get(f"/stock/{sku.code}/entries?store=BJ01&limit=2&cursor={page['next_cursor']}").json()
    assert [e["on_hand_delta"] for e in rest["items"]] == [1] and rest["next_cursor"] is None
    problem(api.get(f"/stock/{sku.code}/entries?store=NOPE"), 404, "store-not-found")
