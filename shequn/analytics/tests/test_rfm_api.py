"""RFM runs and recommendations over HTTP: run, replay, cells, movement, a cell's members, a member's cells,
scoping of store managers, problems for bad input."""

import datetime as dt

import pytest

from shequn.analytics.models import RfmRun, RfmScore, Transaction

from .test_rfm import AS_OF, EXPECTED_OVERALL, EXPECTED_SH01, SHANGHAI, build_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def history(make_member, store, other_store):
    return build_history(make_member, {store.code: store, other_store.code: other_store})


def _run(api, key, **body):
    return api.post("/analytics/rfm-runs", {"as_of": AS_OF.isoformat(), **body}, key=key)


def test_run_read_cells_movement_and_members(api, history):
    assert _run(api, "may", as_of="2026-05-31").status_code == 201
    r = _run(api, "june")
    assert r.status_code == 201, r.content
    run = r.json()
    assert _run(api, "june").json()["id"] == run["id"] and RfmRun.objects.count() == 2  # replayed key
    assert run["members"] == 9 and run["store_code"] is None and run["previous"]["as_of"] == "2026-05-31"
    cells = {c["cell"]: c for c in run["cells"]}
    assert len(cells) == 11 and run["cells"][0]["cell"] == "champions"
    assert (cells["cannot_lose"]["members"], cells["cannot_lose"]["avg_monetary_fen"]) == (2, 225000)
    assert cells["cannot_lose"]["share"] == round(2 / 9, 4)
    flows = {(f["from_cell"], f["to_cell"]): f for f in run["movement"]}
    assert flows[(None, "new")]["members"] == 1 and flows[(None, "new")]["direction"] == "in"
    assert sum(f["members"] for f in run["movement"]) == 9

    assert api.get(f"/analytics/rfm-runs/{run['id']}").json() == run
    assert [x["as_of"] for x in api.get("/analytics/rfm-runs").json()] == ["2026-06-30", "2026-05-31"]
    assert api.get("/analytics/rfm-runs?store_code=SH01").json() == []

    page = api.get(f"/analytics/rfm-runs/{run['id']}/members?cell=cannot_lose").json()
    assert page["total"] == 2 and [m["member_id"] for m in page["items"]] == [history["G"], history["C"]]
    assert page["items"][0]["label"] == "不能失去" and page["items"][0]["home_store_code"] == "BJ01"
    everyone = api.get(f"/analytics/rfm-runs/{run['id']}/members?page=2&page_size=4").json()
    assert (everyone["total"], everyone["pages"], len(everyone["items"])) == (9, 3, 4)

    mine = api.get(f"/analytics/members/{history['C']}/rfm").json()
    assert [(x["store_code"], x["as_of"], x["cell"]) for x in mine] == [(None, "2026-06-30", "cannot_lose")]
    assert api.get(f"/analytics/members/{history['K']}/rfm").json() == []  # never bought: never scored


def test_a_store_run_and_re_running_a_day(api, history):
    first = _run(api, "sh-1", store_code="SH01").json()
    assert first["members"] == len(EXPECTED_SH01) and first["previous"] is None and first["movement"] == []
    again = _run(api, "sh-2", store_code="SH01").json()  # the same day again: replaced, not added
    assert again["id"] == first["id"] and RfmScore.objects.filter(run_id=first["id"]).count() == 5
    assert api.get("/analytics/rfm-runs?store_code=SH01").json()[0]["id"] == first["id"]
    _run(api, "all")
    cells = api.get(f"/analytics/members/{history['B']}/rfm").json()
    assert [(x["store_code"], x["cell"]) for x in cells] == [(None, "new"), ("SH01", "potential_loyalist")]
    assert [r["store_code"] for r in api.get("/analytics/rfm-runs?overall=true").json()] == [None]


def test_bad_input_is_a_problem_and_writes_nothing(api, history):
    assert _run(api, "k1", as_of="30/06/2026").status_code == 422
    assert _run(api, "k2", engine="oracle").status_code == 422
    missing = _run(api, "k3", store_code="NOPE")
    assert missing.status_code == 404 and missing.json()["type"] == "unknown-store"
    assert missing["Content-Type"] == "application/problem+json"
    assert not RfmRun.objects.exists()
    assert api.get("/analytics/rfm-runs/999").json()["type"] == "rfm-run-not-found"
    run_id = _run(api, "ok").json()["id"]
    bad_cell = api.get(f"/analytics/rfm-runs/{run_id}/members?cell=vip")
    assert bad_cell.status_code == 422 and bad_cell.json()["type"] == "unknown-rfm-cell"
    assert api.get(f"/analytics/rfm-runs/{run_id}/members?page=0").status_code == 422
    assert api.get("/analytics/members/999999/rfm").json()["type"] == "member-not-found"


def test_store_managers_see_their_stores_only(api, api_as, history, store, other_store):
    overall = _run(api, "all").json()
    sh = _run(api, "sh", store_code="SH01").json()
    bj = _run(api, "bj", store_code="BJ01").json()
    manager = api_as("store_manager", stores=[store.code], username="sh_manager")
    assert [r["id"] for r in manager.get("/analytics/rfm-runs").json()] == [sh["id"]]
    assert manager.get(f"/analytics/rfm-runs/{sh['id']}").status_code == 200
    assert manager.get(f"/analytics/rfm-runs/{overall['id']}").status_code == 404
    assert manager.get(f"/analytics/rfm-runs/{bj['id']}/members").status_code == 404
    assert [x["store_code"] for x in manager.get(f"/analytics/members/{history['A']}/rfm").json()] == ["SH01"]
    assert manager.get(f"/analytics/members/{history['F']}/rfm").status_code == 404  # a BJ01 member
    refused = manager.post("/analytics/rfm-runs", {"as_of": "2026-06-30", "store_code": "SH01"}, key="m1")
    assert refused.status_code == 403 and RfmRun.objects.count() == 3
    assert len(EXPECTED_OVERALL) == overall["members"]


@pytest.fixture
def baskets(make_member, store, other_store):
    """Imported baskets: milk goes with eggs three times, with bread once; tea is bought alone."""
    members = [make_member(store=store, name=f"买家{i}") for i in range(4)] + [make_member(store=other_store)]
    rows = [(0, "o1", ["MILK", "EGG"]), (1, "o2", ["MILK", "EGG", "BREAD"]), (2, "o3", ["MILK", "EGG"]),
            (3, "o4", ["TEA"]), (3, "o5", ["MILK", "BREAD"]), (4, "o6", ["TEA"])]
    n = 0
    for who, order_no, skus in rows:
        for sku in skus:
            n += 1
            Transaction.objects.create(
                member=members[who], occurred_at=dt.datetime(2026, 6, n, 10, tzinfo=SHANGHAI), amount_fen=1000,
                store=members[who].home_store, sku=sku, order_no=order_no, source="import", source_ref=f"rec-{n}")
    return members


def test_bought_together_and_member_recommendations(api, api_as, baskets, store):
    together = api.get("/analytics/products/MILK/bought-together?k=5").json()
    assert [p["sku"] for p in together] == ["EGG", "BREAD"] and together[0]["source"] == "together"
    assert together[0]["score"] > together[1]["score"] and together[0]["name"] is None  # not in the catalogue
    assert api.get("/analytics/products/TEA/bought-together").json() == []
    missing = api.get("/analytics/products/NOPE/bought-together")
    assert missing.status_code == 404 and missing.json()["type"] == "product-not-found"
    assert api.get("/analytics/products/MILK/bought-together?k=0").status_code == 422

    picks = api.get(f"/analytics/members/{baskets[3].pk}/recommendations?k=3").json()
    assert picks[0]["sku"] == "EGG" and picks[0]["source"] == "together" and len(picks) <= 3
    manager = api_as("store_manager", stores=[store.code], username="rec_manager")
    assert manager.get(f"/analytics/members/{baskets[4].pk}/recommendations").status_code == 404
    assert manager.get(f"/analytics/members/{baskets[0].pk}/recommendations?k=2").status_code == 200
