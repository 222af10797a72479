"""Loyalty reads: ledgers, tier history, program figures."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import BulkGrant, LoyaltyAccount, PointsEntry, Tier, TierChange


def ledger(member_id: int) -> QuerySet[PointsEntry]:
    return PointsEntry.objects.filter(member_id=member_id).order_by("-id")


def tier_history(member_id: int) -> QuerySet[TierChange]:
    return TierChange.objects.filter(member_id=member_id).select_related("from_tier", "to_tier").order_by("-id")


def account(member_id: int) -> LoyaltyAccount:
    return LoyaltyAccount.objects.select_related("tier").get(pk=member_id)


def tiers() -> QuerySet[Tier]:
    return Tier.objects.order_by("rank")


def tier_distribution(store_ids: frozenset[int] | None = None) -> list[dict]:
    qs = LoyaltyAccount.objects.all()
    if store_ids is not None:
        qs = qs.filter(member__home_store_id__in=store_ids)
    counts = dict(qs.values_list("tier_id").annotate(n=Count("pk")).order_by())
    return [{"code": t.code, "name": t.name, "count": counts.get(t.pk, 0)} for t in tiers()]


ISSUED = Q(points__gt=0)
REDEEMED = Q(kind="redeem") | Q(kind="adjust", points__lt=0)
EXPIRED = Q(kind="expire")
REVERSED = Q(kind="reverse")


def points_flow(days: int = 30, store_ids: frozenset[int] | None = None) -> dict:
    """Points issued, redeemed (incl. manual deductions), expired and reversed over the last
    `days` local days, in total and per day (days without entries count as zero)."""
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    qs = PointsEntry.objects.filter(created_at__gte=since)
    if store_ids is not None:
        qs = qs.filter(member__home_store_id__in=store_ids)
    sums = {"issued": Sum("points", filter=ISSUED), "redeemed": Sum("points", filter=REDEEMED),
            "expired": Sum("points", filter=EXPIRED), "reversed": Sum("points", filter=REVERSED)}
    totals = qs.aggregate(**sums)
    rows = {r["day"]: r for r in qs.annotate(day=TruncDate("created_at")).values("day").annotate(**sums).order_by()}

    def figures(row: dict) -> dict:
        return {"issued": row.get("issued") or 0, "redeemed": -(row.get("redeemed") or 0),
                "expired": -(row.get("expired") or 0), "reversed": -(row.get("reversed") or 0)}

    daily = [{"day": str(day), **figures(rows.get(day, {}))}
             for day in (first_day + dt.timedelta(days=n) for n in range(days))]
    return {**figures(totals), "daily": daily}


def outstanding_points(store_ids: frozenset[int] | None = None) -> int:
    qs = LoyaltyAccount.objects.all()
    if store_ids is not None:
        qs = qs.filter(member__home_store_id__in=store_ids)
    return qs.aggregate(s=Sum("points_balance"))["s"] or 0


def bulk_grants() -> QuerySet[BulkGrant]:
    return BulkGrant.objects.order_by("-id")
