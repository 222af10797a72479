import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shequn.commerce import payments
from shequn.commerce.groupbuy.models import CommissionEntry, Leader, LeaderApplication
from shequn.commerce.models import Order, StockLevel

pytestmark = pytest.mark.django_db


def _app(api, member, store, key="a1", **kw):
    body = {"member_id": member.pk, "point_name": "幸福里自提点", "address": "幸福里 3 号楼", "hours": "9-20",
            "store_code": store.code}
    body.update(kw)
    return api.post("/groupbuy/leader-applications", body, key=key)


def _campaign_body(**kw):
    now = timezone.now()
    body = {"title": "周末草莓团", "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=1)).isoformat(),
            "pickup_date": (now + dt.timedelta(days=3)).date().isoformat(), "commission_permille": 100,
            "min_quantity": 0}
    body.update(kw)
    return body


def test_leader_application_flow(api, member, store):
    r = _app(api, member, store)
    assert r.status_code == 201, r.content
    app_id = r.json()["id"]
    assert _app(api, member, store).json() == r.json()  # replay with the same key
    r = api.post(f"/groupbuy/leader-applications/{app_id}/approve", key="ap1")
    assert r.status_code == 201
    leader = r.json()
    assert len(leader["code"]) == 6 and leader["link"] == f"/m/gb/{leader['code']}/"
    assert api.get("/groupbuy/leaders").json()["items"][0]["code"] == leader["code"]
    r = api.post(f"/groupbuy/leader-applications/{app_id}/approve", key="ap2")
    assert r.status_code == 409 and r["Content-Type"] == "application/problem+json"
    qr = api.get(f"/groupbuy/leaders/{leader['id']}/qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml"
    r = api.post(f"/groupbuy/leaders/{leader['id']}/suspend", {"reason": "核查"})
    assert r.json()["status"] == "suspended"
    assert api.post(f"/groupbuy/leaders/{leader['id']}/resume").json()["status"] == "active"


def test_bad_application_is_422_and_writes_nothing(api, member, store):
    r = _app(api, member, store, point_name="")
    assert r.status_code == 422 and r.json()["type"] == "validation-error"
    r = _app(api, member, store, key="a2", store_code="NOPE")
    assert r.status_code == 404 and r.json()["type"] == "store-not-found"
    assert not LeaderApplication.objects.exists()


def test_reject(api, member, store):
    app_id = _app(api, member, store).json()["id"]
    r = api.post(f"/groupbuy/leader-applications/{app_id}/reject", {"reason": "不在服务范围"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert api.get("/groupbuy/leader-applications?status=rejected").json()["items"][0]["id"] == app_id


def test_campaign_flow_order_sheet_pickup_commission_statement(api, leader, member, gb_skus, system_actor):
    r = api.post("/groupbuy/campaigns", _campaign_body(), key="c1")
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    r = api._call("put", f"/groupbuy/campaigns/{cid}/items/GB-BERRY", json={"group_price_fen": 2990,
                                                                           "per_member_limit": 2})
    assert r.status_code == 200 and r.json()["items"][0]["group_price_fen"] == 2990
    assert api.post(f"/groupbuy/campaigns/{cid}/open").json()["status"] == "open"

    order_body = {"leader_code": leader.code, "member_id": member.pk, "items": [{"sku": "GB-BERRY", "quantity": 2}]}
    assert api.post(f"/groupbuy/campaigns/{cid}/orders", order_body).status_code == 400  # key required
    r = api.post(f"/groupbuy/campaigns/{cid}/orders", order_body, key="o1")
    assert r.status_code == 201, r.content
    order = r.json()
    assert (order["status"], order["total_fen"], order["leader_code"]) == ("pending_payment", 5980, leader.code)
    assert api.post(f"/groupbuy/campaigns/{cid}/orders", order_body, key="o1").json() == order
    r = api.post(f"/groupbuy/campaigns/{cid}/orders", dict(order_body, items=[{"sku": "GB-BERRY", "quantity": 1}]),
                 key="o2")
    assert r.status_code == 409 and r.json()["type"] == "member-limit-reached"
    payments.start_payment(system_actor, Order.objects.get(pk=order["id"]), "offline")

    sheet = api.get(f"/groupbuy/campaigns/{cid}/leaders/{leader.pk}/sheet").json()
    assert sheet["totals"]["to_hand_out"] == 1 and sheet["picking"][0]["quantity"] == 2
    xlsx = api.get(f"/groupbuy/campaigns/{cid}/leaders/{leader.pk}/sheet.xlsx")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "订单明细"

    r = api.post(f"/groupbuy/leaders/{leader.pk}/pickups", {"code": "00000000"})
    assert r.status_code == 422 and r.json()["type"] == "invalid-pickup-code"
    r = api.post(f"/groupbuy/leaders/{leader.pk}/pickups", {"code": order["pickup_code"]})
    assert r.status_code == 200 and r.json()["status"] == "picked_up"
    ledger = api.get(f"/groupbuy/leaders/{leader.pk}/commissions").json()
    assert ledger["earned_fen"] == 598 and ledger["entries"][0]["order_no"] == order["order_no"]

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    CommissionEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    period = {"period_start": yesterday.isoformat(), "period_end": yesterday.isoformat()}
    r = api.post("/groupbuy/statements", period, key="s1")
    assert r.status_code == 201 and len(r.json()) == 1
    sid = r.json()[0]["id"]
    assert api.post(f"/groupbuy/statements/{sid}/pay", {"reference": "X"}).status_code == 409
    assert api.post(f"/groupbuy/statements/{sid}/confirm").json()["status"] == "confirmed"
    assert api.post(f"/groupbuy/statements/{sid}/pay", {"reference": "WX-1"}).json()["status"] == "paid"
    detail = api.get(f"/groupbuy/statements/{sid}").json()
    assert detail["total_fen"] == 598 and len(detail["entries"]) == 1
    assert api.get(f"/groupbuy/statements/{sid}.xlsx").status_code == 200
    r = api.get(f"/groupbuy/statements.xlsx?period_start={yesterday}&period_end={yesterday}")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert api.get("/groupbuy/statements.xlsx").status_code == 422
    assert Leader.objects.get().paid_out_fen == 598


def test_campaign_bad_input(api, gb_skus):
    now = timezone.now()
    r = api.post("/groupbuy/campaigns", _campaign_body(ends_at=(now - dt.timedelta(days=2)).isoformat()))
    assert r.status_code == 422 and r.json()["type"] == "invalid-campaign"
    r = api.post("/groupbuy/campaigns", _campaign_body(commission_permille=1001))
    assert r.status_code == 422
    cid = api.post("/groupbuy/campaigns", _campaign_body()).json()["id"]
    r = api._call("put", f"/groupbuy/campaigns/{cid}/items/NOPE", json={"group_price_fen": 100})
    assert r.status_code == 404 and r.json()["type"] == "product-not-found"
    assert api.post(f"/groupbuy/campaigns/{cid}/open").status_code == 409
    assert api.get("/groupbuy/campaigns/999999").status_code == 404


def test_out_of_stock_through_the_api_reserves_nothing(api, campaign, leader, member):
    body = {"leader_code": leader.code, "member_id": member.pk, "items": [{"sku": "GB-BERRY", "quantity": 21}]}
    r = api.post(f"/groupbuy/campaigns/{campaign.pk}/orders", body, key="big")
    assert r.status_code == 409 and r.json()["type"] == "out-of-stock"
    assert not Order.objects.exists() and not StockLevel.objects.filter(reserved__gt=0).exists()


def test_permissions_and_scoping(api_as, make_leader, make_member, campaign, store, other_store):
    mine = make_leader()
    theirs = make_leader(point_name="朝阳点", store_=other_store, member=make_member(store=other_store))
    manager = api_as("store_manager", stores=[store.code])
    codes = [x["code"] for x in manager.get("/groupbuy/leaders").json()["items"]]
    assert codes == [mine.code]
    assert manager.get(f"/groupbuy/leaders/{theirs.pk}").status_code == 404
    assert manager.post("/groupbuy/campaigns", _campaign_body()).status_code == 403
    assert manager.post("/groupbuy/statements", {"period_start": "2026-01-01", "period_end": "2026-01-31"}
                        ).status_code == 403
    analyst = api_as("analyst")
    assert analyst.get("/groupbuy/campaigns").status_code == 200
    assert analyst.post(f"/groupbuy/leaders/{mine.pk}/pickups", {"code": "12345678"}).status_code == 403
