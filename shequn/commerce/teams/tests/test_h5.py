"""Member pages: the deal page, opening a team, joining through the share link, and paying."""

import pytest
from django.test import Client

from shequn.commerce.models import Order
from shequn.commerce.teams import services
from shequn.commerce.teams.models import Team, TeamSeat

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def online_payment(settings):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "sandbox"


def logged_in(member) -> Client:
    client = Client()
    session = client.session
    session["member_id"] = member.pk
    session.save()
    return client


def test_deal_list_and_page(deal, members):
    client = logged_in(members[0])
    listing = client.get("/m/team-deals/")
    assert listing.status_code == 200 and f'data-deal="{deal.pk}"' in listing.content.decode()
    page = client.get(f"/m/team-deals/{deal.pk}/").content.decode()
    assert "¥39.90" in page and "¥59.90" in page and "data-open-team" in page


def test_open_goes_to_the_sandbox_payment(deal, members):
    response = logged_in(members[0]).post(f"/m/team-deals/{deal.pk}/open/")
    order = Order.objects.get(channel="team")
    assert response.status_code == 302 and response["Location"] == f"/m/pay/sandbox/{order.order_no}/"
    assert order.payment_method == "sandbox"


def test_share_link_shows_seats_and_joins(system_actor, deal, members):
    team = services.open_team(system_actor, deal, members[0]).team
    client = logged_in(members[1])
    page = client.get(f"/m/team/{team.code}/").content.decode()
    assert "data-join-team" in page and "1/3" in page and 'data-seconds-left="' in page
    response = client.post(f"/m/team/{team.code}/")
    seat = TeamSeat.objects.get(team=team, member=members[1])
    assert response.status_code == 302 and response["Location"] == f"/m/pay/sandbox/{seat.order.order_no}/"
    again = client.get(f"/m/team/{team.code}/").content.decode()
    assert "data-join-team" not in again and 'data-my-seat="held"' in again


def test_full_team_page_explains(system_actor, make_deal, members):
    deal = make_deal(team_size=2)
    team = services.open_team(system_actor, deal, members[0]).team
    services.join_team(system_actor, team, members[1])
    client = logged_in(members[2])
    assert "data-join-team" not in client.get(f"/m/team/{team.code}/").content.decode()
    response = client.post(f"/m/team/{team.code}/")
    assert response.status_code == 409 and "满员" in response.content.decode()
    assert Team.objects.get(pk=team.pk).seats_taken == 2


def test_unknown_team_and_login_required(members):
    assert logged_in(members[0]).get("/m/team/NOPE/").status_code == 404
    anonymous = Client().get("/m/team/ABC/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/m/login/")


def test_without_online_payment_the_member_chooses_how_to_pay(settings, deal, members):
    settings.SHEQUN_H5_ONLINE_PAYMENT = "none"
    response = logged_in(members[0]).post(f"/m/team-deals/{deal.pk}/open/")
    order = Order.objects.get(channel="team")
    assert response.status_code == 302 and response["Location"] == f"/m/orders/{order.order_no}/pay/"
    assert order.payment_method == ""
