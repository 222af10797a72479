"""RFM 客群 and 流失挽回 in real Chromium: cells and movement show, 立即计算 scores a day, a cell drills down to
its members, the win-back list lists members at risk."""

import datetime as dt

import pytest

from .test_analytics_browser import build_history
from .test_browser import SHOTS, log_in


@pytest.mark.browser
@pytest.mark.timeout(900)
@pytest.mark.django_db(transaction=True)
def test_rfm_cells_movement_drill_down_and_win_back(live_server, desk_page, staff_user, store, other_store,
                                                    system_actor, settings, tmp_path):
    from shequn.analytics.clv.scoring import run_clv
    from shequn.analytics.models import MemberValue, RfmRun, RfmScore
    from shequn.analytics.rfm import CELLS, run_rfm

    settings.VAR_DIR = tmp_path
    SHOTS.mkdir(parents=True, exist_ok=True)
    build_history(system_actor, [store, other_store])
    run_rfm("duckdb", dt.date(2026, 2, 28))
    clv, _ = run_clv(system_actor, calibration_end=dt.date(2026, 3, 31), time_unit="day")
    staff_user("analyst", username="rfm_analyst")
    page, url = desk_page, live_server.url
    page.set_default_timeout(60_000)  # the scoring runs inside the request

    log_in(page, url, "rfm_analyst")
    page.goto(f"{url}/console/analytics/")
    page.get_by_role("link", name="RFM 客群").click()
    page.wait_for_url(f"{url}/console/analytics/rfm/")
    assert page.locator(".rfm-cell").count() == 11 and page.locator("#rfm-no-previous").is_visible()

    page.locator("#id_as_of").fill("2026-03-31")
    page.get_by_role("button", name="立即计算").click()
    page.wait_for_url("**/console/analytics/rfm/?store=&run=*")
    run = RfmRun.objects.get(as_of=dt.date(2026, 3, 31), store=None)
    assert page.locator("#rfm-movement").is_visible()
    moved = page.locator("#rfm-movement td.up, #rfm-movement td.down").count()
    assert moved > 0  # two months apart, some members changed cells
    total = sum(int(t.replace(",", "")) for t in page.locator("#rfm-movement tbody tr td:last-child").all_inner_texts())
    previous = RfmRun.objects.get(as_of=dt.date(2026, 2, 28)).members
    assert total == previous + RfmScore.objects.filter(run=run).exclude(
        member_id__in=RfmScore.objects.filter(run__as_of=dt.date(2026, 2, 28)).values("member_id")).count()
    page.screenshot(path=SHOTS / "console-analytics-rfm.png", full_page=True)

    biggest = max(page.locator(".rfm-cell").all(), key=lambda c: int(c.locator(".n").inner_text().replace(",", "")))
    cell = biggest.get_attribute("data-cell")
    biggest.click()
    page.locator("#rfm-member-table").wait_for()
    expected = RfmScore.objects.filter(run=run, cell=cell).count()
    assert page.locator("#rfm-member-table tbody tr").count() == min(50, expected)
    page.screenshot(path=SHOTS / "console-analytics-rfm-cell.png", full_page=True)
    page.locator("#rfm-member-table tbody tr a").first.click()
    page.wait_for_url("**/console/members/*/")

    page.goto(f"{url}/console/analytics/win-back/")
    at_risk = MemberValue.objects.filter(run=clv, churn_risk__in=("high", "medium")).count()
    assert at_risk > 0
    assert page.locator("#winback-table tbody tr").count() == min(50, at_risk)
    labels = {str(label) for label in CELLS.values()}
    assert page.locator("#winback-table tbody tr td:last-child").first.inner_text() in labels
    page.screenshot(path=SHOTS / "console-analytics-winback.png", full_page=True)
