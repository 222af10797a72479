"""标签 over HTTP: list with member counts, create (manual or rule), set a rule, evaluate, assign / unassign,
tag everyone in a segment."""

from ninja import Router

from shequn.core.idempotency import idempotent
from shequn.core.permissions import require
from shequn.members.models import Tag

from . import services as S
from . import tags as T
from .schemas import CountOut, EvaluateOut, TagIn, TagMembersIn, TagOut, TagRuleIn, TagSegmentIn

router = Router(tags=["tags"])
VIEW, RUN, WRITE = "members.view", "analytics.run", "members.write"


def tag_out(tag: Tag, members: int | None = None) -> dict:
    rule = T.TagRule.objects.filter(tag=tag).first()
    return {"id": tag.pk, "name": tag.name,
            "members": members if members is not None else tag.members.count(),
            "rule": None if rule is None else {"conditions": rule.conditions, "member_count": rule.member_count,
                                               "evaluated_at": rule.evaluated_at}}


@router.get("/analytics/tags", response=list[TagOut], summary="Tags with how many members carry each")
def list_tags(request):
    require(request.auth, VIEW)
    return [tag_out(t, t.member_total) for t in T.tags_with_counts()]


@router.post("/analytics/tags", response={201: TagOut},
             summary="Create a manual tag, or a rule tag when conditions are given (evaluated at once)")
@idempotent(default_status=201)
def create_tag(request, payload: TagIn):
    require(request.auth, RUN if payload.conditions is not None else WRITE)
    return 201, tag_out(T.create_tag(request.auth, payload.name, payload.conditions))


@router.put("/analytics/tags/{int:tag_id}/rule", response=TagOut,
            summary="Give a tag rule conditions (it becomes automatic) and evaluate it")
@idempotent()
def set_rule(request, tag_id: int, payload: TagRuleIn):
    require(request.auth, RUN)
    tag = T.get_tag(tag_id)
    T.set_rule(request.auth, tag, payload.conditions)
    return tag_out(tag)


@router.post("/analytics/tags/{int:tag_id}/evaluate", response=EvaluateOut, summary="Re-evaluate a rule tag now")
@idempotent()
def evaluate(request, tag_id: int):
    require(request.auth, RUN)
    tag = T.get_tag(tag_id)
    rule = T.TagRule.objects.filter(tag=tag).first()
    if rule is None:
        raise T.ValidationProblem("This tag has no rule; it is assigned by hand.", type="not-a-rule-tag")
    return T.evaluate(rule, request.auth)


@router.post("/analytics/tags/{int:tag_id}/assign", response=CountOut, summary="Put a manual tag on members")
@idempotent()
def assign(request, tag_id: int, payload: TagMembersIn):
    require(request.auth, WRITE)
    return {"changed": T.assign(request.auth, T.get_tag(tag_id), payload.member_ids)}


@router.post("/analytics/tags/{int:tag_id}/unassign", response=CountOut, summary="Take a manual tag off members")
@idempotent()
def unassign(request, tag_id: int, payload: TagMembersIn):
    require(request.auth, WRITE)
    return {"changed": T.unassign(request.auth, T.get_tag(tag_id), payload.member_ids)}


@router.post("/analytics/tags/{int:tag_id}/assign-segment", response=CountOut,
             summary="Tag everyone in a segment's last materialisation")
@idempotent()
def assign_segment(request, tag_id: int, payload: TagSegmentIn):
    require(request.auth, WRITE)
    segment = S.get_segment(request.auth, payload.segment_id)
    return {"changed": T.tag_segment(request.auth, T.get_tag(tag_id), segment)}
