"""RFM 客群 and 流失挽回 pages: cells, movement matrix, drill-down, exports, running a day, scoping."""

import datetime as dt
import io

import openpyxl
import pytest

from shequn.analytics.models import MemberValue, RfmRun, RfmScore

from .test_analytics_browser import build_history

pytestmark = pytest.mark.django_db
FEB, MAR = dt.date(2026, 2, 28), dt.date(2026, 3, 31)


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def scored(system_actor, store, other_store):
    """Sixty members' history, RFM at the end of February and March (overall and SH01), value fitted in March."""
    from shequn.analytics.clv.scoring import run_clv
    from shequn.analytics.rfm import run_rfm
    from shequn.analytics.snapshot import write_snapshot

    build_history(system_actor, [store, other_store])
    snapshot = write_snapshot()
    runs = {(day, code): run_rfm("duckdb", day, code, snapshot=snapshot)["run_id"]
            for day in (FEB, MAR) for code in (None, "SH01")}
    clv, _ = run_clv(system_actor, calibration_end=MAR, time_unit="day")
    return runs, clv


def test_rfm_page_shows_cells_movement_and_a_cells_members(owner, scored):
    runs, _ = scored
    page = owner.get("/console/analytics/rfm/").content.decode()
    assert 'id="rfm-cells"' in page and page.count('class="rfm-cell') == 11
    run = RfmRun.objects.get(pk=runs[(MAR, None)])
    biggest = RfmScore.objects.filter(run=run).values_list("cell", flat=True)
    cell = max(set(biggest), key=list(biggest).count)
    assert f'data-cell="{cell}"' in page and 'id="rfm-movement"' in page and "2026-02-28" in page

    drill = owner.get(f"/console/analytics/rfm/?run={run.pk}&cell={cell}").content.decode()
    members = RfmScore.objects.filter(run=run, cell=cell)
    top = members.order_by("-monetary_fen", "member_id").first()
    assert drill.count("data-member=") == min(50, members.count())
    assert f'href="/console/members/{top.member_id}/"' in drill

    sheet = owner.get(f"/console/analytics/rfm/?run={run.pk}&cell={cell}&export=xlsx&table=members")
    rows = list(openpyxl.load_workbook(io.BytesIO(sheet.content)).active.values)
    assert rows[0][0] == "会员号" and len(rows) == members.count() + 1
    moves = owner.get(f"/console/analytics/rfm/?run={run.pk}&export=csv&table=movement").content.decode("utf-8-sig")
    assert moves.startswith("原客群,现客群,人数,变化")
    assert owner.get(f"/console/analytics/rfm/?run={run.pk}&export=pdf&table=cells").status_code == 400


def test_store_scope_and_the_first_run_of_a_scope(owner, scored):
    runs, _ = scored
    page = owner.get("/console/analytics/rfm/?store=SH01").content.decode()
    assert f'value="{runs[(MAR, "SH01")]}" selected' in page
    first = owner.get(f"/console/analytics/rfm/?store=SH01&run={runs[(FEB, 'SH01')]}").content.decode()
    assert 'id="rfm-no-previous"' in first


def test_run_now_scores_a_day_and_bad_input_says_why(owner, scored):
    response = owner.post("/console/analytics/rfm/", {"as_of": "2026-03-15", "store": "SH01"}, follow=True)
    run = RfmRun.objects.get(as_of=dt.date(2026, 3, 15), store__code="SH01")
    assert f'value="{run.pk}" selected' in response.content.decode() and run.members > 0
    bad = owner.post("/console/analytics/rfm/", {"as_of": "15/03/2026", "store": ""}, follow=True).content.decode()
    assert "请用日期选择器选择统计日期" in bad and RfmRun.objects.count() == 5


def test_store_managers_see_and_cannot_run_outside_their_store(console_as, scored, store):
    runs, _ = scored
    manager = console_as("store_manager", stores=[store.code])
    page = manager.get("/console/analytics/rfm/").content.decode()
    assert f'value="{runs[(MAR, "SH01")]}" selected' in page and "全部门店" not in page
    assert manager.get(f"/console/analytics/rfm/?run={runs[(MAR, None)]}").status_code == 404
    assert manager.post("/console/analytics/rfm/", {"as_of": "2026-03-15", "store": "SH01"}).status_code == 403
    assert 'id="rfm-run"' not in page  # no 立即计算 without analytics.run


def test_win_back_lists_members_at_risk_by_value(owner, console_as, scored, store):
    _, clv = scored
    page = owner.get("/console/analytics/win-back/").content.decode()
    at_risk = (MemberValue.objects.filter(run=clv, churn_risk__in=("high", "medium"))
               .order_by("-clv_12m_fen", "member_id"))
    assert at_risk.exists()
    shown = [int(x.split('"')[0]) for x in page.split('data-member="')[1:]]
    assert shown == [v.member_id for v in at_risk[:50]]
    assert "RFM 客群取自 2026-03-31" in page
    csv = owner.get("/console/analytics/win-back/?risk=high&export=csv").content.decode("utf-8-sig").splitlines()
    assert len(csv) == 1 + at_risk.filter(churn_risk="high").count()
    manager = console_as("store_manager", stores=[store.code])
    assert 'id="winback-empty"' in manager.get("/console/analytics/win-back/").content.decode()  # overall fit only
