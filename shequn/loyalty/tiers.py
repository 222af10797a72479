"""会员等级: upgrade as soon as a threshold is met; downgrade only at the periodic
review, after a grace period; every change recorded with its reason."""

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.money import format_fen

from .models import LoyaltyAccount, Purchase, Tier, TierChange
from .program import program


@dataclass(frozen=True)
class TierStats:
    spend_fen: int
    orders: int
    growth: int


def stats_for(member_id: int, now: dt.datetime | None = None) -> TierStats:
    now = now or timezone.now()
    since = now - dt.timedelta(days=program().tier_window_days)
    # A refund counts in the window of the purchase it refunds, so refunding an old
    # purchase does not eat into this year's spend.
    bought = Q(refund_of__isnull=True, occurred_at__gt=since, occurred_at__lte=now)
    refunded = Q(refund_of__occurred_at__gt=since, refund_of__occurred_at__lte=now, occurred_at__lte=now)
    agg = Purchase.objects.filter(bought | refunded, member_id=member_id).aggregate(
        spend=Sum("amount_fen"), growth=Sum("growth"), orders=Count("id", filter=Q(amount_fen__gt=0)))
    return TierStats(agg["spend"] or 0, agg["orders"] or 0, agg["growth"] or 0)


def qualifies(tier: Tier, stats: TierStats) -> bool:
    """Any configured threshold met. A tier without thresholds is never reached by
    spending (only the lowest tier, where everyone starts, or a manual change)."""
    thresholds = [(tier.min_spend_fen, stats.spend_fen), (tier.min_orders, stats.orders),
                  (tier.min_growth, stats.growth)]
    return any(have >= need for need, have in thresholds if need is not None)


def qualifying_tier(stats: TierStats, tiers: list[Tier] | None = None) -> Tier:
    tiers = tiers or list(Tier.objects.order_by("rank"))
    best = tiers[0]
    for tier in tiers:
        if qualifies(tier, stats):
            best = tier
    return best


def describe(stats: TierStats) -> str:
    return f"近12个月消费 {format_fen(stats.spend_fen)}、{stats.orders} 单、成长值 {stats.growth}"


def progress_to_next(member_id: int, current: Tier) -> dict | None:
    """What the member still needs for the next tier (for the member card)."""
    nxt = Tier.objects.filter(rank__gt=current.rank).order_by("rank").first()
    if nxt is None:
        return None
    stats = stats_for(member_id)
    options = []
    if nxt.min_spend_fen is not None:
        options.append({"metric": "spend", "have": stats.spend_fen, "need": nxt.min_spend_fen,
                        "pct": min(100, stats.spend_fen * 100 // max(1, nxt.min_spend_fen))})
    if nxt.min_orders is not None:
        options.append({"metric": "orders", "have": stats.orders, "need": nxt.min_orders,
                        "pct": min(100, stats.orders * 100 // max(1, nxt.min_orders))})
    if nxt.min_growth is not None:
        options.append({"metric": "growth", "have": stats.growth, "need": nxt.min_growth,
                        "pct": min(100, stats.growth * 100 // max(1, nxt.min_growth))})
    best = max(options, key=lambda o: o["pct"]) if options else None
    return {"tier": nxt, "best": best, "options": options}


def _change(account: LoyaltyAccount, to: Tier, reason: str, actor: Actor, now: dt.datetime) -> TierChange:
    change = TierChange.objects.create(member_id=account.pk, from_tier=account.tier, to_tier=to,
                                       reason=reason[:200], actor_label=actor.label[:150])
    before = account.tier
    LoyaltyAccount.objects.filter(pk=account.pk).update(tier=to, tier_since=now, downgrade_due_at=None)
    account.tier, account.tier_since, account.downgrade_due_at = to, now, None
    outbox.emit("tier.changed", "member", account.pk, from_tier=before.code, to_tier=to.code, reason=reason)
    audit.record(actor, "tier.changed", object_type="member", object_id=account.pk,
                 before={"tier": before.code}, after={"tier": to.code, "reason": reason})
    return change


def evaluate_upgrade(member_id: int, actor: Actor = SYSTEM, now: dt.datetime | None = None) -> TierChange | None:
    """Upgrade at once when the member qualifies for a higher tier."""
    now = now or timezone.now()
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update().select_related("tier").get(pk=member_id)
        stats = stats_for(member_id, now)
        target = qualifying_tier(stats)
        if target.rank > account.tier.rank:
            return _change(account, target, f"升级：{describe(stats)}，达到{target.name}门槛", actor, now)
        if target.rank >= account.tier.rank and account.downgrade_due_at is not None:
            LoyaltyAccount.objects.filter(pk=member_id).update(downgrade_due_at=None)
    return None


def review_member(member_id: int, now: dt.datetime | None = None) -> str:
    """Periodic review: warn first, downgrade when the grace period has passed."""
    now = now or timezone.now()
    grace = dt.timedelta(days=program().downgrade_grace_days)
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update().select_related("tier").get(pk=member_id)
        stats = stats_for(member_id, now)
        target = qualifying_tier(stats)
        if target.rank > account.tier.rank:
            _change(account, target, f"升级：{describe(stats)}，达到{target.name}门槛", SYSTEM, now)
            return "upgraded"
        if target.rank == account.tier.rank:
            if account.downgrade_due_at is not None:
                LoyaltyAccount.objects.filter(pk=member_id).update(downgrade_due_at=None)
                return "kept"
            return "unchanged"
        if account.downgrade_due_at is None:
            due = now + grace
            LoyaltyAccount.objects.filter(pk=member_id).update(downgrade_due_at=due)
            outbox.emit("tier.downgrade_warning", "member", member_id, tier=account.tier.code,
                        target=target.code, due_at=due.isoformat())
            return "warned"
        if account.downgrade_due_at <= now:
            _change(account, target, f"保级审核未达标：{describe(stats)}，宽限期已过，调整为{target.name}",
                    SYSTEM, now)
            return "downgraded"
    return "pending"


def review_all(now: dt.datetime | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for member_id in LoyaltyAccount.objects.values_list("pk", flat=True).iterator(chunk_size=2000):
        outcome = review_member(member_id, now)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


def set_tier(actor: Actor, member_id: int, tier_code: str, reason: str) -> TierChange:
    """Manual tier change by an operator (with a reason)."""
    from .errors import InvalidPoints

    if not reason.strip():
        raise InvalidPoints("A tier change needs a reason.", type="reason-required")
    tier = Tier.objects.filter(code=tier_code).first()
    if tier is None:
        raise InvalidPoints(f"Unknown tier {tier_code}.", type="tier-not-found")
    with transaction.atomic():
        account = LoyaltyAccount.objects.select_for_update().select_related("tier").get(pk=member_id)
        return _change(account, tier, f"人工调整：{reason}", actor, timezone.now())
