import datetime as dt

import pytest
from django.utils import timezone

from shequn.commerce.teams.models import Team, TeamDeal

pytestmark = pytest.mark.django_db


def _deal_body(**kwargs):
    now = timezone.now()
    body = {"title": "阳光玫瑰 3人团", "sku": "GRAPE-1KG", "store_code": "SH01", "team_price_fen": 3990,
            "team_size": 3, "hours": 24, "starts_at": (now - dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=2)).isoformat(), "per_member_limit": 1}
    body.update(kwargs)
    return body


def test_create_list_open_join_and_status(api, team_sku, members):
    body = _deal_body()
    created = api.post("/team-deals", body, key="deal-1")
    assert created.status_code == 201, created.json()
    deal = created.json()
    assert (deal["team_price_fen"], deal["list_price_fen"], deal["team_size"]) == (3990, 5990, 3)
    assert api.post("/team-deals", body, key="deal-1").json()["id"] == deal["id"]  # replay
    assert TeamDeal.objects.count() == 1

    opened = api.post(f"/team-deals/{deal['id']}/teams", {"member_id": members[0].pk}, key="open-1")
    assert opened.status_code == 201, opened.json()
    team = opened.json()["team"]
    assert team["seats_taken"] == 1 and team["seats_left"] == 2 and team["status"] == "forming"
    assert team["share_url"] == f"/m/team/{team['code']}/"
    assert 0 < team["seconds_left"] <= 24 * 3600
    assert opened.json()["seat"]["total_fen"] == 3990 and opened.json()["seat"]["order_status"] == "pending_payment"

    joined = api.post(f"/teams/{team['code']}/join", {"member_id": members[1].pk}, key="join-1")
    assert joined.status_code == 201 and joined.json()["team"]["seats_taken"] == 2
    again = api.post(f"/teams/{team['code']}/join", {"member_id": members[1].pk}, key="join-2")
    assert again.status_code == 409 and again.json()["type"] == "already-in-team"
    assert again["Content-Type"] == "application/problem+json"

    status = api.get(f"/teams/{team['code']}").json()
    assert [s["member_id"] for s in status["seats"]] == [members[0].pk, members[1].pk]
    listed = api.get(f"/team-deals/{deal['id']}/teams").json()["items"]
    assert [t["code"] for t in listed] == [team["code"]]
    assert api.get("/team-deals").json()["items"][0]["teams_forming"] == 1

    paused = api.post(f"/team-deals/{deal['id']}/status", {"status": "paused"}, key="pause-1")
    assert paused.json()["status"] == "paused"
    refused = api.post(f"/teams/{team['code']}/join", {"member_id": members[2].pk}, key="join-3")
    assert refused.status_code == 409 and refused.json()["type"] == "team-deal-closed"


def test_full_team_is_409(api, make_deal, members):
    deal = make_deal(team_size=2)
    code = api.post(f"/team-deals/{deal.pk}/teams", {"member_id": members[0].pk}, key="k56").json()["team"]["code"]
    assert api.post(f"/teams/{code}/join", {"member_id": members[1].pk}, key="k57").status_code == 201
    full = api.post(f"/teams/{code}/join", {"member_id": members[2].pk}, key="k58")
    assert full.status_code == 409 and full.json()["type"] == "team-full"
    assert Team.objects.get(code=code).seats_taken == 2


@pytest.mark.parametrize("change, status, slug", [
    ({"team_size": 1}, 422, "validation-error"),
    ({"team_price_fen": 5990}, 422, "invalid-team-deal"),
    ({"sku": "NOPE"}, 404, "product-not-found"),
    ({"store_code": "NOPE"}, 404, "store-not-found"),
    ({"starts_at": "2026-13-01"}, 422, "validation-error"),
])
def test_bad_deal_input(api, team_sku, change, status, slug):
    response = api.post("/team-deals", _deal_body(**change))
    assert response.status_code == status and response.json()["type"] == slug, response.json()
    assert not TeamDeal.objects.exists()


def test_unknown_team_and_permissions(api, api_as, deal, members):
    assert api.get("/teams/NOPE").json()["type"] == "team-not-found"
    manager = api_as("store_manager", stores=["SH01"])
    assert manager.post("/team-deals", _deal_body()).status_code == 403
    assert manager.post(f"/team-deals/{deal.pk}/teams", {"member_id": members[0].pk}, key="k80").status_code == 201


def test_store_scoping(api_as, deal, other_store):
    outsider = api_as("store_manager", stores=[other_store.code], username="bj_manager")
    assert outsider.get("/team-deals").json()["items"] == []
    assert outsider.get(f"/team-deals/{deal.pk}").status_code == 404
