"""Private-traffic value and campaign results over HTTP (on the analytics router)."""

import datetime as dt

from ninja import Field, Query, Schema

from shequn.core.permissions import require

from . import campaigns, traffic
from .api import VIEW, router

EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


class CellOut(Schema):
    month: str
    members: int
    active: int
    buyers: int
    activity_rate: float
    conversion_rate: float
    avg_ltv_fen: int
    ltv_members: int
    value_fen: int


class TrafficRowOut(Schema):
    key: str
    name: str
    store: str
    months: list[CellOut]


class TrafficOut(Schema):
    months: list[str]
    ltv_source: str = Field(description="clv: newest lifetime-value run; spend_12m: trailing 12-month net spend")
    clv_run_id: int | None
    clv_calibration_end: dt.date | None
    overall: list[CellOut]
    stores: list[TrafficRowOut]
    groups: list[TrafficRowOut]


class ArmOut(Schema):
    members: int
    buyers: int
    conversion: float
    spend_fen: int
    spend_per_member_fen: float


class UpliftOut(Schema):
    treated: ArmOut
    held_out: ArmOut
    conversion_diff: float
    conversion_relative: float | None
    conversion_ci: list[float] | None
    conversion_significant: bool
    spend_per_member_diff_fen: float
    spend_relative: float | None
    spend_ci_fen: list[float] | None
    spend_significant: bool
    incremental_sales_fen: int
    cost_fen: int
    incremental_roi: float | None


class BatchOut(Schema):
    ref: str
    percent: int
    started_at: dt.datetime
    ends_at: dt.datetime
    running: bool
    treated: int
    held_out: int


class CampaignOut(Schema):
    key: str
    kind: str
    id: int
    name: str
    label: str
    start: dt.datetime
    end: dt.datetime | None
    cost_fen: int
    sales_fen: int
    orders: int
    buyers: int
    reached: int | None
    roi: float | None
    holdout: bool
    uplift: UpliftOut | None
    batches: list[BatchOut]


class CampaignsOut(Schema):
    date_from: dt.date
    date_to: dt.date
    items: list[CampaignOut]


class CampaignFilters(Schema):
    store: str = Field("", max_length=32)
    date_from: dt.date | None = Field(None, alias="from", ge=EARLIEST, le=LATEST)
    date_to: dt.date | None = Field(None, alias="to", ge=EARLIEST, le=LATEST)
    days: int = Field(90, ge=1, le=731)
    kind: str = Field("", pattern="^(coupon|flash|team|groupbuy)?$")


def cell_out(c: traffic.Cell) -> dict:
    return {"month": c.month, "members": c.members, "active": c.active, "buyers": c.buyers,
            "activity_rate": round(c.activity_rate, 4), "conversion_rate": round(c.conversion_rate, 4),
            "avg_ltv_fen": c.avg_ltv_fen, "ltv_members": c.ltv_members, "value_fen": c.value_fen}


def rows_out(rows: list[traffic.Row]) -> list[dict]:
    return [{"key": r.key, "name": r.name, "store": r.store, "months": [cell_out(c) for c in r.cells]} for r in rows]


def _arm(a) -> dict:
    return {"members": a.members, "buyers": a.buyers, "conversion": round(a.conversion, 4), "spend_fen": a.spend_fen,
            "spend_per_member_fen": round(a.spend_per_member, 2)}


def _ci(ci, digits: int) -> list[float] | None:
    return None if ci is None else [round(ci[0], digits), round(ci[1], digits)]


def uplift_out(u) -> dict | None:
    if u is None:
        return None
    return {"treated": _arm(u.treated), "held_out": _arm(u.held_out), "conversion_diff": round(u.conversion_diff, 4),
            "conversion_relative": None if u.conversion_relative is None else round(u.conversion_relative, 4),
            "conversion_ci": _ci(u.conversion_ci, 4), "conversion_significant": u.conversion_significant,
            "spend_per_member_diff_fen": round(u.spend_diff, 2),
            "spend_relative": None if u.spend_relative is None else round(u.spend_relative, 4),
            "spend_ci_fen": _ci(u.spend_ci, 2), "spend_significant": u.spend_significant,
            "incremental_sales_fen": u.incremental_sales_fen, "cost_fen": u.cost_fen,
            "incremental_roi": None if u.incremental_roi is None else round(u.incremental_roi, 4)}


def campaign_out(r: campaigns.CampaignResult) -> dict:
    return {"key": r.key, "kind": r.kind, "id": r.id, "name": r.name, "label": r.label, "start": r.start,
            "end": r.end, "cost_fen": r.cost_fen, "sales_fen": r.sales_fen, "orders": r.orders, "buyers": r.buyers,
            "reached": r.reached, "roi": None if r.roi is None else round(r.roi, 4), "holdout": bool(r.batches),
            "uplift": uplift_out(r.uplift), "batches": r.batches}


@router.get("/analytics/private-traffic", response=TrafficOut,
            summary="私域流量价值 per month (last 12): members × activity × conversion × lifetime value")
def private_traffic(request, store: str = Query("", max_length=32)):
    require(request.auth, VIEW)
    tv = traffic.traffic_value(request.auth, store=store)
    return {"months": tv.months, "ltv_source": tv.ltv_source, "clv_run_id": tv.clv_run.pk if tv.clv_run else None,
            "clv_calibration_end": tv.clv_run.calibration_end if tv.clv_run else None,
            "overall": [cell_out(c) for c in tv.overall], "stores": rows_out(tv.stores), "groups": rows_out(tv.groups)}


@router.get("/analytics/campaigns", response=CampaignsOut,
            summary="活动效果: campaigns running in the period with cost, sales, ROI and uplift against a holdout")
def list_campaigns(request, filters: Query[CampaignFilters]):
    require(request.auth, VIEW)
    p, rows = campaigns.results(request.auth, store=filters.store, date_from=filters.date_from,
                                date_to=filters.date_to, days=filters.days,
                                kinds=(filters.kind,) if filters.kind else campaigns.KINDS)
    return {"date_from": p.date_from, "date_to": p.date_to, "items": [campaign_out(r) for r in rows]}


@router.get("/analytics/campaigns/{key}", response=CampaignOut,
            summary="One campaign by key (coupon-12, flash-3, team-5, groupbuy-7), whatever its dates")
def get_campaign(request, key: str, store: str = Query("", max_length=32)):
    require(request.auth, VIEW)
    return campaign_out(campaigns.result(request.auth, key, store=store))
