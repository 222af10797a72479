"""Console team purchase pages: deals, new deal form, a deal's teams with seats, pause, run expiry now."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce import payments
from shequn.commerce.teams import services
from shequn.commerce.teams.models import Team, TeamDeal

pytestmark = pytest.mark.django_db


def _form(store, **kwargs):
    now = timezone.localtime()
    data = {"title": "草莓3人团", "sku": "GRAPE-1KG", "store": store.pk, "team_price": "39.90", "team_size": 3,
            "hours": 24, "per_member_limit": 1, "starts_at": now.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")}
    data.update(kwargs)
    return data


def test_create_deal_through_the_form(console_as, store, team_sku):
    client = console_as()
    page = client.get("/console/commerce/teams/")
    assert page.status_code == 200 and 'id="new-deal"' in page.content.decode()
    response = client.post("/console/commerce/teams/", _form(store))
    deal = TeamDeal.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/console/commerce/teams/{deal.pk}/"
    assert deal.team_price_fen == 3990 and deal.team_size == 3


def test_bad_form_writes_nothing(console_as, store, team_sku):
    client = console_as()
    response = client.post("/console/commerce/teams/", _form(store, team_price="59.90"))
    assert response.status_code == 422 and "活动设置有误" in response.content.decode()
    assert client.post("/console/commerce/teams/", _form(store, sku="NOPE")).status_code == 422
    assert not TeamDeal.objects.exists()


def test_deal_page_shows_teams_seats_and_refunds(console_as, system_actor, make_deal, members):
    deal = make_deal()
    team = services.open_team(system_actor, deal, members[0]).team
    seat = team.seats.get()
    payments.start_payment(system_actor, seat.order, "offline")
    services.join_team(system_actor, team, members[1])
    client = console_as()
    page = client.get(f"/console/commerce/teams/{deal.pk}/").content.decode()
    assert f'data-team="{team.code}"' in page and "2/3" in page and seat.order.order_no in page
    Team.objects.filter(pk=team.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    done = client.post("/console/commerce/teams/expire/")
    assert done.status_code == 302
    page = client.get(f"/console/commerce/teams/{deal.pk}/?status=failed").content.decode()
    assert 'data-status="failed"' in page and f"team-{team.pk}-{seat.pk}" in page
    assert 'data-seat="refunded"' in page and 'data-seat="released"' in page


def test_pause_and_permissions(console_as, make_deal, other_store):
    deal = make_deal()
    client = console_as()
    client.post(f"/console/commerce/teams/{deal.pk}/status/", {"status": "paused"})
    assert TeamDeal.objects.get(pk=deal.pk).status == "paused"
    manager = console_as("store_manager", stores=["SH01"])
    assert manager.get(f"/console/commerce/teams/{deal.pk}/").status_code == 200
    assert manager.post(f"/console/commerce/teams/{deal.pk}/status/", {"status": "active"}).status_code == 403
    outsider = console_as("store_manager", stores=[other_store.code], username="bj")
    assert outsider.get(f"/console/commerce/teams/{deal.pk}/").status_code == 404
