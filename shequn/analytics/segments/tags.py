"""标签: manual tags put on members by staff, and rule tags (a members.Tag with a TagRule) whose holders are
exactly the members matching the rule's conditions when it was last evaluated. A rule tag is never assigned
by hand. Every change emits `member.tags_changed` so segments with a tag condition refresh those members."""

from django.db import connection, transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.errors import NotFound, PermissionDenied, ValidationProblem
from shequn.members.models import Member, Tag
from shequn.members.selectors import members_visible_to

from . import services as S
from .models import TagRule

Through = Member.tags.through
MAX_ASSIGN = 10_000


def tags_with_counts() -> QuerySet[Tag]:
    return Tag.objects.annotate(member_total=Count("members")).select_related("rule").order_by("name")


def get_tag(tag_id: int) -> Tag:
    tag = Tag.objects.select_related("rule").filter(pk=tag_id).first() if 0 < tag_id < 2**63 else None
    if tag is None:
        raise NotFound(f"No tag {tag_id}.", type="tag-not-found")
    return tag


def _rule(tag: Tag) -> TagRule | None:
    return TagRule.objects.filter(tag=tag).first()


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 50:
        raise ValidationProblem(_("标签名称必填，最多 50 个字。"), type="invalid-tag-name", field="name")
    return name


def _unscoped(actor: Actor) -> None:
    if actor.scoped:
        raise PermissionDenied(_("规则标签作用于全部门店，只有总部角色可以设置。"), type="store-out-of-scope")


def create_tag(actor: Actor, name: str, conditions=None) -> Tag:
    """A manual tag, or a rule tag when conditions are given (evaluated right away)."""
    name = _name(name)
    cleaned = None
    if conditions is not None:
        _unscoped(actor)
        cleaned = S.clean(actor, conditions)
    with transaction.atomic():
        if Tag.objects.filter(name=name).exists():
            raise ValidationProblem(_("已经有叫“%(name)s”的标签。") % {"name": name}, type="tag-exists",
                                    field="name")
        tag = Tag.objects.create(name=name)
        if cleaned is not None:
            TagRule.objects.create(tag=tag, conditions=cleaned, created_by=actor.label or actor.id)
        audit.record(actor, "tag.created", tag, after={"name": name, "conditions": cleaned})
    if cleaned is not None:
        evaluate(_rule(tag), actor)
    return tag


def set_rule(actor: Actor, tag: Tag, conditions) -> TagRule:
    """Give a tag rule conditions (it becomes rule-managed) and evaluate it."""
    _unscoped(actor)
    cleaned = S.clean(actor, conditions)
    with transaction.atomic():
        rule, _created = TagRule.objects.update_or_create(tag=tag, defaults={"conditions": cleaned})
        audit.record(actor, "tag.rule_set", tag, after={"conditions": cleaned})
    evaluate(rule, actor)
    return rule


def _changed(tag: Tag, member_ids: list[int]) -> None:
    if member_ids:
        outbox.emit("member.tags_changed", "tag", tag.pk, tag=tag.name, member_ids=sorted(member_ids))


def evaluate(rule: TagRule, actor: Actor = SYSTEM) -> dict:
    """Tag the matching members and untag the rest, in one transaction: {added, removed, count}."""
    with transaction.atomic():
        rule = TagRule.objects.select_for_update().select_related("tag").get(pk=rule.pk)
        tag = rule.tag
        members = S.matching(rule.conditions, [])
        holders = Through.objects.filter(tag=tag)
        removed = holders.exclude(member_id__in=members.values("pk")).delete()[0]
        new = (members.exclude(pk__in=holders.values("member_id")).annotate(mid=F("pk")).values_list("mid")
               .query.sql_with_params())
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {Through._meta.db_table} (member_id, tag_id) "
                           f"SELECT m.mid, %s FROM ({new[0]}) m", [tag.pk, *new[1]])
            added = cursor.rowcount
        rule.member_count = holders.count()
        rule.evaluated_at = timezone.now()
        rule.save(update_fields=["member_count", "evaluated_at", "updated_at"])
        result = {"added": added, "removed": removed, "count": rule.member_count}
        audit.record(actor, "tag.evaluated", tag, after=result)
        if added or removed:
            outbox.emit("member.tags_changed", "tag", tag.pk, tag=tag.name, member_ids=None)
    return result


def evaluate_all(actor: Actor = SYSTEM) -> dict[str, dict]:
    return {rule.tag.name: evaluate(rule, actor) for rule in TagRule.objects.select_related("tag").order_by("pk")}


def _manual(tag: Tag) -> None:
    if _rule(tag) is not None:
        raise ValidationProblem(_("“%(name)s”是规则标签，由规则自动计算，不能手动增减。") % {"name": tag.name},
                                type="rule-tag-is-automatic")


def _visible(actor: Actor, member_ids: list[int]) -> list[int]:
    ids = sorted({int(i) for i in member_ids})
    if any(not 0 < i < 2**63 for i in ids):
        raise NotFound("Member ids are positive database ids.", type="member-not-found")
    if not ids or len(ids) > MAX_ASSIGN:
        raise ValidationProblem(_("请选择 1 到 %(n)s 位会员。") % {"n": f"{MAX_ASSIGN:,}"}, type="invalid-members",
                                field="member_ids")
    found = set(members_visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"No members {', '.join(map(str, missing[:20]))} in your stores.", type="member-not-found",
                       member_ids=missing[:100])
    return ids


def assign(actor: Actor, tag: Tag, member_ids: list[int]) -> int:
    """Put a manual tag on members the actor can see; returns how many newly got it."""
    _manual(tag)
    ids = _visible(actor, member_ids)
    with transaction.atomic():
        have = set(Through.objects.filter(tag=tag, member_id__in=ids).values_list("member_id", flat=True))
        new = [i for i in ids if i not in have]
        Through.objects.bulk_create([Through(tag=tag, member_id=i) for i in new])
        audit.record(actor, "tag.assigned", tag, after={"member_ids": new})
        _changed(tag, new)
    return len(new)


def unassign(actor: Actor, tag: Tag, member_ids: list[int]) -> int:
    _manual(tag)
    ids = _visible(actor, member_ids)
    with transaction.atomic():
        had = list(Through.objects.filter(tag=tag, member_id__in=ids).values_list("member_id", flat=True))
        Through.objects.filter(tag=tag, member_id__in=had).delete()
        audit.record(actor, "tag.unassigned", tag, after={"member_ids": had})
        _changed(tag, had)
    return len(had)


def tag_segment(actor: Actor, tag: Tag, segment) -> int:
    """Tag everyone in a segment's last materialisation (a manual tag); returns how many newly got it."""
    _manual(tag)
    S.require_materialised(segment)
    with transaction.atomic():
        members = S.segment_members(segment).order_by()
        new = list(members.exclude(pk__in=Through.objects.filter(tag=tag).values("member_id"))
                   .values_list("pk", flat=True))
        Through.objects.bulk_create([Through(tag=tag, member_id=i) for i in new], batch_size=5000)
        audit.record(actor, "tag.segment_assigned", tag, after={"segment": segment.pk, "added": len(new)})
        _changed(tag, new)
    return len(new)


def on_tags_changed(event) -> None:
    """Refresh segments with a condition on this tag: only the members touched, or fully after a rule ran."""
    ids = event.payload.get("member_ids")
    for segment in S.segments_using("tag", event.payload.get("tag")):
        S.refresh_members(segment, ids) if ids is not None else S.materialise(segment)


def on_consent_changed(event) -> None:
    member_id = int(event.aggregate_id)
    for segment in S.segments_using("consent", event.payload.get("purpose")):
        S.refresh_members(segment, [member_id])
