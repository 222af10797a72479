"""私域流量价值 and 活动效果 in real Chromium: both charts draw with data, the figures match the computation."""

import datetime as dt
import random

import pytest
from django.utils import timezone

from .test_analytics_browser import build_history
from .test_browser import SHOTS, log_in


def campaign_history(system_actor, stores):
    """A win-back coupon granted five days ago with a 20% control group; a third of the granted members buy."""
    from shequn.analytics.models import Transaction
    from shequn.commerce import catalog, orders, payments, stock
    from shequn.commerce.coupons import services as coupons
    from shequn.members.models import Member

    rng = random.Random(3)
    granted = timezone.now() - dt.timedelta(days=5)
    template = coupons.create_template(system_actor, name="老客回归券", kind="fixed", amount_fen=1000, valid_days=14,
                                       campaign="老客唤醒", now=granted)
    plain = coupons.create_template(system_actor, name="会员日满减", kind="threshold", amount_fen=1500,
                                    threshold_fen=9900, valid_days=7, now=granted)
    members = list(Member.objects.order_by("pk"))
    result = coupons.grant(system_actor, template, members, ref="十一月", holdout_percent=20, at=granted)
    coupons.grant(system_actor, plain, members[:10], ref="十一月", at=granted)
    got = set(template.coupons.values_list("member_id", flat=True))
    item = catalog.create_product(system_actor, name="丹东草莓", category="水果",
                                  skus=[{"code": "BERRY-500", "price_fen": 3990}]).skus.get()
    for shop in stores:
        stock.receive(system_actor, item, shop, 100)
    for coupon in template.coupons.select_related("member__home_store").order_by("pk")[:8]:
        order = orders.place_order(system_actor, member=coupon.member, items=[{"sku": "BERRY-500", "quantity": 2}],
                                   fulfilment="pickup", store=coupon.member.home_store, coupon_ids=[coupon.pk])
        payments.start_payment(system_actor, order, "offline")
    for n, m in enumerate(members):
        if rng.random() < (0.35 if m.pk in got else 0.1):
            Transaction.objects.create(member=m, occurred_at=granted + dt.timedelta(days=rng.uniform(0.2, 4.5)),
                                       amount_fen=rng.randrange(50, 300) * 100, store=m.home_store, source="order",
                                       source_ref=f"C{n}")
    return template, result


def year_of_activity():
    """Purchases and check-ins spread over the last eleven months, so every month of the trend has a value."""
    from shequn.analytics.models import Transaction
    from shequn.loyalty.models import CheckIn
    from shequn.members.models import Member

    rng = random.Random(11)
    now = timezone.now()
    txs, checkins = [], set()
    for m in Member.objects.order_by("pk"):
        for n in range(rng.randrange(2, 12)):
            at = now - dt.timedelta(days=rng.uniform(1, 330))
            txs.append(Transaction(member=m, occurred_at=at, amount_fen=rng.randrange(30, 250) * 100,
                                   store=m.home_store, source="import", source_ref=f"Y{m.pk}-{n}"))
        checkins |= {(m.pk, (now - dt.timedelta(days=rng.randrange(1, 330))).date()) for _ in range(rng.randrange(8))}
    Transaction.objects.bulk_create(txs)
    CheckIn.objects.bulk_create(CheckIn(member_id=m, local_date=d, streak=1, points=5) for m, d in checkins)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_traffic_and_campaigns_render_with_data(live_server, desk_page, staff_user, store, other_store,
                                                system_actor):
    from shequn.analytics import campaigns, traffic
    from shequn.core.actor import SYSTEM
    from shequn.core.money import format_fen

    SHOTS.mkdir(parents=True, exist_ok=True)
    build_history(system_actor, [store, other_store])
    year_of_activity()
    template, granted = campaign_history(system_actor, [store, other_store])
    assert granted["held_out"] == 12
    tv = traffic.traffic_value(SYSTEM)
    staff_user("analyst", username="fenxi")
    page, url = desk_page, live_server.url
    log_in(page, url, "fenxi")

    page.goto(f"{url}/console/analytics/")
    page.locator("#chart-campaigns canvas").wait_for()  # the 活动效果 section loads into the overview
    assert page.locator("#table-campaigns tbody tr").count() == 2
    row = page.locator(f'#table-campaigns tr[data-campaign="coupon-{template.pk}"]')
    assert "实验组 48 人 / 对照组 12 人" in row.inner_text()
    assert "无对照组" in page.locator("#table-campaigns").inner_text()
    page.locator("#campaigns-section").screenshot(path=SHOTS / "console-analytics-campaigns.png")
    page.screenshot(path="/tmp/shots/overview-full.png", full_page=True)

    page.get_by_role("link", name="私域流量价值", exact=False).first.click()
    page.wait_for_url(f"{url}/console/analytics/private-traffic/")
    page.locator("#chart-traffic canvas").wait_for()
    box = page.locator("#chart-traffic canvas").bounding_box()
    assert box["width"] > 400 and box["height"] > 200
    month = tv.overall[-2]
    assert page.locator("#tv-members").inner_text().replace(",", "") == str(month.members)
    assert page.locator("#tv-value").inner_text() == format_fen(month.value_fen)
    assert page.locator("#table-trend tbody tr").count() == 12
    assert page.locator("#table-traffic-groups tbody tr").count() == 6
    page.screenshot(path=SHOTS / "console-analytics-traffic.png", full_page=True)

    page.goto(f"{url}/console/analytics/campaigns/coupon-{template.pk}/")
    r = campaigns.result(SYSTEM, f"coupon-{template.pk}")
    assert page.locator("#u-incremental").inner_text().startswith(format_fen(r.uplift.incremental_sales_fen))
    page.screenshot(path=SHOTS / "console-analytics-campaign.png", full_page=True)
