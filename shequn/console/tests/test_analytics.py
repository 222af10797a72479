"""数据分析 overview: exact figures on a small hand-built history, store scoping, exports and bad input."""

import csv
import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import openpyxl
import pytest

from shequn.analytics import overview
from shequn.analytics.models import Transaction
from shequn.communities.models import Group, GroupEvent, Membership
from shequn.core.actor import SYSTEM

pytestmark = pytest.mark.django_db
SH = zoneinfo.ZoneInfo("Asia/Shanghai")
MARCH = "range=custom&date_from=2026-03-01&date_to=2026-03-31"


def at(month, day, hour=12, minute=0, year=2026):
    return dt.datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture
def history(make_member, store, other_store):
    """A bought in Feb and twice on one day in March (then a refund); B joined a group and bought on two days;
    C (Beijing) bought twice, once a minute before April; D joined a group and never bought; E bought once in
    Feb through an import without a store."""
    refs = iter(range(1, 100))

    def buy(member, when, yuan, shop=store, source="order"):
        Transaction.objects.create(member=member, occurred_at=when, amount_fen=int(yuan * 100), store=shop,
                                   source=source, source_ref=f"T{next(refs)}")

    a = make_member(store=store, joined_at=at(1, 5))
    b = make_member(store=store, joined_at=at(3, 3, 8))
    c = make_member(store=other_store, joined_at=at(2, 1))
    d = make_member(store=store, joined_at=at(3, 15))
    e = make_member(store=store, joined_at=at(2, 15))
    buy(a, at(2, 10), 100)
    buy(a, at(3, 2, 10), 50)
    buy(a, at(3, 2, 20), 30)
    buy(a, at(3, 5), -10, source="refund")
    buy(b, at(3, 3, 12), 200)
    buy(b, at(3, 20), 100)
    buy(c, at(3, 10), 300, shop=other_store)
    buy(c, at(3, 31, 23, 30), 20, shop=other_store)
    buy(c, at(4, 1, 0, 10), 999, shop=other_store)  # April in Shanghai, although still March 31 in UTC
    buy(e, at(2, 20), 40, shop=None, source="import")
    g1 = Group.objects.create(name="静安宝妈群", store=store)
    g2 = Group.objects.create(name="朝阳吃货群", store=other_store)
    Membership.objects.create(group=g1, member=b, joined_at=at(3, 3, 9))
    Membership.objects.create(group=g1, member=d, joined_at=at(3, 15))
    Membership.objects.create(group=g1, member=a, joined_at=at(3, 10))  # after A's March purchases
    Membership.objects.create(group=g2, member=c, joined_at=at(1, 10))  # before the period
    events = iter(range(1, 100))

    def event(group, member, kind, when, yuan):
        GroupEvent.objects.create(source="system", event_id=f"E{next(events)}", group=group, member=member,
                                  kind=kind, occurred_at=when, amount_fen=int(yuan * 100))

    event(g1, b, "order", at(3, 3, 12), 200)
    event(g1, b, "order", at(3, 20), 100)
    event(g1, b, "refund", at(3, 21), -50)
    event(g2, c, "order", at(3, 10), 300)
    event(g2, c, "order", at(4, 2), 80)  # after the period
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def test_kpis_of_the_period_and_the_one_before(history):
    ov = overview.overview(SYSTEM, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
    assert ov.previous_period == overview.Period(dt.date(2026, 1, 29), dt.date(2026, 2, 28))
    assert ov.kpis == overview.Kpis(gmv_fen=69000, orders=6, avg_order_fen=11500, members=5, new_members=2,
                                    active_members=3, repeat_members=2, repurchase_rate=0.6667)
    assert ov.previous == overview.Kpis(gmv_fen=14000, orders=2, avg_order_fen=7000, members=3, new_members=2,
                                        active_members=2, repeat_members=0, repurchase_rate=0.0)


def test_daily_trend_uses_shanghai_days_and_nets_refunds(history):
    ov = overview.overview(SYSTEM, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
    assert len(ov.daily) == 31
    by_day = {row["day"].day: (row["gmv_fen"], row["orders"]) for row in ov.daily}
    assert by_day[2] == (8000, 2) and by_day[5] == (-1000, 0) and by_day[31] == (2000, 1) and by_day[1] == (0, 0)
    assert sum(row["gmv_fen"] for row in ov.daily) == ov.kpis.gmv_fen


def test_monthly_cohorts(history):
    ov = overview.overview(SYSTEM, date_from=dt.date(2026, 2, 1), date_to=dt.date(2026, 3, 31))
    assert ov.cohort_width == 2
    assert ov.cohorts == [
        {"month": "2026-02", "members": 2, "retained": [2, 1], "rates": [1.0, 0.5]},  # A and E; A again in March
        {"month": "2026-03", "members": 2, "retained": [2], "rates": [1.0]},  # B and C
    ]


def test_cohorts_cover_at_most_twelve_months(history):
    ov = overview.overview(SYSTEM, date_from=dt.date(2025, 1, 1), date_to=dt.date(2026, 3, 31))
    assert len(ov.cohorts) == 12 and ov.cohorts[0]["month"] == "2025-04" and ov.cohorts[-1]["month"] == "2026-03"
    assert [r["members"] for r in ov.cohorts if r["members"]] == [2, 2]


def test_funnel_counts_orders_after_joining(history):
    ov = overview.overview(SYSTEM, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
    assert ov.funnel == [{"step": "joined", "members": 3, "rate": 1.0},
                         {"step": "first_order", "members": 1, "rate": 0.3333},
                         {"step": "repeat_order", "members": 1, "rate": 0.3333}]


def test_sales_by_group_and_store_comparison(history, store, other_store):
    ov = overview.overview(SYSTEM, date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 31))
    assert [(g["name"], g["sales_fen"], g["orders"], g["buyers"]) for g in ov.groups] == [
        ("朝阳吃货群", 30000, 1, 1), ("静安宝妈群", 25000, 2, 1)]
    assert ov.stores == [
        {"code": "SH01", "name": store.name, "gmv_fen": 37000, "orders": 4, "buyers": 2, "avg_order_fen": 9250,
         "new_members": 2},
        {"code": "BJ01", "name": other_store.name, "gmv_fen": 32000, "orders": 2, "buyers": 1,
         "avg_order_fen": 16000, "new_members": 0},
    ]


def test_store_manager_sees_only_their_store(history, console_as):
    client = console_as("store_manager", stores=["SH01"])
    r = client.get(f"/console/analytics/?{MARCH}")
    assert r.status_code == 200
    ov = r.context["ov"]
    assert (ov.kpis.gmv_fen, ov.kpis.orders, ov.kpis.active_members, ov.kpis.repeat_members, ov.kpis.members) \
        == (37000, 4, 2, 1, 4)
    assert ov.previous.gmv_fen == 14000  # E's import has no store: it counts for E's home store
    assert [s["code"] for s in ov.stores] == ["SH01"]
    assert [g["name"] for g in ov.groups] == ["静安宝妈群"]
    assert ov.funnel[0]["members"] == 3
    html = r.content.decode()
    assert "朝阳吃货群" not in html and "北京朝阳店" not in html
    # Another store's code is not a choice: the filter is refused, nothing is shown.
    r = client.get(f"/console/analytics/?{MARCH}&store=BJ01")
    assert r.status_code == 400 and r.context["ov"] is None


def test_owner_can_narrow_to_one_store(history, owner):
    ov = owner.get(f"/console/analytics/?{MARCH}&store=BJ01").context["ov"]
    assert (ov.kpis.gmv_fen, ov.kpis.orders, ov.kpis.members) == (32000, 2, 1)
    assert [g["name"] for g in ov.groups] == ["朝阳吃货群"]


def test_page_shows_kpis_with_previous_period_and_says_what_gmv_is(history, owner):
    r = owner.get(f"/console/analytics/?{MARCH}")
    html = r.content.decode()
    assert 'id="kpi-gmv">¥690.00<' in html
    assert 'id="kpi-repurchase">67%<' in html
    assert "实付金额减去期内退款" in html
    assert "▲ 392.9%" in html  # GMV 690 against 140
    assert "▲ 66.7 个百分点" in html  # the repurchase rate moves in points, not percent of itself
    assert html.count("export=xlsx&amp;table=") == 7 and html.count("export=csv&amp;table=") == 7


def test_default_period_is_the_last_30_days(owner, store):
    r = owner.get("/console/analytics/")
    assert r.status_code == 200
    assert r.context["ov"].period.days == 30 and r.context["ov"].kpis.gmv_fen == 0
    assert owner.get("/console/analytics/?range=90").context["ov"].period.days == 90


@pytest.mark.parametrize("query", ["range=custom", "range=custom&date_from=2026-03-31&date_to=2026-03-01",
                                   "range=custom&date_from=2020-01-01&date_to=2026-03-01", "range=7",
                                   "range=custom&date_from=yesterday&date_to=2026-03-01"])
def test_bad_filters_are_explained_not_crashed(owner, store, query):
    r = owner.get(f"/console/analytics/?{query}")
    assert r.status_code == 400 and r.context["error"]
    assert 'id="analytics-error"' in r.content.decode()


def test_excel_export_opens_with_openpyxl(history, owner):
    r = owner.get(f"/console/analytics/?{MARCH}&export=xlsx&table=stores")
    assert r.status_code == 200
    assert r["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="overview-stores.xlsx"' in r["Content-Disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("门店编码", "门店", "GMV", "订单数", "购买人数", "客单价", "新增会员")
    assert rows[1][0] == "SH01" and Decimal(str(rows[1][2])) == Decimal("370.00") and rows[1][3] == 4
    assert ws.cell(row=2, column=3).number_format == "#,##0.00"


def test_cohort_export_in_excel_and_csv(history, owner):
    query = "range=custom&date_from=2026-02-01&date_to=2026-03-31"
    ws = openpyxl.load_workbook(io.BytesIO(owner.get(f"/console/analytics/?{query}&export=xlsx&table=cohorts")
                                           .content)).active
    assert list(ws.iter_rows(values_only=True)) == [("首购月份", "人数", "第 0 月", "第 1 月"),
                                                    ("2026-02", 2, 1.0, 0.5), ("2026-03", 2, 1.0, None)]
    r = owner.get(f"/console/analytics/?{query}&export=csv&table=cohorts")
    assert r["Content-Type"].startswith("text/csv")
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [["首购月份", "人数", "第 0 月", "第 1 月"],
                                                       ["2026-02", "2", "100.00%", "50.00%"],
                                                       ["2026-03", "2", "100.00%", ""]]


@pytest.mark.parametrize("table", ["kpis", "daily", "cohorts", "funnel", "groups", "stores", "hot"])
def test_every_table_exports_in_both_formats(history, owner, table):
    xlsx = owner.get(f"/console/analytics/?{MARCH}&export=xlsx&table={table}")
    assert xlsx.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.max_row >= 1
    rows = list(csv.reader(io.StringIO(owner.get(f"/console/analytics/?{MARCH}&export=csv&table={table}")
                                       .content.decode("utf-8-sig"))))
    assert len(rows) >= 1 and all(len(row) == len(rows[0]) for row in rows)


def test_csv_money_is_exact_yuan_and_names_cannot_become_formulas(history, owner, store):
    Group.objects.filter(name="静安宝妈群").update(name="=HYPERLINK(\"x\")")
    rows = list(csv.reader(io.StringIO(owner.get(f"/console/analytics/?{MARCH}&export=csv&table=groups")
                                       .content.decode("utf-8-sig"))))
    assert rows[2][0] == "'=HYPERLINK(\"x\")" and rows[2][2] == "250.00"
    kpis = list(csv.reader(io.StringIO(owner.get(f"/console/analytics/?{MARCH}&export=csv&table=kpis")
                                       .content.decode("utf-8-sig"))))
    assert kpis[1] == ["GMV（净额）", "690.00", "140.00", "+392.9%"]
    assert kpis[7] == ["复购率", "66.67%", "0.00%", "+66.7 个百分点"]


@pytest.mark.parametrize("query", ["export=pdf&table=stores", "export=csv&table=nope", "export=xlsx"])
def test_unknown_exports_are_refused(owner, store, query):
    r = owner.get(f"/console/analytics/?{query}")
    assert r.status_code == 400


def test_anonymous_visitors_are_sent_to_log_in(client, store):
    r = client.get("/console/analytics/?export=csv&table=stores")
    assert r.status_code == 302 and "/console/login/" in r["Location"]


def test_community_operator_sees_only_their_store(history, console_as):
    ov = console_as("community_operator", stores=["BJ01"]).get(f"/console/analytics/?{MARCH}").context["ov"]
    assert (ov.kpis.gmv_fen, [s["code"] for s in ov.stores], [g["name"] for g in ov.groups]) \
        == (32000, ["BJ01"], ["朝阳吃货群"])


def test_nav_links_the_page(owner):
    assert 'href="/console/analytics/"' in owner.get("/console/").content.decode()


def test_export_module_refuses_unknown_formats_and_writes_exact_yuan():
    from shequn.analytics import exports
    from shequn.core.errors import ValidationProblem

    table = exports.Table("t", "表", [exports.Column("名称"), exports.Column("金额", "fen"),
                                      exports.Column("占比", "pct")], [["-1 折扣", 1, 0.125], ["@x", 123456789, None]])
    with pytest.raises(ValidationProblem) as problem:
        exports.response(table, "pdf")
    assert problem.value.type == "invalid-export-format"
    assert list(csv.reader(io.StringIO(exports.csv_text(table)))) == [
        ["名称", "金额", "占比"], ["'-1 折扣", "0.01", "12.50%"], ["'@x", "1234567.89", ""]]
    ws = openpyxl.load_workbook(io.BytesIO(exports.xlsx_bytes(table))).active
    assert Decimal(str(ws["B3"].value)) == Decimal("1234567.89") and ws["C2"].number_format == "0.0%"


def test_funnel_counts_only_orders_of_the_stores_in_view(history, console_as, owner):
    g1 = Group.objects.get(name="静安宝妈群")
    Membership.objects.create(group=g1, member=history["c"], joined_at=at(3, 11))  # C then buys in Beijing
    manager = console_as("store_manager", stores=["SH01"]).get(f"/console/analytics/?{MARCH}").context["ov"]
    assert [s["members"] for s in manager.funnel] == [4, 1, 1]
    everyone = owner.get(f"/console/analytics/?{MARCH}").context["ov"]
    assert [s["members"] for s in everyone.funnel] == [4, 2, 1]
