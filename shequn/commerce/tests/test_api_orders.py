"""Orders, payments, cancellations, refunds and pickups over HTTP."""

import pytest

from shequn.commerce.models import Order, Payment, Refund, StockEntry, StockLevel
from shequn.stores.models import PickupPoint

from .test_api_catalog import problem

pytestmark = pytest.mark.django_db


def place(client, member, items, key="k1", **extra):
    body = {"member_id": member.pk, "items": items, "fulfilment": "pickup", "store_code": "SH01", **extra}
    return client.post("/orders", body, key=key)


def level(sku, store):
    return StockLevel.objects.get(sku=sku, store=store)


def ledger(lv):
    rows = StockEntry.objects.filter(level=lv).values_list("on_hand_delta", "reserved_delta")
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


def test_place_order_reserves_stock(api, member, sku, store):
    response = place(api, member, [{"sku": sku.code, "quantity": 2}])
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending_payment" and body["total_fen"] == 7980 and body["order_no"]
    assert body["lines"][0]["sku"] == "BERRY-500" and body["lines"][0]["quantity"] == 2
    assert len(body["pickup_code"]) == 8
    assert (level(sku, store).reserved, level(sku, store).available) == (2, 18)
    detail = api.get(f"/orders/{body['id']}").json()
    assert detail["id"] == body["id"] and detail["store_code"] == "SH01"


def test_idempotency_key_is_required_and_replays(api, member, sku, store):
    problem(api.post("/orders", {"member_id": member.pk, "items": [{"sku": sku.code, "quantity": 1}],
                                 "fulfilment": "pickup", "store_code": "SH01"}), 400, "idempotency-key-required")
    first = place(api, member, [{"sku": sku.code, "quantity": 1}], key="same")
    again = place(api, member, [{"sku": sku.code, "quantity": 1}], key="same")
    assert again.status_code == 201 and again.json() == first.json()
    assert Order.objects.count() == 1 and level(sku, store).reserved == 1
    problem(place(api, member, [{"sku": sku.code, "quantity": 2}], key="same"), 422, "idempotency-key-reused")


def test_out_of_stock_is_409_and_reserves_nothing(api, member, sku, store, make_sku):
    other = make_sku("EGG-6", 1290, quantity=5)
    body = problem(place(api, member, [{"sku": other.code, "quantity": 1}, {"sku": sku.code, "quantity": 21}]),
                   409, "out-of-stock")
    assert body["sku"] == "BERRY-500" and body["available"] == 20 and body["requested"] == 21
    assert level(sku, store).reserved == 0 and level(other, store).reserved == 0
    assert not Order.objects.exists()
    # the failure is replayed for the same key, and still nothing is reserved
    problem(place(api, member, [{"sku": other.code, "quantity": 1}, {"sku": sku.code, "quantity": 21}]),
            409, "out-of-stock")
    assert StockEntry.objects.filter(kind="reservation").count() == 0


@pytest.mark.parametrize("items, extra, status, slug", [
    ([{"sku": "NOPE", "quantity": 1}], {}, 422, "unknown-sku"),
    ([{"sku": "BERRY-500", "quantity": 0}], {}, 422, "validation-error"),
    ([{"sku": "BERRY-500", "quantity": "two"}], {}, 422, "validation-error"),
    ([{"sku": "BERRY-500", "quantity": 1000}], {}, 422, "validation-error"),
    ([], {}, 422, "validation-error"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"fulfilment": "drone"}, 422, "validation-error"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"store_code": "NOPE"}, 404, "store-not-found"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"member_id": 999999}, 404, "member-not-found"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"referrer_id": 999999}, 422, "unknown-referrer"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"pickup_point_id": 999999}, 404, "pickup-point-not-found"),
    ([{"sku": "BERRY-500", "quantity": 1}], {"points": -5}, 422, "validation-error"),
])
def test_bad_orders_are_refused(api, member, sku, store, items, extra, status, slug):
    problem(place(api, member, items, **extra), status, slug)
    assert not Order.objects.exists() and level(sku, store).reserved == 0


def test_inactive_product_is_not_on_sale(api, member, sku):
    api.patch(f"/products/{sku.code}", {"is_active": False})
    problem(place(api, member, [{"sku": sku.code, "quantity": 1}]), 422, "not-on-sale")


def test_offline_payment(api, member, sku, store):
    order = place(api, member, [{"sku": sku.code, "quantity": 2}]).json()
    response = api.post(f"/orders/{order['id']}/pay", {"method": "offline"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paid" and response.json()["checkout"] is None
    lv = level(sku, store)
    assert (lv.on_hand, lv.reserved) == (18, 0) and ledger(lv) == (18, 0)
    problem(api.post(f"/orders/{order['id']}/pay", {"method": "offline"}), 409, "order-state")
    assert Payment.objects.count() == 1


def test_sandbox_checkout_leaves_order_pending(api, member, sku):
    order = place(api, member, [{"sku": sku.code, "quantity": 1}]).json()
    body = api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"}).json()
    assert body["status"] == "pending_payment"
    assert body["checkout"] == {"provider": "sandbox", "params": {"pay_url": f"/m/pay/sandbox/{order['order_no']}/"}}
    problem(api.post(f"/orders/{order['id']}/pay", {"method": "bitcoin"}), 422, "validation-error")


def test_cancel_releases_stock_and_a_paid_order_cannot_be_cancelled(api, member, sku, store):
    order = place(api, member, [{"sku": sku.code, "quantity": 3}]).json()
    response = api.post(f"/orders/{order['id']}/cancel", {"reason": "顾客不要了"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    lv = level(sku, store)
    assert (lv.on_hand, lv.reserved) == (20, 0) and ledger(lv) == (20, 0)
    again = api.client.post(f"/api/v1/orders/{order['id']}/cancel", "", content_type="application/json",
                            **api.headers)  # twice, with no body at all: a no-op
    assert again.status_code == 200 and again.json()["status"] == "cancelled"
    paid = place(api, member, [{"sku": sku.code, "quantity": 1}], key="k2").json()
    api.post(f"/orders/{paid['id']}/pay", {"method": "offline"})
    problem(api.post(f"/orders/{paid['id']}/cancel"), 409, "order-state")
    assert Order.objects.get(pk=paid["id"]).status == "paid"


def paid_order(api, member, items, key="k1"):
    order = place(api, member, items, key=key).json()
    api.post(f"/orders/{order['id']}/pay", {"method": "offline"})
    return order


def test_partial_refund_by_line_restocks(api, member, sku, store, make_sku):
    egg = make_sku("EGG-6", 1290, quantity=5)
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 2}, {"sku": egg.code, "quantity": 1}])
    response = api.post(f"/orders/{order['id']}/refunds", {"reason": "草莓坏了", "lines": [
        {"sku": sku.code, "quantity": 1}]}, key="r1")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["amount_fen"] == 3990 and body["status"] == "succeeded" and body["refund_no"].startswith("RF")
    assert level(sku, store).on_hand == 19
    detail = api.get(f"/orders/{order['id']}").json()
    assert detail["status"] == "partially_refunded" and detail["refunded_fen"] == 3990
    assert detail["refunds"][0]["refund_no"] == body["refund_no"]


def test_refund_replay_with_same_key_returns_the_same_refund(api, member, sku, store):
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 2}])
    first = api.post(f"/orders/{order['id']}/refunds", {"reason": "退一盒", "amount_fen": 1000}, key="r1")
    again = api.post(f"/orders/{order['id']}/refunds", {"reason": "退一盒", "amount_fen": 1000}, key="r1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert Refund.objects.count() == 1 and Order.objects.get(pk=order["id"]).refunded_fen == 1000
    problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "退一盒", "amount_fen": 1000}), 400,
            "idempotency-key-required")


def test_refund_number_given_by_the_caller_is_idempotent_across_keys(api, member, sku):
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 2}])
    body = {"reason": "退款", "amount_fen": 500, "refund_no": "POS-R-1"}
    first = api.post(f"/orders/{order['id']}/refunds", body, key="a").json()
    second = api.post(f"/orders/{order['id']}/refunds", body, key="b").json()
    assert first["refund_no"] == second["refund_no"] == "POS-R-1" and Refund.objects.count() == 1


def test_refund_more_than_paid_is_refused(api, member, sku):
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 1}])
    body = problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "x", "amount_fen": 3991}, key="r1"),
                   422, "invalid-refund")
    assert body["refundable_fen"] == 3990
    problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "x", "lines": [
        {"sku": sku.code, "quantity": 2}]}, key="r2"), 422, "invalid-refund")
    problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "", "amount_fen": 1}, key="r3"), 422,
            "validation-error")
    problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "x", "amount_fen": 0}, key="r4"), 422,
            "validation-error")
    assert not Refund.objects.exists() and Order.objects.get(pk=order["id"]).refunded_fen == 0


def test_full_refund_and_unpaid_order_cannot_be_refunded(api, member, sku, store):
    unpaid = place(api, member, [{"sku": sku.code, "quantity": 1}], key="u").json()
    problem(api.post(f"/orders/{unpaid['id']}/refunds", {"reason": "x"}, key="r0"), 409, "order-state")
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 2}])
    body = api.post(f"/orders/{order['id']}/refunds", {"reason": "全部退"}, key="r1").json()
    assert body["amount_fen"] == 7980
    assert api.get(f"/orders/{order['id']}").json()["status"] == "refunded"
    lv = level(sku, store)
    assert (lv.on_hand, lv.reserved) == (20, 1) and ledger(lv) == (20, 1)  # sold 2, returned 2; 1 still held
    problem(api.post(f"/orders/{order['id']}/refunds", {"reason": "again", "amount_fen": 1}, key="r2"), 409,
            "order-state")


def test_delivery_order_is_fulfilled(api, member, sku, store):
    order = place(api, member, [{"sku": sku.code, "quantity": 1}], fulfilment="delivery",
                  address="上海市静安区南京西路 1 号").json()
    problem(api.post(f"/orders/{order['id']}/fulfil"), 409, "order-state")
    api.post(f"/orders/{order['id']}/pay", {"method": "offline"})
    response = api.post(f"/orders/{order['id']}/fulfil")
    assert response.status_code == 200 and response.json()["status"] == "fulfilled"
    # refunding a shipped order does not put the goods back on the shelf
    api.post(f"/orders/{order['id']}/refunds", {"reason": "未收到"}, key="r1")
    assert level(sku, store).on_hand == 19


def test_verify_pickup_at_store_and_pickup_point(api, member, sku, store):
    order = paid_order(api, member, [{"sku": sku.code, "quantity": 1}])
    problem(api.post("/pickups/verify", {"code": "00000000", "store_code": "SH01"}), 422, "invalid-pickup-code")
    problem(api.post("/pickups/verify", {"code": order["pickup_code"]}), 422, "invalid-pickup-place")
    response = api.post("/pickups/verify", {"code": order["pickup_code"], "store_code": "SH01"})
    assert response.status_code == 200 and response.json()["status"] == "picked_up"
    point = PickupPoint.objects.create(name="静安小区门口", store=store, address="南京西路 2 号")
    at_point = paid_order(api, member, [{"sku": sku.code, "quantity": 1}], key="k2")
    api.post(f"/orders/{at_point['id']}/cancel")  # paid: refused, stays paid
    second = place(api, member, [{"sku": sku.code, "quantity": 1}], key="k3", store_code=None,
                   pickup_point_id=point.pk).json()
    api.post(f"/orders/{second['id']}/pay", {"method": "offline"})
    problem(api.post("/pickups/verify", {"code": second["pickup_code"], "store_code": "SH01"}), 422,
            "invalid-pickup-code")
    response = api.post("/pickups/verify", {"code": second["pickup_code"], "pickup_point_id": point.pk})
    assert response.json()["status"] == "picked_up" and response.json()["pickup_point_id"] == point.pk


def test_list_orders_with_filters(api, member, make_member, sku, store):
    other = make_member(store=store, name="李四")
    a = place(api, member, [{"sku": sku.code, "quantity": 1}], key="a").json()
    b = paid_order(api, other, [{"sku": sku.code, "quantity": 1}], key="b")
    assert [o["id"] for o in api.get("/orders").json()["items"]] == [b["id"], a["id"]]
    assert [o["id"] for o in api.get("/orders?status=paid").json()["items"]] == [b["id"]]
    assert [o["id"] for o in api.get(f"/orders?member_id={member.pk}").json()["items"]] == [a["id"]]
    assert [o["id"] for o in api.get(f"/orders?q={a['order_no']}").json()["items"]] == [a["id"]]
    assert [o["id"] for o in api.get("/orders?q=李四").json()["items"]] == [b["id"]]
    assert api.get("/orders?store=BJ01").json()["items"] == []
    assert api.get("/orders?channel=groupbuy").json()["items"] == []
    page = api.get("/orders?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    assert api.get(f"/orders?limit=1&cursor={page['next_cursor']}").json()["items"][0]["id"] == a["id"]
    assert len(api.get("/orders?created_from=2000-01-01&created_to=2999-01-01").json()["items"]) == 2
    assert api.get("/orders?created_to=2000-01-01").json()["items"] == []
    problem(api.get("/orders?status=lost"), 422, "invalid-filter")
    problem(api.get("/orders/999999"), 404, "order-not-found")
    problem(api.get(f"/orders/{2**70}"), 404, "order-not-found")
    problem(api.post(f"/orders/{2**70}/cancel"), 404, "order-not-found")


def test_store_manager_sees_and_acts_only_on_own_store(api, api_as, member, make_member, sku, store, other_store,
                                                       system_actor):
    from shequn.commerce import stock
    stock.receive(system_actor, sku, other_store, 5)
    beijing_member = make_member(store=other_store)
    sh_order = paid_order(api, member, [{"sku": sku.code, "quantity": 1}])
    manager = api_as("store_manager", ["BJ01"])
    assert manager.get("/orders").json()["items"] == []
    problem(manager.get(f"/orders/{sh_order['id']}"), 404, "order-not-found")
    problem(manager.post(f"/orders/{sh_order['id']}/refunds", {"reason": "x"}, key="r"), 404, "order-not-found")
    problem(manager.post(f"/orders/{sh_order['id']}/pay", {"method": "offline"}), 404, "order-not-found")
    problem(manager.post("/pickups/verify", {"code": sh_order["pickup_code"], "store_code": "SH01"}), 404,
            "store-not-found")
    # ordering at another store, or for a member of another store, is refused and reserves nothing
    problem(place(manager, beijing_member, [{"sku": sku.code, "quantity": 1}], key="m1"), 404, "store-not-found")
    problem(place(manager, member, [{"sku": sku.code, "quantity": 1}], key="m2", store_code="BJ01"), 404,
            "member-not-found")
    problem(place(manager, beijing_member, [{"sku": sku.code, "quantity": 1}], key="m3", store_code=None,
                  fulfilment="delivery"), 403, "store-out-of-scope")
    assert Order.objects.count() == 1 and level(sku, other_store).reserved == 0
    own = place(manager, beijing_member, [{"sku": sku.code, "quantity": 1}], key="m4", store_code="BJ01")
    assert own.status_code == 201 and [o["id"] for o in manager.get("/orders").json()["items"]] == [own.json()["id"]]


def test_roles_without_order_rights(api_as, member, sku, store):
    analyst = api_as("analyst")
    problem(place(analyst, member, [{"sku": sku.code, "quantity": 1}]), 403, "forbidden")
    community = api_as("community_operator", ["SH01"])
    problem(place(community, member, [{"sku": sku.code, "quantity": 1}]), 403, "forbidden")
    assert not Order.objects.exists()


def test_anonymous_is_401(anon_api, db):
    problem(anon_api.get("/orders"), 401, "unauthorized")
    problem(anon_api.post("/orders", {}), 401, "unauthorized")
