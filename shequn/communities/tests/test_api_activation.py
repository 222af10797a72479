"""Activation API: red packets (exact shapes of the spec), posts and Q&A, polls, activities."""

import datetime as dt

import pytest
from django.utils import timezone

from shequn.communities import services
from shequn.communities.models import GroupCost, Post, RedPacket

pytestmark = pytest.mark.django_db


def send(api, group, key="rp-1", **body):
    payload = {"total_fen": 1000, "count": 3, "mode": "random"} | body
    return api.post(f"/groups/{group.pk}/red-packets", payload, key=key)


def test_create_red_packet_needs_an_idempotency_key(api, group):
    r = api.post(f"/groups/{group.pk}/red-packets", {"total_fen": 1000, "count": 3, "mode": "random"})
    assert r.status_code == 400 and r.json()["type"] == "idempotency-key-required"
    assert not RedPacket.objects.exists()


def test_create_red_packet_201_and_replay(api, group):
    r = send(api, group)
    assert r.status_code == 201, r.content
    packet_id = r.json()["id"]
    again = send(api, group)
    assert again.status_code == 201 and again.json()["id"] == packet_id
    assert RedPacket.objects.count() == 1 and GroupCost.objects.get().amount_fen == 1000


@pytest.mark.parametrize("body", [{"total_fen": 2, "count": 3}, {"mode": "lucky"}, {"count": 0},
                                  {"total_fen": 300_000}])
def test_bad_red_packet_is_422(api, group, body):
    r = send(api, group, **body)
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json")
    assert not RedPacket.objects.exists()


def test_grab_statuses(api, group, joined, member):
    packet_id = send(api, group, count=2, total_fen=500, mode="fixed").json()["id"]
    a, b, c = joined(), joined(), joined()
    r = api.post(f"/red-packets/{packet_id}/grab", {"member_id": a.pk})
    assert r.status_code == 201 and r.json()["amount_fen"] == 250
    r = api.post(f"/red-packets/{packet_id}/grab", {"member_id": a.pk})
    assert r.status_code == 409 and r.json()["type"] == "already-grabbed"
    r = api.post(f"/red-packets/{packet_id}/grab", {"member_id": member.pk})
    assert r.status_code == 403 and r.json()["type"] == "not-a-group-member"
    assert api.post(f"/red-packets/{packet_id}/grab", {"member_id": b.pk}).json()["amount_fen"] == 250
    r = api.post(f"/red-packets/{packet_id}/grab", {"member_id": c.pk})
    assert r.status_code == 409 and r.json()["type"] == "red-packet-empty"
    detail = api.get(f"/red-packets/{packet_id}").json()
    assert detail["remaining_fen"] == 0 and detail["status"] == "empty"
    assert sorted(g["member_id"] for g in detail["grabs"]) == sorted([a.pk, b.pk])
    assert api.post("/red-packets/999999/grab", {"member_id": a.pk}).status_code == 404


def test_expired_grab_is_409(api, group, joined):
    packet_id = send(api, group).json()["id"]
    RedPacket.objects.filter(pk=packet_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    r = api.post(f"/red-packets/{packet_id}/grab", {"member_id": joined().pk})
    assert r.status_code == 409 and r.json()["type"] == "red-packet-expired"


def test_store_scoping_and_permissions(api_as, group, other_store, system_actor, joined):
    beijing = api_as("store_manager", stores=["BJ01"])
    assert send(beijing, group).status_code == 404
    packet = services.create_red_packet(system_actor, group, total_fen=100, count=1, mode="fixed")
    assert beijing.post(f"/red-packets/{packet.pk}/grab", {"member_id": joined().pk}).status_code == 404
    assert beijing.get(f"/red-packets/{packet.pk}").status_code == 404
    assert send(api_as("analyst"), group).status_code == 403
    shanghai = api_as("store_manager", stores=["SH01"], username="sh_mgr")
    assert send(shanghai, group, key="sh").status_code == 201
    assert shanghai.get(f"/groups/{group.pk}/red-packets").json()["items"][0]["total_fen"] == 1000


def test_posts_schedule_list_reply_answer(api, group, joined):
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    r = api.post(f"/groups/{group.pk}/posts", {"kind": "text", "body": "明早八点上新", "scheduled_at": later})
    assert r.status_code == 201 and r.json()["published_at"] is None
    assert api.get(f"/groups/{group.pk}/posts").json()["items"] == []
    assert len(api.get(f"/groups/{group.pk}/posts?include_scheduled=true").json()["items"]) == 1
    asker = joined()
    q = api.post(f"/groups/{group.pk}/posts", {"kind": "question", "body": "有无糖酸奶吗？",
                                               "author_member_id": asker.pk}).json()
    r = api.post(f"/posts/{q['id']}/replies", {"body": "同问", "member_id": joined().pk})
    assert r.status_code == 201 and not r.json()["is_answer"]
    Post.objects.filter(pk=q["id"]).update(published_at=timezone.now() - dt.timedelta(minutes=10))
    r = api.post(f"/posts/{q['id']}/answer", {"body": "有的，冷柜第二排"})
    assert r.status_code == 201 and r.json()["is_answer"]
    detail = api.get(f"/posts/{q['id']}").json()
    assert detail["answered_at"] and detail["reply_count"] == 2 and len(detail["replies"]) == 2
    assert 600 <= detail["answer_seconds"] < 660
    text = api.post(f"/groups/{group.pk}/posts", {"kind": "text", "body": "hi"}).json()
    r = api.post(f"/posts/{text['id']}/answer", {"body": "x"})
    assert r.status_code == 422
    r = api.post(f"/groups/{group.pk}/posts", {"kind": "link", "url": ""})
    assert r.status_code == 422 and r.json()["type"] == "invalid-post"
    r = api.post(f"/posts/{text['id']}/replies", {"body": "x", "member_id": joined().pk + 1000})
    assert r.status_code == 404


def test_polls(api, group, joined):
    deadline = (timezone.now() + dt.timedelta(days=1)).isoformat()
    r = api.post(f"/groups/{group.pk}/polls", {"title": "周末做什么", "options": ["烘焙", "绘画"],
                                               "deadline": deadline})
    assert r.status_code == 201, r.content
    poll = r.json()
    a, b = (o["option_id"] for o in poll["results"])
    m = joined()
    r = api.post(f"/polls/{poll['id']}/votes", {"member_id": m.pk, "option_ids": [a]})
    assert r.status_code == 201 and r.json()["option_ids"] == [a]
    r = api.post(f"/polls/{poll['id']}/votes", {"member_id": m.pk, "option_ids": [a, b]})
    assert r.status_code == 422 and r.json()["type"] == "invalid-vote"
    results = api.get(f"/polls/{poll['id']}").json()
    assert results["voters"] == 1 and [x["votes"] for x in results["results"]] == [1, 0]
    from shequn.communities.models import Poll
    Poll.objects.filter(pk=poll["id"]).update(deadline=timezone.now() - dt.timedelta(seconds=1))
    r = api.post(f"/polls/{poll['id']}/votes", {"member_id": m.pk, "option_ids": [b]})
    assert r.status_code == 409 and r.json()["type"] == "poll-closed"
    assert api.get(f"/polls/{poll['id']}").json()["closed"] is True


def test_activities(api, group, make_member, store):
    start = timezone.now() + dt.timedelta(minutes=30)
    r = api.post("/activities", {"store_code": "SH01", "title": "亲子烘焙", "starts_at": start.isoformat(),
                                 "ends_at": (start + dt.timedelta(hours=2)).isoformat(), "capacity": 1})
    assert r.status_code == 201, r.content
    activity = r.json()
    a, b = make_member(store=store), make_member(store=store)
    assert api.post(f"/activities/{activity['id']}/signups", {"member_id": a.pk}).status_code == 201
    assert api.post(f"/activities/{activity['id']}/signups", {"member_id": a.pk}).status_code == 200
    r = api.post(f"/activities/{activity['id']}/signups", {"member_id": b.pk})
    assert r.status_code == 409 and r.json()["type"] == "activity-full"
    r = api.post("/activities/check-in", {"token": activity["checkin_token"], "member_id": a.pk})
    assert r.status_code == 200 and r.json()["checked_in_at"]
    r = api.post("/activities/check-in", {"token": "wrong", "member_id": a.pk})
    assert r.status_code == 404
    att = api.get(f"/activities/{activity['id']}/attendance").json()
    assert att["signed_up"] == 1 and att["checked_in"] == 1 and att["rows"][0]["member_id"] == a.pk
    assert len(api.get("/activities?store=SH01").json()["items"]) == 1
    r = api.post("/activities", {"store_code": "SH01", "title": "x", "starts_at": start.isoformat(),
                                 "ends_at": start.isoformat(), "capacity": 5})
    assert r.status_code == 422


def test_scoped_staff_do_not_see_other_stores_activities(api, api_as, store, other_store):
    start = timezone.now() + dt.timedelta(days=1)
    activity = api.post("/activities", {"store_code": "BJ01", "title": "北京读书会", "starts_at": start.isoformat(),
                                        "ends_at": (start + dt.timedelta(hours=1)).isoformat()}).json()
    shanghai = api_as("store_manager", stores=["SH01"])
    assert shanghai.get(f"/activities/{activity['id']}").status_code == 404
    assert shanghai.get("/activities").json()["items"] == []
