"""Reads for referral and distribution, filtered to the actor's stores (by the member's home store)."""

from django.db.models import Count, Q, QuerySet, Sum

from shequn.core.actor import Actor

from .errors import DistributorNotFound, ReferralNotFound, WithdrawalNotFound
from .models import CommissionEntry, Distributor, OrderCommission, Referral, ReferralReward, Withdrawal


def _valid_id(value: int) -> bool:
    return isinstance(value, int) and 0 < value < 2**63


def referrals_visible_to(actor: Actor) -> QuerySet[Referral]:
    qs = Referral.objects.select_related("referrer", "referee", "order")
    if actor.store_ids is not None:
        qs = qs.filter(referrer__home_store_id__in=actor.store_ids)
    return qs


def get_referral(actor: Actor, referral_id: int) -> Referral:
    referral = referrals_visible_to(actor).filter(pk=referral_id).first() if _valid_id(referral_id) else None
    if referral is None:
        raise ReferralNotFound(f"No referral {referral_id}.")
    return referral


def referrals_of(member_id: int) -> QuerySet[Referral]:
    """The member's own referrals (H5 "my invitations")."""
    return Referral.objects.filter(referrer_id=member_id).select_related("referee").order_by("-id")


def rewards_of(member_id: int) -> QuerySet[ReferralReward]:
    return ReferralReward.objects.filter(member_id=member_id).order_by("-id")


def referral_report(actor: Actor, limit: int = 200) -> list[dict]:
    """Per referrer: referrals, how many reached a first order, rewarded, held, points paid to the referrer."""
    rows = (referrals_visible_to(actor).values("referrer_id", "referrer__name", "referrer__member_no")
            .annotate(referrals=Count("id"), first_orders=Count("id", filter=Q(order__isnull=False)),
                      rewarded=Count("id", filter=Q(status=Referral.Status.REWARDED)),
                      held=Count("id", filter=Q(status=Referral.Status.HELD)),
                      void=Count("id", filter=Q(status__in=[Referral.Status.VOID, Referral.Status.REJECTED])))
            .order_by("-referrals", "referrer_id")[:limit])
    ids = [r["referrer_id"] for r in rows]
    paid = dict(ReferralReward.objects.filter(member_id__in=ids, side="referrer").values_list("member_id")
                .annotate(s=Sum("points")).order_by())
    return [{"referrer_id": r["referrer_id"], "name": r["referrer__name"], "member_no": r["referrer__member_no"],
             "referrals": r["referrals"], "first_orders": r["first_orders"], "rewarded": r["rewarded"],
             "held": r["held"], "void": r["void"], "points_paid": paid.get(r["referrer_id"]) or 0,
             "conversion_pct": round(100 * r["first_orders"] / r["referrals"]) if r["referrals"] else 0}
            for r in rows]


def referral_totals(actor: Actor) -> dict:
    qs = referrals_visible_to(actor)
    counts = dict(qs.values_list("status").annotate(n=Count("id")).order_by())
    return {"total": sum(counts.values()), **{s: counts.get(s, 0) for s in Referral.Status.values},
            "first_orders": qs.filter(order__isnull=False).count()}


def distributors_visible_to(actor: Actor) -> QuerySet[Distributor]:
    qs = Distributor.objects.select_related("member", "upline__member")
    if actor.store_ids is not None:
        qs = qs.filter(member__home_store_id__in=actor.store_ids)
    return qs


def get_distributor(actor: Actor, distributor_id: int) -> Distributor:
    found = distributors_visible_to(actor).filter(pk=distributor_id).first() if _valid_id(distributor_id) else None
    if found is None:
        raise DistributorNotFound(f"No distributor {distributor_id}.")
    return found


def distributor_of(member_id: int) -> Distributor | None:
    return Distributor.objects.select_related("upline__member").filter(member_id=member_id).first()


def team_of(distributor: Distributor) -> QuerySet[Distributor]:
    return Distributor.objects.filter(upline=distributor).select_related("member").order_by("-id")


def ledger(distributor: Distributor) -> QuerySet[CommissionEntry]:
    return CommissionEntry.objects.filter(distributor=distributor).select_related("commission__order")


def withdrawals_visible_to(actor: Actor) -> QuerySet[Withdrawal]:
    qs = Withdrawal.objects.select_related("distributor__member")
    if actor.store_ids is not None:
        qs = qs.filter(distributor__member__home_store_id__in=actor.store_ids)
    return qs


def get_withdrawal(actor: Actor, withdrawal_id: int) -> Withdrawal:
    found = withdrawals_visible_to(actor).filter(pk=withdrawal_id).first() if _valid_id(withdrawal_id) else None
    if found is None:
        raise WithdrawalNotFound(f"No withdrawal {withdrawal_id}.")
    return found


def distribution_report(actor: Actor, limit: int = 200) -> list[dict]:
    """Per distributor: orders and sales referred (level 1), commission earned per level net of refunds."""
    distributors = list(distributors_visible_to(actor).filter(status=Distributor.Status.APPROVED)
                        .order_by("-id")[:limit])
    by_level = {}
    for row in (OrderCommission.objects.filter(distributor__in=distributors)
                .values("distributor_id", "level")
                .annotate(orders=Count("id"), base=Sum("base_fen"), amount=Sum("amount_fen"),
                          reversed=Sum("reversed_fen")).order_by()):
        by_level[(row["distributor_id"], row["level"])] = row
    team = dict(Distributor.objects.filter(upline__in=distributors).values_list("upline_id")
                .annotate(n=Count("id")).order_by())
    out = []
    for d in distributors:
        one, two = by_level.get((d.pk, 1), {}), by_level.get((d.pk, 2), {})
        out.append({"distributor_id": d.pk, "member_id": d.member_id, "name": d.member.name,
                    "member_no": d.member.member_no, "upline_id": d.upline_id, "team_size": team.get(d.pk, 0),
                    "orders_referred": one.get("orders") or 0, "sales_referred_fen": one.get("base") or 0,
                    "level1_fen": (one.get("amount") or 0) - (one.get("reversed") or 0),
                    "level2_fen": (two.get("amount") or 0) - (two.get("reversed") or 0),
                    "pending_fen": d.pending_fen, "available_fen": d.available_fen, "frozen_fen": d.frozen_fen,
                    "withdrawn_fen": d.withdrawn_fen})
    out.sort(key=lambda r: (-r["sales_referred_fen"], r["distributor_id"]))
    return out
