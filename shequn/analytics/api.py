"""Customer value over HTTP: run the lifetime-value fit, read runs, a member's value, win-back lists."""

from ninja import Field, Query, Router, Schema

from shequn.core.errors import NotFound
from shequn.core.idempotency import idempotent
from shequn.core.permissions import require
from shequn.members.selectors import get_member

from .models import ClvRun, MemberValue
from .schemas import ClvRunIn, ClvRunOut, MemberValueOut

router = Router(tags=["analytics"])
VIEW, RUN = "analytics.view", "analytics.run"


def run_out(run: ClvRun) -> dict:
    return {"id": run.pk, "calibration_end": run.calibration_end, "time_unit": run.time_unit,
            "store_code": run.store.code if run.store_id else None, "customers": run.customers,
            "bgnbd": {"r": run.r, "alpha": run.alpha, "a": run.a, "b": run.b, "log_likelihood": run.log_likelihood},
            "gamma_gamma": {"p": run.gg_p, "q": run.gg_q, "v": run.gg_v, "customers": run.gg_customers},
            "excluded_zero_monetary": run.excluded_zero_monetary, "horizon_days": run.horizon_days,
            "monthly_discount_rate": run.monthly_discount_rate, "created_at": run.created_at}


def value_out(value: MemberValue) -> dict:
    return {"member_id": value.member_id, "member_no": value.member.member_no, "name": value.member.name,
            "run_id": value.run_id, **{f: getattr(value, f) for f in (
                "frequency", "recency", "age", "days_since_last", "monetary_fen", "p_alive", "expected_purchases",
                "expected_avg_spend_fen", "clv_12m_fen", "churn_risk", "value_decile")}}


def _runs_visible_to(actor):
    runs = ClvRun.objects.select_related("store").order_by("-created_at", "-id")
    return runs.filter(store_id__in=actor.store_ids) if actor.scoped else runs


def _run(actor, run_id: int) -> ClvRun:
    run = _runs_visible_to(actor).filter(pk=run_id).first()
    if run is None:
        raise NotFound(f"No lifetime-value run {run_id}.", type="clv-run-not-found")
    return run


@router.post("/analytics/clv-runs", response={201: ClvRunOut},
             summary="Fit BG/NBD + Gamma-Gamma up to a calibration end and score every member")
@idempotent(default_status=201)
def create_run(request, payload: ClvRunIn):
    require(request.auth, RUN)
    from .clv.scoring import run_clv  # numpy/scipy load only when a fit is asked for

    run, _ = run_clv(request.auth, calibration_end=payload.calibration_end, time_unit=payload.time_unit,
                     store_code=payload.store_code)
    return 201, run_out(ClvRun.objects.select_related("store").get(pk=run.pk))


@router.get("/analytics/clv-runs", response=list[ClvRunOut], summary="Lifetime-value runs, newest first")
def list_runs(request, limit: int = Query(20, ge=1, le=100)):
    require(request.auth, VIEW)
    return [run_out(r) for r in _runs_visible_to(request.auth)[:limit]]


@router.get("/analytics/clv-runs/{run_id}", response=ClvRunOut)
def get_run(request, run_id: int):
    require(request.auth, VIEW)
    return run_out(_run(request.auth, run_id))


class WinBackQuery(Schema):
    risk: str = Field("high,medium", pattern="^(low|medium|high)(,(low|medium|high))*$")
    limit: int = Field(100, ge=1, le=1000)


@router.get("/analytics/clv-runs/{run_id}/win-back", response=list[MemberValueOut],
            summary="流失挽回名单: members at risk who bought the most before")
def get_win_back(request, run_id: int, query: Query[WinBackQuery]):
    require(request.auth, VIEW)
    run = _run(request.auth, run_id)
    from .clv.scoring import win_back

    return [value_out(v) for v in win_back(run, risks=tuple(query.risk.split(",")), limit=query.limit)]


@router.get("/members/{member_id}/value", response=MemberValueOut,
            summary="A member's value in the newest run that scored them")
def member_value(request, member_id: int):
    require(request.auth, VIEW)
    member = get_member(request.auth, member_id)
    value = (MemberValue.objects.select_related("member").filter(member=member, run__in=_runs_visible_to(request.auth))
             .order_by("-run__created_at", "-run_id").first())
    if value is None:
        raise NotFound(f"Member {member_id} has no lifetime-value score yet; run a fit first.",
                       type="member-value-not-found")
    return value_out(value)


from . import api_insights  # noqa: E402,F401  (private-traffic value and campaign results on this router)
