"""In real Chromium on a phone-sized screen: a friend opens the share link, joins the team, pays on the
sandbox gateway, and the team is complete."""

import pytest
from django.conf import settings as django_settings

from shequn.commerce import payments
from shequn.commerce.teams import services
from shequn.commerce.teams.models import Team

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


@pytest.fixture(autouse=True)
def online_payment(settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"


def session_for(member) -> str:
    from importlib import import_module

    session = import_module(django_settings.SESSION_ENGINE).SessionStore()
    session["member_id"] = member.pk
    session.save()
    return session.session_key


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_friend_joins_through_the_share_link_and_the_team_completes(live_server, chromium_page, system_actor,
                                                                    make_deal, make_member, store):
    deal = make_deal(team_size=2, title="阳光玫瑰 2人团")
    leader = make_member(store=store, name="陈团长")
    seat = services.open_team(system_actor, deal, leader)
    payments.start_payment(system_actor, seat.order, "offline")
    friend = make_member(store=store, name="林小夏")
    page = chromium_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, user_agent=IPHONE)
    page.context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "value": session_for(friend),
                               "url": live_server.url}])

    page.goto(f"{live_server.url}/m/team/{seat.team.code}/")
    assert "1/2" in page.locator("[data-seats-filled]").inner_text()
    assert ":" in page.locator("[data-countdown]").inner_text()  # the countdown is running
    page.locator("[data-join-team]").click()
    page.wait_for_url(f"{live_server.url}/m/pay/sandbox/**")
    page.locator("[data-confirm-pay]").click()
    page.wait_for_url(f"{live_server.url}/m/orders/**")

    team = Team.objects.get(pk=seat.team_id)
    assert team.status == Team.Status.COMPLETE
    page.goto(f"{live_server.url}/m/team/{team.code}/")
    assert page.locator("[data-team-result]").inner_text() == "已成团"
    assert page.locator("[data-my-seat]").get_attribute("data-my-seat") == "confirmed"
