"""Group events in, health out: batch ingestion, metrics, heatmap, suggestions and the WeCom callback."""

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema

from shequn.core.errors import NotFound
from shequn.core.idempotency import idempotent
from shequn.core.pagination import paginate
from shequn.core.permissions import require

from . import heatmap as heatmaps
from . import suggestions, wecom
from .health import metrics_series
from .ingest import ingest_events
from .schemas_health import (
    EventBatchIn,
    EventBatchOut,
    HeatmapOut,
    MetricOut,
    SuggestionOut,
    SuggestionPage,
    suggestion_out,
)
from .selectors import get_group

router = Router(tags=["group-health"])
MAX_ID = 2**63 - 1


@router.post("/groups/events", response=EventBatchOut, summary="Ingest a batch of group events (all or nothing)")
@idempotent()
def post_events(request, payload: EventBatchIn):
    result = ingest_events(request.auth, payload.events, source=payload.source)
    return 200, {"accepted": result["accepted"], "duplicates": result["duplicates"]}


class DaysQuery(Schema):
    days: int = 30


@router.get("/groups/{int:group_id}/metrics", response=list[MetricOut], summary="Daily health metrics")
def group_metrics(request, group_id: int, q: Query[DaysQuery]):
    require(request.auth, "communities.view")
    group = get_group(request.auth, group_id)
    return metrics_series(group, max(1, min(q.days, 366)))


class HeatmapQuery(Schema):
    days: int = 90


@router.get("/groups/{int:group_id}/heatmap", response=HeatmapOut, summary="Active hours (weekday × hour)")
def group_heatmap(request, group_id: int, q: Query[HeatmapQuery]):
    require(request.auth, "communities.view")
    group = get_group(request.auth, group_id)
    return heatmaps.heatmap(group, max(1, min(q.days, 366)))


class SuggestionFilters(Schema):
    status: str = "pending"
    kind: str = ""
    group_id: int | None = Field(None, ge=1, le=MAX_ID)
    cursor: str | None = None
    limit: int = 50


@router.get("/suggestions", response=SuggestionPage, summary="Suggestions to accept or reject")
def list_suggestions(request, filters: Query[SuggestionFilters]):
    require(request.auth, "communities.view")
    qs = suggestions.suggestions_visible_to(request.auth)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.group_id:
        qs = qs.filter(group_id=filters.group_id)
    rows, cursor = paginate(qs, filters.cursor, filters.limit)
    return {"items": [suggestion_out(s) for s in rows], "next_cursor": cursor}


def _suggestion(request, suggestion_id: int):
    s = (suggestions.suggestions_visible_to(request.auth).filter(pk=suggestion_id).first()
         if 0 < suggestion_id <= MAX_ID else None)
    if s is None:
        raise NotFound(f"No suggestion {suggestion_id}.", type="suggestion-not-found")
    return s


@router.post("/suggestions/{int:suggestion_id}/accept", response=SuggestionOut, summary="Accept: perform it")
@idempotent()
def accept(request, suggestion_id: int):
    s = suggestions.accept_suggestion(request.auth, _suggestion(request, suggestion_id))
    return 200, suggestion_out(_suggestion(request, s.pk))


@router.post("/suggestions/{int:suggestion_id}/reject", response=SuggestionOut, summary="Reject")
@idempotent()
def reject(request, suggestion_id: int):
    s = suggestions.reject_suggestion(request.auth, _suggestion(request, suggestion_id))
    return 200, suggestion_out(_suggestion(request, s.pk))


class CallbackQuery(Schema):
    msg_signature: str = ""
    timestamp: str = ""
    nonce: str = ""
    echostr: str = ""


@router.get("/wecom/callback", auth=None, summary="WeCom URL verification (signed; no token)")
def wecom_verify(request, q: Query[CallbackQuery]):
    text = wecom.configured_crypto().verify_url(q.msg_signature, q.timestamp, q.nonce, q.echostr)
    return HttpResponse(text, content_type="text/plain; charset=utf-8")


@router.post("/wecom/callback", auth=None, summary="WeCom message receipt (signed, encrypted XML)")
def wecom_receive(request, q: Query[CallbackQuery]):
    wecom.receive(q.msg_signature, q.timestamp, q.nonce, request.body)
    return HttpResponse("success", content_type="text/plain; charset=utf-8")
