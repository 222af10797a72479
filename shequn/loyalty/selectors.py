"""Loyalty reads: ledgers, tier history, program figures."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
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


def points_flow(days: int = 30, store_ids: frozenset[int] | None = None) -> dict:
    """Points issued, redeemed and expired in the last `days` days, in total and per day."""
    since = timezone.now() - dt.timedelta(days=days)
    qs = PointsEntry.objects.filter(created_at__gte=since)
    if store_ids is not None:
        qs = qs.filter(member__home_store_id__in=store_ids)
    totals = qs.aggregate(
        issued=Sum("points", filter=Q(points__gt=0)),
        redeemed=Sum("points", filter=Q(kind__in=["redeem"]) | Q(kind="adjust", points__lt=0)),
        expired=Sum("points", filter=Q(kind="expire")),
        reversed=Sum("points", filter=Q(kind="reverse")),
    )
    from django.db.models.functions import TruncDate

    daily = (qs.annotate(day=TruncDate("created_at")).values("day")
             .annotate(issued=Sum("points", filter=Q(points__gt=0)),
                       redeemed=Sum("points", filter=Q(kind="redeem")),
                       expired=Sum("points", filter=Q(kind="expire")))
             .order_by("day"))
    return {
        "issued": totals["issued"] or 0,
        "redeemed": -(totals["redeemed"] or 0),
        "expired": -(totals["expired"] or 0),
        "reversed": -(totals["reversed"] or 0),
        "daily": [{"day": str(r["day"]), "issued": r["issued"] or 0, "redeemed": -(r["redeemed"] or 0),
                   "expired": -(r["expired"] or 0)} for r in daily],
    }


def outstanding_points(store_ids: frozenset[int] | None = None) -> int:
    qs = LoyaltyAccount.objects.all()
    if store_ids is not None:
        qs = qs.filter(member__home_store_id__in=store_ids)
    return qs.aggregate(s=Sum("points_balance"))["s"] or 0


def bulk_grants() -> QuerySet[BulkGrant]:
    return BulkGrant.objects.order_by("-id")
