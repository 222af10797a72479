"""客群 builder in real Chromium: two conditions change the live count, save, materialise."""

import pytest

from shequn.analytics.models import Segment
from shequn.analytics.tests import segment_world

from .test_browser import SHOTS, log_in


def _row(page, n):
    return page.locator(".cond-row").nth(n)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_build_a_segment_with_a_live_count(live_server, desk_page, staff_user, make_member, store, other_store):
    SHOTS.mkdir(parents=True, exist_ok=True)
    world = segment_world.build(make_member, store, other_store)
    staff_user("hq_operator", username="fenxi")
    page = desk_page
    page.set_default_timeout(60_000)  # the live count waits for the server; generous on a busy machine
    page.set_default_navigation_timeout(90_000)
    log_in(page, live_server.url, "fenxi")
    page.goto(f"{live_server.url}/console/analytics/segments/")
    page.locator("#new-segment").click()
    page.wait_for_url("**/segments/new/")

    first = _row(page, 0)
    first.locator(".cond-field").select_option("tag")
    page.wait_for_function("document.querySelector('.cond-row .cond-field').value === 'tag' && "
                           "document.querySelector('.cond-row input[value=VIP]') !== null")
    _row(page, 0).get_by_label("VIP").check()
    page.wait_for_function("document.getElementById('preview-count').dataset.count === '2'")

    page.locator("#add-condition").click()
    page.wait_for_function("document.querySelectorAll('.cond-row').length === 2")
    _row(page, 1).locator(".cond-field").select_option("store")
    page.wait_for_function("document.querySelectorAll('.cond-row')[1].querySelector('.cond-field').value === 'store'")
    _row(page, 1).get_by_label("上海静安店").check()
    page.wait_for_function("document.getElementById('preview-count').dataset.count === '1'")
    assert "金卡甲" in page.locator("#segment-preview").inner_text()
    page.screenshot(path=str(SHOTS / "segment-builder.png"), full_page=True)

    page.locator("#seg-name").fill("本店 VIP")
    page.locator("#save-segment").click()
    page.wait_for_url("**/analytics/segments/*/")
    page.locator("#materialise").click()
    page.wait_for_selector(".messages")
    assert page.locator("#segment-count").inner_text() == "1"
    assert world["gold_a"].member_no in page.locator("#segment-members").inner_text()
    page.screenshot(path=str(SHOTS / "segment-detail.png"), full_page=True)
    segment = Segment.objects.get()
    assert segment.member_count == 1 and segment.conditions[0]["field"] == "tag"
