import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce.flash.models import FlashSale
from shequn.commerce.models import Order

pytestmark = pytest.mark.django_db


def _sale_body(**kwargs):
    now = timezone.now()
    body = {"title": "大米秒杀", "sku": "RICE-5KG", "store_code": "SH01", "flash_price_fen": 4900, "quantity": 5,
            "per_member_limit": 2, "starts_at": (now - dt.timedelta(minutes=1)).isoformat(),
            "ends_at": (now + dt.timedelta(hours=1)).isoformat()}
    body.update(kwargs)
    return body


def test_create_buy_stats_and_limits(api, flash_sku, make_member, store):
    created = api.post("/flash-sales", _sale_body(), key="sale-1")
    assert created.status_code == 201, created.json()
    sale = created.json()
    assert (sale["remaining"], sale["phase"], sale["stats"]["orders"]) == (5, "live", 0)
    buyer = make_member(store=store)
    bought = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": buyer.pk, "quantity": 2}, key="buy-1")
    assert bought.status_code == 201, bought.json()
    assert (bought.json()["total_fen"], bought.json()["remaining"], bought.json()["status"]) == (
        9800, 3, "pending_payment")
    replay = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": buyer.pk, "quantity": 2}, key="buy-1")
    assert replay.json()["order_id"] == bought.json()["order_id"] and Order.objects.count() == 1
    over = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": buyer.pk}, key="buy-2")
    assert over.status_code == 409 and over.json()["type"] == "flash-sale-limit"
    other = make_member(store=store)
    short = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": other.pk, "quantity": 2}, key="k35")
    assert short.status_code == 201
    late = make_member(store=store)
    last = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": late.pk, "quantity": 2}, key="k37")
    assert last.status_code == 409 and last.json()["type"] == "flash-sale-sold-out" and last.json()["remaining"] == 1

    detail = api.get(f"/flash-sales/{sale['id']}").json()
    assert detail["remaining"] == 1 and detail["stats"]["pending"] == 4 and detail["stats"]["buyers"] == 2
    buyers = api.get(f"/flash-sales/{sale['id']}/buyers").json()
    assert {b["member_id"]: b["units"] for b in buyers} == {buyer.pk: 2, other.pk: 2}
    assert api.get("/flash-sales").json()["items"][0]["id"] == sale["id"]

    cancelled = api.post(f"/flash-sales/{sale['id']}/cancel", key="cancel-1")
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["phase"] == "cancelled"
    closed = api.post(f"/flash-sales/{sale['id']}/buy", {"member_id": make_member(store=store).pk}, key="k48")
    assert closed.status_code == 409 and closed.json()["type"] == "flash-sale-closed"


@pytest.mark.parametrize("change, status, slug", [
    ({"quantity": 0}, 422, "validation-error"),
    ({"quantity": 101}, 422, "invalid-flash-sale"),
    ({"flash_price_fen": 9900}, 422, "invalid-flash-sale"),
    ({"sku": "NOPE"}, 404, "product-not-found"),
    ({"ends_at": "yesterday"}, 422, "validation-error"),
])
def test_bad_sale_input(api, flash_sku, change, status, slug):
    response = api.post("/flash-sales", _sale_body(**change))
    assert response.status_code == status and response.json()["type"] == slug, response.json()
    assert not FlashSale.objects.exists()


def test_bad_buy_input(api, sale, member):
    buy = f"/flash-sales/{sale.pk}/buy"
    assert api.post(buy, {"member_id": member.pk, "quantity": 0}, key="k66").status_code == 422
    assert api.post(buy, {"member_id": 999999}, key="k67").json()["type"] == "member-not-found"
    unknown = api.post("/flash-sales/999999/buy", {"member_id": member.pk}, key="k68")
    assert unknown.json()["type"] == "flash-sale-not-found"
    assert not Order.objects.exists()


def test_buy_needs_an_idempotency_key_and_a_replay_buys_nothing_more(api, sale, member):
    """A buyer's retry (a dropped connection, a double tap) must not buy twice within the limit."""
    buy = f"/flash-sales/{sale.pk}/buy"
    missing = api.post(buy, {"member_id": member.pk})
    assert missing.status_code == 400 and missing.json()["type"] == "idempotency-key-required"
    assert not Order.objects.exists()
    first = api.post(buy, {"member_id": member.pk}, key="tap-1")
    again = api.post(buy, {"member_id": member.pk}, key="tap-1")
    assert first.status_code == again.status_code == 201
    assert again.json()["order_id"] == first.json()["order_id"] and Order.objects.count() == 1


def test_permissions_and_scoping(api_as, sale, member, other_store):
    viewer = api_as("store_manager", stores=["SH01"])
    assert viewer.post("/flash-sales", _sale_body()).status_code == 403
    assert viewer.post(f"/flash-sales/{sale.pk}/buy", {"member_id": member.pk}, key="k75").status_code == 201
    outsider = api_as("store_manager", stores=[other_store.code], username="bj_manager")
    assert outsider.get(f"/flash-sales/{sale.pk}").status_code == 404
    assert outsider.get("/flash-sales").json()["items"] == []
