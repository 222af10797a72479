"""RFM runs and recommendations over HTTP: run a day, read runs with cells and movement, a cell's members,
a member's latest cells, next products for a member and products bought together."""

from ninja import Field, Query, Router, Schema

from shequn.core.errors import NotFound
from shequn.core.idempotency import idempotent
from shequn.core.permissions import require
from shequn.members.selectors import get_member

from .cells import CELLS
from .models import RfmRun, RfmScore, Transaction
from .rfm_schemas import MemberRfmOut, PickOut, RfmMemberPageOut, RfmRunDetailOut, RfmRunIn, RfmRunOut
from .rfm_store import cell_members, cell_rows, get_run, member_cells, movement_rows, previous_run, runs_visible_to

router = Router(tags=["analytics"])
VIEW, RUN = "analytics.view", "analytics.run"
SCORE_FIELDS = ("recency_days", "frequency", "monetary_fen", "r_score", "f_score", "m_score", "fm_score", "cell")


def run_out(run: RfmRun) -> dict:
    return {"id": run.pk, "as_of": run.as_of, "store_code": run.store.code if run.store_id else None,
            "engine": run.engine, "time_zone": run.time_zone, "members": run.members, "created_at": run.created_at}


def detail_out(run: RfmRun) -> dict:
    previous = previous_run(run)
    return {**run_out(run), "cells": cell_rows(run), "previous": run_out(previous) if previous else None,
            "movement": movement_rows(run, previous)}


def score_out(score: RfmScore) -> dict:
    return {**{f: getattr(score, f) for f in SCORE_FIELDS}, "label": str(CELLS[score.cell])}


@router.post("/analytics/rfm-runs", response={201: RfmRunDetailOut},
             summary="Score RFM as of a day, overall or for one store; re-running a day replaces its scores")
@idempotent(default_status=201)
def create_run(request, payload: RfmRunIn):
    require(request.auth, RUN)
    from .rfm import run_rfm  # the engines load only when a run is asked for

    summary = run_rfm(payload.engine, payload.as_of, payload.store_code or None, actor=request.auth)
    return 201, detail_out(get_run(request.auth, summary["run_id"]))


class RunsQuery(Schema):
    store_code: str | None = Field(None, max_length=32, description="Only this store's runs")
    overall: bool = Field(False, description="Only the overall runs")
    limit: int = Field(30, ge=1, le=366)


@router.get("/analytics/rfm-runs", response=list[RfmRunOut], summary="RFM runs, newest day first")
def list_runs(request, query: Query[RunsQuery]):
    require(request.auth, VIEW)
    runs = runs_visible_to(request.auth)
    if query.overall:
        runs = runs.filter(store__isnull=True)
    elif query.store_code:
        runs = runs.filter(store__code=query.store_code)
    return [run_out(r) for r in runs[:query.limit]]


@router.get("/analytics/rfm-runs/{run_id}", response=RfmRunDetailOut,
            summary="A run's cells (members, share, average net spend) and movement since the previous run")
def get_run_detail(request, run_id: int):
    require(request.auth, VIEW)
    return detail_out(get_run(request.auth, run_id))


class MembersQuery(Schema):
    cell: str | None = Field(None, max_length=20, description="A cell key; every member of the run when empty")
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=1000)


@router.get("/analytics/rfm-runs/{run_id}/members", response=RfmMemberPageOut,
            summary="A cell's members, biggest net spend first")
def run_members(request, run_id: int, query: Query[MembersQuery]):
    require(request.auth, VIEW)
    page = cell_members(get_run(request.auth, run_id), query.cell or None, page=query.page,
                        page_size=query.page_size)
    items = [{"member_id": s.member_id, "member_no": s.member.member_no, "name": s.member.name,
              "home_store_code": s.member.home_store.code if s.member.home_store_id else None, **score_out(s)}
             for s in page.scores]
    return {"total": page.total, "page": page.page, "page_size": page.page_size, "pages": page.pages,
            "items": items}


@router.get("/analytics/members/{member_id}/rfm", response=list[MemberRfmOut],
            summary="A member's cell in the latest run of each scope that scored them (overall first)")
def member_rfm(request, member_id: int):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    return [{"run_id": s.run_id, "as_of": s.run.as_of, "store_code": s.run.store.code if s.run.store_id else None,
             **score_out(s)} for s in member_cells(request.auth, member.pk)]


def picks_out(picks: list) -> list[dict]:
    from shequn.commerce.models import Sku

    skus = {s.code: s for s in Sku.objects.filter(code__in=[p.sku for p in picks]).select_related("product")}
    return [{"sku": p.sku, "name": skus[p.sku].product.name if p.sku in skus else None,
             "spec": skus[p.sku].spec if p.sku in skus else None, "score": round(p.score, 4), "source": p.source}
            for p in picks]


@router.get("/analytics/members/{member_id}/recommendations", response=list[PickOut],
            summary="猜你喜欢: next products for a member (co-purchase, popular items fill in)")
def member_recommendations(request, member_id: int, k: int = Query(10, ge=1, le=50)):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    from . import recommend  # numpy/scipy load on the first recommendation asked for

    return picks_out(recommend.for_member(member.pk, k))


@router.get("/analytics/products/{sku}/bought-together", response=list[PickOut],
            summary="经常一起购买: the products most often in the same basket as this SKU")
def bought_together(request, sku: str, k: int = Query(10, ge=1, le=50)):
    from shequn.commerce.models import Sku

    require(request.auth, VIEW)
    if not Sku.objects.filter(code=sku).exists() and not Transaction.objects.filter(sku=sku).exists():
        raise NotFound(f"没有 SKU {sku!r} 的商品或购买记录。", type="product-not-found", sku=sku)
    from . import recommend

    return picks_out(recommend.bought_together(sku, k))
