"""The members API over HTTP: shapes, errors as problem+json, authentication and store scoping."""

from urllib.parse import urlencode

import pytest

from shequn.core.models import AuditEntry
from shequn.core.tests.threads import run_together
from shequn.members.models import Member

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
MEMBER_KEYS = {"id", "member_no", "name", "phone_masked", "tier", "points_balance", "store_code", "joined_at"}


def assert_problem(response, status, slug=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] and body["status"] == status and body["detail"]
    if slug:
        assert body["type"] == slug, body
    return body


def query(path, **params):
    return f"{path}?{urlencode(params)}"


# -- create and read --------------------------------------------------------------------------

def test_post_member_201_with_the_documented_shape(api, store):
    r = api.post("/members", {"phone": "+86 139 0000 1234", "name": "陈静", "store_code": "SH01",
                              "birthday": "1992-03-04", "external_id": "CRM-1"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == MEMBER_KEYS
    assert body["tier"] == {"code": "basic", "name": "普通会员"}
    assert (body["name"], body["phone_masked"], body["points_balance"], body["store_code"]) == \
        ("陈静", "139****1234", 0, "SH01")
    assert body["member_no"].startswith("M") and isinstance(body["id"], int)
    assert "13900001234" not in r.content.decode()
    member = Member.objects.get(pk=body["id"])
    assert (member.source, member.external_id, str(member.birthday)) == ("api", "CRM-1", "1992-03-04")


def test_get_member_has_the_same_shape(api, member):
    created = api.get(f"/members/{member.pk}")
    assert created.status_code == 200
    body = created.json()
    assert set(body) == MEMBER_KEYS and body["id"] == member.pk and body["store_code"] == "SH01"


def test_post_member_duplicate_phone_409(api, store):
    assert api.post("/members", {"phone": "13900001234", "name": "甲"}).status_code == 201
    r = api.post("/members", {"phone": "+86 139-0000-1234", "name": "乙"})
    assert_problem(r, 409, "member-exists")
    assert Member.objects.count() == 1


@pytest.mark.parametrize("body, slug", [
    ({"phone": "12345", "name": "x"}, "invalid-phone"),
    ({"phone": "010-88886666", "name": "座机"}, "invalid-phone"),
    ({"name": "没有手机"}, "validation-error"),
    ({"phone": "13900001234", "gender": "other"}, "validation-error"),
    ({"phone": "13900001234", "birthday": "1990-02-30"}, "validation-error"),
    ({"phone": "13900001234", "name": "名" * 65}, "validation-error"),
])
def test_post_member_bad_input_422(api, body, slug):
    body = assert_problem(api.post("/members", body), 422, slug)
    assert not Member.objects.exists()


def test_post_member_unknown_store_code_404(api):
    assert_problem(api.post("/members", {"phone": "13900001234", "store_code": "NOPE"}), 404, "store-not-found")
    assert not Member.objects.exists()


def test_get_unknown_member_404(api):
    assert_problem(api.get("/members/999999"), 404, "member-not-found")
    assert_problem(api.get(f"/members/{2**63}"), 404, "member-not-found")  # past any database id
    assert_problem(api.get("/members/0"), 404, "member-not-found")


def test_unknown_api_paths_are_problems_too(api):
    assert_problem(api.get("/members/abc"), 404, "no-such-endpoint")
    assert_problem(api.get("/no-such-thing"), 404, "no-such-endpoint")


def test_patch_member(api, member, make_member):
    r = api.patch(f"/members/{member.pk}", {"name": "改名"})
    assert r.status_code == 200 and r.json()["name"] == "改名"
    assert_problem(api.patch(f"/members/{member.pk}", {"name": None}), 422)
    other = make_member()
    assert_problem(api.patch(f"/members/{member.pk}", {"phone": other.phone}), 409, "member-exists")
    assert_problem(api.patch(f"/members/{member.pk}", {"phone": "123"}), 422, "invalid-phone")
    member.refresh_from_db()
    assert member.name == "改名"


def test_reveal_phone_is_audited_and_needs_permission(api, api_as, member):
    r = api.post(f"/members/{member.pk}/reveal-phone")
    assert r.status_code == 200 and r.json() == {"phone": member.phone}
    assert AuditEntry.objects.filter(action="member.phone_revealed").count() == 1
    assert_problem(api_as("analyst").post(f"/members/{member.pk}/reveal-phone"), 403, "pii-reveal-denied")
    assert AuditEntry.objects.filter(action="member.phone_revealed").count() == 1


# -- list, search and paging ------------------------------------------------------------------

@pytest.fixture
def crowd(system_actor, make_member, store, other_store):
    from shequn.loyalty.services import set_tier

    people = [make_member(store=store, name=f"会员{n}", phone=f"1370000000{n}") for n in range(5)]
    people.append(make_member(store=other_store, name="赵敏", phone="13711112222"))
    set_tier(system_actor, people[-1].pk, "gold", reason="测试")
    return people


def ids(response):
    assert response.status_code == 200, response.content
    return [m["id"] for m in response.json()["items"]]


def test_list_members_search_and_filters(api, crowd):
    zhao = crowd[-1]
    assert ids(api.get(query("/members", q="13711112222"))) == [zhao.pk]
    assert ids(api.get(query("/members", q="+86 137 1111 2222"))) == [zhao.pk]
    assert ids(api.get(query("/members", q=crowd[2].member_no))) == [crowd[2].pk]
    assert ids(api.get(query("/members", q="赵敏"))) == [zhao.pk]
    assert ids(api.get(query("/members", q="会员"))) == [m.pk for m in reversed(crowd[:5])]
    assert ids(api.get(query("/members", tier="gold"))) == [zhao.pk]
    assert ids(api.get(query("/members", store="BJ01"))) == [zhao.pk]
    assert ids(api.get(query("/members", store="SH01", tier="gold"))) == []


def test_list_members_cursor_walks_every_member_once(api, crowd):
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        r = api.get(query("/members", **params))
        seen += ids(r)
        cursor, pages = r.json()["next_cursor"], pages + 1
        if cursor is None:
            break
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert seen == sorted((m.pk for m in crowd), reverse=True)


def test_list_members_invalid_cursor_422(api, crowd):
    assert_problem(api.get(query("/members", cursor="garbage!")), 422, "invalid-cursor")
    assert_problem(api.get(query("/members", limit="many")), 422, "validation-error")


# -- authentication, permissions, scope --------------------------------------------------------

@pytest.mark.parametrize("headers", [{}, {"HTTP_AUTHORIZATION": "Bearer sq_not-a-real-token"},
                                     {"HTTP_AUTHORIZATION": "Bearer "}, {"HTTP_AUTHORIZATION": "Basic abc"}])
def test_401_without_a_valid_token(anon_api, member, headers):
    for r in (anon_api.get(f"/members/{member.pk}", **headers),
              anon_api.post("/members", {"phone": "13900001234"}, **headers)):
        assert_problem(r, 401, "unauthorized")
        assert r["WWW-Authenticate"].startswith("Bearer")
    assert Member.objects.count() == 1


def test_401_with_a_revoked_token(make_token, member):
    from conftest import ApiClient
    from shequn.accounts.models import ApiToken
    from shequn.accounts.tokens import revoke_token
    from shequn.core.actor import SYSTEM

    client = ApiClient(make_token("temp", "owner"))
    assert client.get(f"/members/{member.pk}").status_code == 200
    revoke_token(SYSTEM, ApiToken.objects.get(user__username="temp"))
    assert_problem(client.get(f"/members/{member.pk}"), 401, "unauthorized")


def test_403_for_a_role_without_the_permission(api_as, store):
    analyst = api_as("analyst")
    assert_problem(analyst.post("/members", {"phone": "13900001234", "name": "x"}), 403, "forbidden")
    assert not Member.objects.exists()
    assert analyst.get("/members").status_code == 200


def test_store_manager_sees_only_their_stores_members(api_as, crowd, store):
    manager = api_as("store_manager", stores=["SH01"])
    zhao = crowd[-1]  # a member of BJ01
    assert_problem(manager.get(f"/members/{zhao.pk}"), 404, "member-not-found")
    assert zhao.pk not in ids(manager.get("/members"))
    assert ids(manager.get(query("/members", q="13711112222"))) == []
    assert ids(manager.get(query("/members", store="BJ01"))) == []
    assert sorted(ids(manager.get(query("/members", limit=200)))) == sorted(m.pk for m in crowd[:5])
    assert_problem(manager.patch(f"/members/{zhao.pk}", {"name": "x"}), 404, "member-not-found")
    assert_problem(manager.post(f"/members/{zhao.pk}/reveal-phone"), 404, "member-not-found")


def test_store_manager_registers_members_in_their_own_store_only(api_as, store, other_store):
    manager = api_as("store_manager", stores=["SH01"])
    assert manager.post("/members", {"phone": "13900001234", "store_code": "SH01"}).status_code == 201
    assert_problem(manager.post("/members", {"phone": "13900005678", "store_code": "BJ01"}), 404,
                   "store-not-found")
    assert_problem(manager.post("/members", {"phone": "13900005678"}), 403, "store-out-of-scope")
    assert Member.objects.count() == 1


# -- PostgreSQL: concurrent registration over HTTP --------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_phone_give_one_201(make_token, store):
    from django.test import Client

    auth = {"HTTP_AUTHORIZATION": f"Bearer {make_token()}"}

    def post(i):
        r = Client().post("/api/v1/members", {"phone": "13966667777", "name": f"并发{i}", "store_code": "SH01"},
                          content_type="application/json", **auth)
        return r.status_code, r.json()["type"] if r.status_code != 201 else "created"

    results = run_together(20, post)
    assert sorted(results).count((201, "created")) == 1, results
    assert results.count((409, "member-exists")) == 19, results
    assert Member.objects.count() == 1


def test_text_with_nul_characters_is_refused(api, member):
    assert_problem(api.get(query("/members", q="王\x00")), 422, "invalid-text")
    assert_problem(api.post("/members", {"phone": "13900001234", "name": "王\x00芳"}), 422, "invalid-text")
    assert_problem(api.post(f"/members/{member.pk}/points/earn", {"points": 1, "reason": "\x00"}, key="n"), 422,
                   "invalid-text")
    assert Member.objects.count() == 1 and member.points_entries.count() == 0
