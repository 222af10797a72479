"""客群 services: preview a condition list, save segments, materialise them into SegmentMember, refresh a few
members after an event, and the `member_ids` selector messaging and coupons target."""

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet, Window
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.communities.models import Group
from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import NotFound, PermissionDenied, ValidationProblem
from shequn.members.models import Member
from shequn.stores.models import Store

from ..cells import CELLS
from . import compile as K
from . import conditions as C
from .models import Segment, SegmentMember

SAMPLE_SIZE = 10


@dataclass
class Preview:
    count: int
    sample: list[Member]
    warnings: list[str]


def catalog(actor: Actor) -> C.Catalog:
    """What the actor's conditions may name: their stores and groups only when store-scoped."""
    ctx = K.Context.load()
    stores = {code: pk for code, pk in ctx.stores.items() if not actor.scoped or pk in actor.store_ids}
    groups = Group.objects.all() if not actor.scoped else Group.objects.filter(store_id__in=actor.store_ids)
    return C.Catalog(tiers=ctx.tiers, stores=stores, groups=set(groups.values_list("pk", flat=True)),
                     tags=ctx.tags, cells=set(CELLS))


def clean(actor: Actor, conditions) -> list:
    return C.validate(conditions, catalog(actor))


def scope_store_ids(actor: Actor, codes: list[str] | None) -> list[int]:
    """The store scope of a segment: the codes given (within the actor's stores), else the actor's stores
    (empty = every store, for unscoped staff only)."""
    codes = sorted({c.strip() for c in codes or [] if c and c.strip()})
    found = dict(Store.objects.filter(code__in=codes).values_list("code", "pk"))
    missing = [c for c in codes if c not in found]
    if missing:
        raise ValidationProblem(_("没有这些门店：%(codes)s。") % {"codes": "、".join(missing)},
                                type="store-not-found", field="stores")
    ids = sorted(found.values())
    if actor.scoped:
        if any(pk not in actor.store_ids for pk in ids):
            raise PermissionDenied(_("只能圈选你负责门店的会员。"), type="store-out-of-scope")
        return ids or sorted(actor.store_ids)
    return ids


def base_members(store_ids: list[int]) -> QuerySet[Member]:
    """Active members, within the stores when given."""
    members = Member.objects.filter(is_active=True).order_by()
    return members.filter(home_store_id__in=store_ids) if store_ids else members


def _warnings(conditions: list, ctx: K.Context) -> list[str]:
    needs = K.needs(conditions)
    warnings = []
    if "rfm" in needs and ctx.rfm_run_id is None:
        warnings.append(_("还没有全店 RFM 分析结果，RFM 条件暂时没有会员符合。"))
    if "clv" in needs and ctx.clv_run_id is None:
        warnings.append(_("还没有全店价值测算结果，价值与流失风险条件暂时没有会员符合。"))
    return warnings


def matching(conditions: list, store_ids: list[int], ctx: K.Context | None = None,
             among: list[int] | None = None) -> QuerySet[Member]:
    """Members matching already-cleaned conditions (only those of `among` when given)."""
    return base_members(store_ids).filter(K.to_q(conditions, ctx or K.Context.load(), among))


def preview(conditions, actor: Actor, *, stores: list[str] | None = None, sample: int = SAMPLE_SIZE) -> Preview:
    """The live count (and a few members) for conditions over the actor's stores; nothing is written."""
    cleaned = clean(actor, conditions)
    ctx = K.Context.load()
    members = matching(cleaned, scope_store_ids(actor, stores), ctx)
    # One pass: a few ids and the total beside each (COUNT(*) OVER ()), instead of a count then a sample.
    found = list(members.annotate(total=Window(Count("pk"))).values_list("pk", "total")[:max(sample, 1)])
    count = found[0][1] if found else 0
    ids = [pk for pk, _total in found[:sample]]
    rows = list(Member.objects.filter(pk__in=ids).select_related("home_store", "loyalty__tier").order_by("-pk"))
    return Preview(count=count, sample=rows, warnings=_warnings(cleaned, ctx))


def segments_visible_to(actor: Actor) -> QuerySet[Segment]:
    """Segments a scoped actor may see: those limited to their stores only."""
    segments = Segment.objects.all()
    if actor.scoped:
        outside = Store.objects.exclude(pk__in=actor.store_ids)
        segments = segments.annotate(n_stores=Count("stores")).filter(n_stores__gt=0).exclude(stores__in=outside)
    return segments


def get_segment(actor: Actor, segment_id: int) -> Segment:
    segment = segments_visible_to(actor).filter(pk=segment_id).first() if 0 < segment_id < 2**63 else None
    if segment is None:
        raise NotFound(f"No segment {segment_id}.", type="segment-not-found")
    return segment


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 60:
        raise ValidationProblem(_("客群名称必填，最多 60 个字。"), type="invalid-segment-name", field="name")
    return name


def _snapshot(segment: Segment) -> dict:
    return {"name": segment.name, "conditions": segment.conditions,
            "stores": list(segment.stores.values_list("code", flat=True))}


def save_segment(actor: Actor, *, name: str, conditions, description: str = "", stores: list[str] | None = None,
                 segment: Segment | None = None) -> Segment:
    """Create a segment, or update one the actor can see; conditions and scope are checked first."""
    cleaned, store_ids, name = clean(actor, conditions), scope_store_ids(actor, stores), _name(name)
    with transaction.atomic():
        before = _snapshot(segment) if segment else None
        if segment is None:
            segment = Segment(created_by=actor.label or actor.id)
        segment.name, segment.description, segment.conditions = name, (description or "").strip()[:300], cleaned
        segment.save()
        segment.stores.set(store_ids)
        audit.record(actor, "segment.updated" if before else "segment.created", segment, before=before,
                     after=_snapshot(segment))
        outbox.emit("segment.saved", "segment", segment.pk)
    return segment


def delete_segment(actor: Actor, segment: Segment) -> None:
    with transaction.atomic():
        audit.record(actor, "segment.deleted", segment, before=_snapshot(segment))
        segment.delete()


def _insert_rows(segment: Segment, members: QuerySet[Member], at) -> int:
    """INSERT … SELECT of the members not yet in the segment; the number of rows added."""
    new = members.exclude(pk__in=SegmentMember.objects.filter(segment=segment).values("member_id"))
    sql, params = new.annotate(mid=F("pk")).values_list("mid").query.sql_with_params()
    table = SegmentMember._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (segment_id, member_id, added_at) SELECT %s, m.mid, %s FROM ({sql}) m",
                       [segment.pk, at, *params])
        return cursor.rowcount


def materialise(segment: Segment, actor: Actor = SYSTEM) -> dict:
    """Replace the segment's members with those matching now, in one transaction: {added, removed, count}."""
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        store_ids = list(segment.stores.values_list("pk", flat=True))
        members = matching(segment.conditions, store_ids)
        removed = SegmentMember.objects.filter(segment=segment).exclude(member_id__in=members.values("pk")).delete()[0]
        now = timezone.now()
        added = _insert_rows(segment, members, now)
        segment.member_count = SegmentMember.objects.filter(segment=segment).count()
        segment.materialised_at = now
        segment.save(update_fields=["member_count", "materialised_at", "updated_at"])
        result = {"added": added, "removed": removed, "count": segment.member_count}
        audit.record(actor, "segment.materialised", segment, after=result)
        outbox.emit("segment.materialised", "segment", segment.pk, **result)
    return result


def refresh_members(segment: Segment, member_ids: list[int]) -> dict:
    """Re-check only these members (after an event touching them); a never-materialised segment waits."""
    if segment.materialised_at is None or not member_ids:
        return {"added": 0, "removed": 0}
    with transaction.atomic():
        segment = Segment.objects.select_for_update().get(pk=segment.pk)
        store_ids = list(segment.stores.values_list("pk", flat=True))
        now_in = set(matching(segment.conditions, store_ids, among=list(member_ids)).values_list("pk", flat=True))
        was_in = set(SegmentMember.objects.filter(segment=segment, member_id__in=member_ids)
                     .values_list("member_id", flat=True))
        SegmentMember.objects.filter(segment=segment, member_id__in=was_in - now_in).delete()
        SegmentMember.objects.bulk_create([SegmentMember(segment=segment, member_id=m) for m in now_in - was_in])
        added, removed = len(now_in - was_in), len(was_in - now_in)
        if added or removed:
            segment.member_count = (segment.member_count or 0) + added - removed
            segment.save(update_fields=["member_count", "updated_at"])
    return {"added": added, "removed": removed}


def segments_using(field: str, value=None) -> QuerySet[Segment]:
    """Segments with a condition on `field` (naming `value` when given), cheaply pre-filtered in Python."""
    found = []
    for segment in Segment.objects.filter(materialised_at__isnull=False):
        for leaf in C.leaves(segment.conditions):
            if leaf["field"] == field and (value is None or value in (leaf["value"] if isinstance(
                    leaf["value"], list) else [leaf["value"]])):
                found.append(segment.pk)
                break
    return Segment.objects.filter(pk__in=found)


def member_ids(segment: Segment) -> QuerySet:
    """Member ids of the segment's last materialisation: what messaging and coupons target."""
    return SegmentMember.objects.filter(segment=segment).order_by("member_id").values_list("member_id", flat=True)


def segment_members(segment: Segment) -> QuerySet[Member]:
    return Member.objects.filter(pk__in=member_ids(segment).values("member_id"))


def materialise_all(actor: Actor = SYSTEM) -> dict[int, dict]:
    return {segment.pk: materialise(segment, actor) for segment in Segment.objects.order_by("pk")}


def require_materialised(segment: Segment) -> None:
    if segment.materialised_at is None:
        raise ValidationProblem(_("请先生成客群名单（立即计算），再对它发券或打标签。"),
                                type="segment-not-materialised")

