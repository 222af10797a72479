"""会员 360 画像 in real Chromium: from the member page to the 360 tab; the headline numbers, the monthly
chart and the recommended products show."""

import pytest

from shequn.analytics import profile_recs
from shequn.analytics.tests.profile_data import EXPECTED, build
from shequn.core.money import format_fen

from .test_browser import log_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_store_manager_opens_the_360_profile(live_server, desk_page, staff_user, store, other_store,
                                             system_actor, make_member, tmp_path):
    from django.test import Client

    import shequn.analytics.rfm  # noqa: F401  (loads pandas once, before the page is timed)

    profile_recs.forget()
    Client().get("/console/login/")  # the URL configuration is loaded before the browser's first request
    history = build(system_actor, store, other_store, make_member)
    staff_user("store_manager", stores=[store.code], username="dianzhang")
    page, url = desk_page, live_server.url

    log_in(page, url, "dianzhang")
    page.goto(f"{url}/console/members/{history.member.pk}/")
    page.get_by_role("link", name="360 画像").click()
    page.wait_for_url(f"{url}/console/members/{history.member.pk}/profile/")
    assert page.locator("#m360-spend").inner_text() == format_fen(EXPECTED["net"])
    assert page.locator("#m360-orders").inner_text() == str(EXPECTED["orders"])
    assert page.locator("#m360-days").inner_text() == str(EXPECTED["days"])
    assert page.locator("#m360-aov").inner_text() == format_fen(EXPECTED["aov"])
    assert page.locator("#m360-churn").inner_text() == "有流失风险"
    box = page.locator("#chart-months canvas").bounding_box()
    assert box["width"] > 300 and box["height"] > 150
    first = page.locator("#m360-recs-list li").first
    first.wait_for()
    assert "鲜牛奶" in first.inner_text() and "常一起买" in first.inner_text() and "¥10.00" in first.inner_text()
    assert page.locator("#m360-groups tbody tr").count() == 1
    # Readable on a laptop: nothing wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(tmp_path / "member-360.png"), full_page=True)
    page.get_by_role("link", name=history.first.order_no).click()
    page.wait_for_url(f"{url}/console/commerce/orders/{history.first.pk}/")
    # When the recommendations cannot load, the panel says so instead of waiting forever.
    page.route("**/profile/recommendations/", lambda route: route.fulfill(status=500, body="boom"))
    page.goto(f"{url}/console/members/{history.member.pk}/profile/")
    page.get_by_text("推荐暂时无法加载，请稍后刷新页面。").wait_for()
    profile_recs.forget()
