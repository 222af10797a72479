"""Console group-buy pages: campaigns, items, open/close, leaders and applications, order sheet, staff pickup,
statements."""

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from shequn.accounts.actors import member_actor
from shequn.commerce import payments
from shequn.commerce.groupbuy import leaders
from shequn.commerce.groupbuy.models import Campaign, CommissionEntry, Leader, LeaderApplication, LeaderStatement
from shequn.commerce.groupbuy.ordering import place_groupbuy_order
from shequn.commerce.models import Order

pytestmark = pytest.mark.django_db


def _form(**kw):
    now = timezone.localtime()
    data = {"title": "周末草莓团", "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
            "pickup_date": (now + dt.timedelta(days=3)).date().isoformat(), "commission_permille": 80,
            "min_quantity": 10, "description": ""}
    data.update(kw)
    return data


def _paid_order(campaign, leader, member, system_actor, qty=1):
    order = place_groupbuy_order(member_actor(member.pk), campaign=campaign, leader=leader, member=member,
                                 items=[{"sku": "GB-BERRY", "quantity": qty}])
    return payments.start_payment(system_actor, order, "offline")


def test_create_campaign_add_items_open_and_close(console_as, gb_skus, store):
    client = console_as()
    page = client.get("/console/commerce/groupbuy/").content.decode()
    assert 'id="new-campaign"' in page and "社群团购" in page
    r = client.post("/console/commerce/groupbuy/", _form(stores=[store.pk]))
    campaign = Campaign.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/console/commerce/groupbuy/{campaign.pk}/"
    assert list(campaign.stores.all()) == [store]
    url = f"/console/commerce/groupbuy/{campaign.pk}/"
    r = client.post(url, {"sku": "GB-BERRY", "group_price": "29.90", "per_member_limit": "2"})
    assert r.status_code == 302
    r = client.post(url, {"sku": "GB-EGG", "group_price": "19.90"})  # above the list price ¥12.90
    assert r.status_code == 422 and "活动设置有误" in r.content.decode()
    assert client.post(url, {"sku": "NOPE", "group_price": "1"}).status_code == 422
    assert campaign.items.count() == 1
    client.post(f"{url}status/", {"action": "open"})
    campaign.refresh_from_db()
    assert campaign.status == "open"
    page = client.get(url).content.decode()
    assert "已售 0 件 / 成团数量 10 件" in page and 'data-item="GB-BERRY"' in page
    client.post(f"{url}status/", {"action": "close"})
    campaign.refresh_from_db()
    assert campaign.status == "failed"


def test_bad_campaign_form_writes_nothing(console_as, gb_skus):
    client = console_as()
    r = client.post("/console/commerce/groupbuy/", _form(pickup_date="2020-01-01"))
    assert r.status_code == 422 and "活动设置有误" in r.content.decode()
    assert client.post("/console/commerce/groupbuy/", _form(title="")).status_code == 422
    assert not Campaign.objects.exists()


def test_applications_approve_reject_and_suspend(console_as, make_member, store, system_actor):
    first, second = make_member(store=store, name="王阿姨"), make_member(store=store, name="李叔")
    a1 = leaders.apply(member_actor(first.pk), first, point_name="幸福里门岗", address="幸福里 1 号", store=store)
    a2 = leaders.apply(member_actor(second.pk), second, point_name="阳光超市", address="阳光路 8 号", store=store)
    client = console_as()
    page = client.get("/console/commerce/groupbuy/leaders/").content.decode()
    assert f'data-application="{a1.pk}"' in page and "阳光超市" in page
    client.post(f"/console/commerce/groupbuy/applications/{a1.pk}/", {"decision": "approve"})
    client.post(f"/console/commerce/groupbuy/applications/{a2.pk}/", {"decision": "reject", "reason": ""})
    a2.refresh_from_db()
    assert a2.status == "pending"  # a rejection needs a reason
    client.post(f"/console/commerce/groupbuy/applications/{a2.pk}/", {"decision": "reject", "reason": "太远"})
    a2.refresh_from_db()
    leader = Leader.objects.get()
    assert (leader.member, a2.status) == (first, "rejected")
    client.post(f"/console/commerce/groupbuy/leaders/{leader.pk}/status/", {"action": "suspend", "reason": "投诉"})
    leader.refresh_from_db()
    assert leader.status == "suspended"
    qr = client.get(f"/console/commerce/groupbuy/leaders/{leader.pk}/qr.svg")
    assert qr["Content-Type"] == "image/svg+xml"


def test_store_manager_cannot_approve_and_sees_own_leaders(console_as, make_leader, make_member, store, other_store):
    mine = make_leader()
    theirs = make_leader(point_name="朝阳点", store_=other_store, member=make_member(store=other_store))
    client = console_as("store_manager", stores=[store.code])
    page = client.get("/console/commerce/groupbuy/leaders/").content.decode()
    assert mine.code in page and theirs.code not in page
    member = make_member(store=store)
    app = leaders.apply(member_actor(member.pk), member, point_name="点", address="址", store=store)
    assert client.post(f"/console/commerce/groupbuy/applications/{app.pk}/", {"decision": "approve"}).status_code == 403
    assert LeaderApplication.objects.get(pk=app.pk).status == "pending"


def test_order_sheet_excel_and_staff_pickup(console_as, campaign, leader, member, system_actor):
    order = _paid_order(campaign, leader, member, system_actor, qty=2)
    client = console_as()
    page = client.get(f"/console/commerce/groupbuy/{campaign.pk}/").content.decode()
    assert f'data-leader="{leader.code}"' in page
    sheet = client.get(f"/console/commerce/groupbuy/{campaign.pk}/leaders/{leader.pk}/").content.decode()
    assert order.order_no in sheet and "拣货单" in sheet
    xlsx = client.get(f"/console/commerce/groupbuy/{campaign.pk}/leaders/{leader.pk}/?format=xlsx")
    assert load_workbook(io.BytesIO(xlsx.content))["拣货单"]["B2"].value == 2
    r = client.post("/console/commerce/groupbuy/pickup/", {"leader_code": leader.code, "code": "99999999"})
    assert r.status_code == 422 and "提货码无效" in r.content.decode()
    r = client.post("/console/commerce/groupbuy/pickup/", {"leader_code": leader.code, "code": order.pickup_code})
    assert r.status_code == 200 and f'data-verified="{order.order_no}"' in r.content.decode()
    assert Order.objects.get(pk=order.pk).status == "picked_up"
    assert CommissionEntry.objects.count() == 1


def test_statements_generate_confirm_pay_export(console_as, campaign, leader, member, system_actor):
    from shequn.commerce.groupbuy.commissions import verify_pickup_by_leader
    order = _paid_order(campaign, leader, member, system_actor)
    verify_pickup_by_leader(system_actor, leader, order.pickup_code)
    CommissionEntry.objects.update(created_at=timezone.now() - dt.timedelta(days=1))
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    client = console_as()
    assert client.get("/console/commerce/groupbuy/statements/").status_code == 200
    r = client.post("/console/commerce/groupbuy/statements/", {"period_start": day, "period_end": day})
    assert r.status_code == 302
    statement = LeaderStatement.objects.get()
    page = client.get(f"/console/commerce/groupbuy/statements/?period_start={day}&period_end={day}").content.decode()
    assert f'data-statement="{statement.pk}"' in page and "¥2.99" in page
    url = f"/console/commerce/groupbuy/statements/{statement.pk}/"
    client.post(url, {"action": "confirm"})
    client.post(url, {"action": "pay", "reference": ""})
    statement.refresh_from_db()
    assert statement.status == "confirmed"
    client.post(url, {"action": "pay", "reference": "WX2026"})
    statement.refresh_from_db()
    assert (statement.status, statement.paid_reference) == ("paid", "WX2026")
    assert client.get(f"{url}xlsx/")["Content-Type"].startswith("application/vnd.openxmlformats")
    period = client.get(f"/console/commerce/groupbuy/statements/?period_start={day}&period_end={day}&format=xlsx")
    assert load_workbook(io.BytesIO(period.content))["汇总"]["H2"].value == pytest.approx(2.99)
    assert console_as("store_manager", stores=["SH01"]).post(
        "/console/commerce/groupbuy/statements/", {"period_start": day, "period_end": day}).status_code == 403
