"""Suggestions an operator accepts or rejects: revive or merge dead groups, remove freeloaders,
promote high-value members into their store's VIP group. Accepting performs the change through
the group services; both decisions are audited."""

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import Actor
from shequn.core.errors import Conflict
from shequn.core.permissions import require
from shequn.loyalty.models import LoyaltyAccount, Purchase

from . import membership as membership_ops
from . import services
from .health import ACTIVE_KINDS, dead_groups
from .models import Dimension, Group, GroupEvent, Membership, RedPacketGrab, Suggestion

DEAD_DAYS = 14
DEAD_THRESHOLD = 5  # interactions in DEAD_DAYS below which a group is dead
SMALL_GROUP = 30  # members: a dead group this small is merged rather than revived
FREELOADER_DAYS = 30
HIGH_VALUE_TIERS = ("gold", "diamond")
HIGH_VALUE_TOP_SHARE = 0.05  # the top 5% of spenders over 12 months
REJECTED_QUIET_DAYS = 30  # a rejected suggestion is not made again for a month
Kind = Suggestion.Kind


def _is_vip(group: Group) -> bool:
    d = group.dimension
    return d is not None and (d.kind == Dimension.Kind.TIER or "vip" in d.code.lower() or "VIP" in d.name.upper())


def _vip_groups_by_store() -> dict[int, list[Group]]:
    out: dict[int, list[Group]] = {}
    for g in Group.objects.filter(status=Group.Status.ACTIVE).select_related("dimension").order_by("member_count"):
        if _is_vip(g):
            out.setdefault(g.store_id, []).append(g)
    return out


def _dead_group_suggestions(now: dt.datetime) -> list[Suggestion]:
    dead = dead_groups(DEAD_DAYS, DEAD_THRESHOLD, now=now)
    dead_ids = {d["group"].pk for d in dead}
    out = []
    for item in dead:
        group = item["group"]
        target = None
        if group.member_count <= SMALL_GROUP:
            target = (Group.objects.filter(status=Group.Status.ACTIVE, store_id=group.store_id,
                                           dimension_id=group.dimension_id)
                      .exclude(pk=group.pk).exclude(pk__in=dead_ids)
                      .filter(member_count__lte=models_capacity_room(group.member_count))
                      .order_by("-member_count").first())
        if target is not None:
            out.append(Suggestion(kind=Kind.MERGE_GROUPS, group=group, target_group=target,
                                  reason=f"近{DEAD_DAYS}天仅 {item['interactions']} 次互动、{group.member_count} 人，"
                                         f"建议并入同门店同维度的「{target.name}」"))
        else:
            out.append(Suggestion(kind=Kind.REVIVE_DEAD, group=group,
                                  reason=f"近{DEAD_DAYS}天仅 {item['interactions']} 次互动，建议发起话题或活动激活"))
    return out


def models_capacity_room(movers: int):
    """member_count + movers <= capacity, as a database expression."""
    from django.db.models import F

    return F("capacity") - movers


def _freeloader_suggestions(now: dt.datetime) -> list[Suggestion]:
    joined_before = now - dt.timedelta(days=FREELOADER_DAYS)
    interacted = GroupEvent.objects.filter(group_id=OuterRef("group_id"), member_id=OuterRef("member_id"),
                                           kind__in=ACTIVE_KINDS + (GroupEvent.Kind.ORDER,))
    bought = Purchase.objects.filter(member_id=OuterRef("member_id"), occurred_at__gte=OuterRef("joined_at"),
                                     amount_fen__gt=0)
    grabbed = RedPacketGrab.objects.filter(red_packet__group_id=OuterRef("group_id"), member_id=OuterRef("member_id"))
    rows = (Membership.objects
            .filter(left_at__isnull=True, role=Membership.Role.MEMBER, is_seed=False, joined_at__lt=joined_before,
                    group__status=Group.Status.ACTIVE)
            .filter(Exists(grabbed)).exclude(Exists(interacted)).exclude(Exists(bought))
            .values_list("group_id", "member_id", "joined_at"))
    return [Suggestion(kind=Kind.REMOVE_FREELOADER, group_id=gid, member_id=mid,
                       reason=f"{joined_at:%Y-%m-%d} 入群，从未发言、回复、点赞或下单，只抢红包")
            for gid, mid, joined_at in rows]


def _high_value_members(now: dt.datetime) -> dict[int, str]:
    """member id → why they are high value."""
    why: dict[int, str] = {}
    spend = list(Purchase.objects.filter(occurred_at__gte=now - dt.timedelta(days=365))
                 .values("member_id").annotate(total=Sum("amount_fen")).filter(total__gt=0)
                 .order_by("-total").values_list("member_id", "total"))
    top = spend[:max(1, int(len(spend) * HIGH_VALUE_TOP_SHARE))] if spend else []
    for member_id, total in top:
        why[member_id] = f"近12个月消费 ¥{total / 100:,.2f}，位列前{int(HIGH_VALUE_TOP_SHARE * 100)}%"
    for member_id, tier in LoyaltyAccount.objects.filter(tier__code__in=HIGH_VALUE_TIERS).values_list(
            "member_id", "tier__name"):
        why.setdefault(member_id, f"{tier}会员")
    return why


def _promote_suggestions(now: dt.datetime) -> list[Suggestion]:
    why = _high_value_members(now)
    if not why:
        return []
    vip = _vip_groups_by_store()
    vip_ids = [g.pk for groups in vip.values() for g in groups]
    already = set(Membership.objects.filter(left_at__isnull=True, group_id__in=vip_ids, member_id__in=list(why))
                  .values_list("member_id", "group__store_id"))
    from shequn.members.models import Member

    out = []
    for member_id, store_id in Member.objects.filter(pk__in=list(why), home_store__isnull=False).values_list(
            "pk", "home_store_id"):
        if (member_id, store_id) in already:
            continue
        target = next((g for g in vip.get(store_id, []) if g.member_count < g.capacity), None)
        if target is not None:
            out.append(Suggestion(kind=Kind.PROMOTE, group=target, target_group=target, member_id=member_id,
                                  reason=f"{why[member_id]}，尚未加入本店VIP群"))
    return out


def _key(s: Suggestion) -> tuple:
    return s.kind, s.group_id, s.member_id, s.target_group_id


def generate_suggestions(now: dt.datetime | None = None) -> int:
    """Make the suggestions that are due; no pending duplicate, no repeat of a recent rejection."""
    now = now or timezone.now()
    candidates = _dead_group_suggestions(now) + _freeloader_suggestions(now) + _promote_suggestions(now)
    taken = {_key(s) for s in Suggestion.objects.filter(
        Q(status=Suggestion.Status.PENDING)
        | Q(status=Suggestion.Status.REJECTED, decided_at__gte=now - dt.timedelta(days=REJECTED_QUIET_DAYS)))}
    fresh = []
    for s in candidates:
        if _key(s) not in taken:
            taken.add(_key(s))
            fresh.append(s)
    with transaction.atomic():
        Suggestion.objects.bulk_create(fresh, batch_size=500)
    return len(fresh)


def _decide(actor: Actor, suggestion: Suggestion, status: str) -> Suggestion:
    suggestion = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if suggestion.status != Suggestion.Status.PENDING:
        raise Conflict(f"This suggestion was already {suggestion.get_status_display()}.", type="suggestion-decided",
                       status_now=suggestion.status)
    suggestion.status, suggestion.decided_by, suggestion.decided_at = status, actor.label[:150], timezone.now()
    suggestion.save(update_fields=["status", "decided_by", "decided_at"])
    return suggestion


def _merge(actor: Actor, small: Group, target: Group) -> int:
    moved = 0
    rules = services.current_rules(target)
    version = rules.version if rules else None
    for m in Membership.objects.filter(group=small, left_at__isnull=True).select_related("member"):
        _, created = services.join_group(actor, target, m.member, accepted_rules_version=version, source="merge")
        moved += created
    small = services.archive_group(actor, small)
    small = Group.objects.select_for_update().get(pk=small.pk)
    for m in Membership.objects.filter(group=small, left_at__isnull=True):
        membership_ops.end_membership(actor, small, m, Membership.LeaveReason.MERGED, f"并入 {target.name}")
    return moved


def accept_suggestion(actor: Actor, suggestion: Suggestion) -> Suggestion:
    require(actor, "communities.manage")
    group = services_get_group(actor, suggestion.group_id)
    with transaction.atomic():
        suggestion = _decide(actor, suggestion, Suggestion.Status.ACCEPTED)
        result: dict = {}
        if suggestion.kind == Kind.PROMOTE:
            target = suggestion.target_group
            rules = services.current_rules(target)
            _, created = services.join_group(actor, target, suggestion.member, source="suggestion",
                                             accepted_rules_version=rules.version if rules else None)
            result = {"joined": created}
        elif suggestion.kind == Kind.REMOVE_FREELOADER:
            services.remove_member(actor, group, suggestion.member, reason=Membership.LeaveReason.INACTIVITY,
                                   note="长期潜水只抢红包（系统建议）")
        elif suggestion.kind == Kind.MERGE_GROUPS:
            result = {"moved": _merge(actor, group, suggestion.target_group)}
        else:  # revive: the operator runs the activation; messaging can pick up the event
            outbox.emit("group.revive_requested", "group", group.pk)
        audit.record(actor, "group.suggestion_accepted", suggestion, store_id=group.store_id,
                     after={"kind": suggestion.kind, "group": group.pk, "member": suggestion.member_id,
                            "target_group": suggestion.target_group_id, **result})
    return suggestion


def reject_suggestion(actor: Actor, suggestion: Suggestion) -> Suggestion:
    require(actor, "communities.manage")
    group = services_get_group(actor, suggestion.group_id)
    with transaction.atomic():
        suggestion = _decide(actor, suggestion, Suggestion.Status.REJECTED)
        audit.record(actor, "group.suggestion_rejected", suggestion, store_id=group.store_id,
                     after={"kind": suggestion.kind, "group": group.pk, "member": suggestion.member_id})
    return suggestion


def services_get_group(actor: Actor, group_id: int) -> Group:
    from .selectors import get_group

    return get_group(actor, group_id)


def suggestions_visible_to(actor: Actor):
    qs = Suggestion.objects.select_related("group", "member", "target_group")
    if actor.store_ids is not None:
        qs = qs.filter(group__store_id__in=actor.store_ids)
    return qs
