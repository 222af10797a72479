"""数据分析 in real Chromium: the charts draw with data, the KPI matches the figures, an export downloads."""

import datetime as dt
import io
import random
import zoneinfo

import openpyxl
import pytest

from .test_browser import SHOTS, log_in

SH = zoneinfo.ZoneInfo("Asia/Shanghai")
QUERY = "range=custom&date_from=2026-01-01&date_to=2026-03-31"


def build_history(system_actor, stores):
    """Sixty members over two stores buying through Jan–Mar 2026, some in groups, some refunds."""
    from shequn.analytics.models import Transaction
    from shequn.communities.models import Group, GroupEvent, Membership
    from shequn.members.services import create_member

    rng = random.Random(7)
    groups = [Group.objects.create(name=f"{store.name[:2]}{topic}群", store=store)
              for store in stores for topic in ("宝妈", "吃货", "健身")]
    txs, events, n = [], [], 0
    for i in range(60):
        store = stores[i % 2]
        joined = dt.datetime(2025, 12, 1, 10, tzinfo=SH) + dt.timedelta(days=rng.randrange(0, 100))
        member = create_member(system_actor, phone=f"1380000{i:04d}", name=f"会员{i}", store=store,
                               joined_at=joined)
        group = groups[(i % 2) * 3 + rng.randrange(3)] if i % 3 else None
        if group:
            Membership.objects.create(group=group, member=member, joined_at=joined)
        for _ in range(rng.randrange(0, 6)):
            n += 1
            when = joined + dt.timedelta(days=rng.randrange(0, 60), hours=rng.randrange(0, 10))
            amount = rng.randrange(20, 400) * 100 + rng.randrange(0, 100)
            txs.append(Transaction(member=member, occurred_at=when, amount_fen=amount, store=store,
                                   source="order", source_ref=f"B{n}", order_no=f"B{n}"))
            if group:
                events.append(GroupEvent(source="system", event_id=f"B{n}", group=group, member=member,
                                         kind="order", occurred_at=when, amount_fen=amount))
            if rng.random() < 0.08:
                txs.append(Transaction(member=member, occurred_at=when + dt.timedelta(days=2),
                                       amount_fen=-amount // 2, store=store, source="refund", source_ref=f"R{n}"))
    Transaction.objects.bulk_create(txs)
    GroupEvent.objects.bulk_create(events)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_overview_renders_charts_with_data(live_server, desk_page, staff_user, store, other_store, system_actor):
    from shequn.analytics import overview
    from shequn.core.actor import SYSTEM
    from shequn.core.money import format_fen

    SHOTS.mkdir(parents=True, exist_ok=True)
    build_history(system_actor, [store, other_store])
    expected = overview.overview(SYSTEM, date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 3, 31))
    assert expected.kpis.gmv_fen > 0 and expected.groups and expected.funnel[1]["members"] > 0
    staff_user("analyst", username="fenxi")
    page, url = desk_page, live_server.url

    log_in(page, url, "fenxi")
    page.get_by_role("link", name="数据分析").click()
    page.wait_for_url(f"{url}/console/analytics/")
    page.locator("#chart-daily canvas").wait_for()
    page.goto(f"{url}/console/analytics/?{QUERY}")
    for chart in ("daily", "funnel", "stores", "groups"):
        page.locator(f"#chart-{chart} canvas").wait_for()
        box = page.locator(f"#chart-{chart} canvas").bounding_box()
        assert box["width"] > 200 and box["height"] > 150
    assert page.locator("#kpi-gmv").inner_text() == format_fen(expected.kpis.gmv_fen)
    assert page.locator("#kpi-orders").inner_text().replace(",", "") == str(expected.kpis.orders)
    assert page.locator("#table-cohorts tbody tr").count() == 3
    assert page.locator("#table-groups tbody tr").count() == len(expected.groups)
    # The chart drew something: the daily canvas is not blank.
    painted = page.evaluate("""() => {
        const c = document.querySelector('#chart-daily canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
    assert painted > 1000
    page.screenshot(path=SHOTS / "console-analytics.png", full_page=True)

    with page.expect_download() as download:
        page.locator("#table-stores").locator("xpath=../..").get_by_role("link", name="导出 Excel").click()
    ws = openpyxl.load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    assert ws.cell(row=1, column=1).value == "门店编码" and ws.max_row == 3
