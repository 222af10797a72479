"""Sections of the member 360 view beyond purchases: groups and interactions, points, coupons, referrals and
model scores. Each function is a fixed, small number of queries whatever the member's history."""

import datetime as dt

from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from shequn.core import clock
from shequn.core.actor import Actor
from shequn.members.models import Member

from .cells import CELLS
from .models import ClvRun, MemberValue, RfmRun, RfmScore

TIMELINE = 10
EXPIRING_DAYS = 7
# Group events that are a member taking part (joining, leaving and attributed orders are counted apart).
INTERACTIONS = ("message", "reply", "reaction", "poll_vote", "activity_signup", "activity_checkin",
                "red_packet_grab")


def community(member: Member, store_ids: set[int] | None) -> tuple[list[dict], list[dict]]:
    """The member's groups (current first) with their interaction counts, and the recent interactions
    timeline (group events and check-ins, newest first)."""
    from shequn.communities.models import GroupEvent, Membership
    from shequn.loyalty.models import CheckIn

    memberships = Membership.objects.filter(member=member).select_related("group__store")
    events = GroupEvent.objects.filter(member=member)
    if store_ids is not None:
        memberships = memberships.filter(group__store_id__in=store_ids)
        events = events.filter(group__store_id__in=store_ids)
    counts = {row["group_id"]: row for row in events.values("group_id").annotate(
        interactions=Count("pk", filter=Q(kind__in=INTERACTIONS)), orders=Count("pk", filter=Q(kind="order")),
        last_at=Max("occurred_at", filter=Q(kind__in=INTERACTIONS)))}
    roles = dict(Membership.Role.choices)
    groups = []
    for m in sorted(memberships, key=lambda m: (m.left_at is not None, -m.joined_at.timestamp())):
        c = counts.get(m.group_id, {})
        groups.append({"group_id": m.group_id, "name": m.group.name, "store_name": m.group.store.name,
                       "role": m.role, "role_label": str(roles.get(m.role, m.role)), "joined_at": m.joined_at,
                       "left_at": m.left_at, "interactions": c.get("interactions", 0),
                       "orders": c.get("orders", 0), "last_interaction_at": c.get("last_at")})
    kinds = dict(GroupEvent.Kind.choices)
    timeline = [{"at": e.occurred_at, "kind": e.kind, "label": str(kinds.get(e.kind, e.kind)),
                 "where": e.group.name, "amount_fen": e.amount_fen or None, "points": None, "day_only": False}
                for e in events.select_related("group").order_by("-occurred_at", "-id")[:TIMELINE]]
    timeline += [{"at": _checkin_time(c), "kind": "check_in", "label": _("签到"), "where": "",
                  "amount_fen": None, "points": c.points, "day_only": not _same_day(c)}
                 for c in CheckIn.objects.filter(member=member).order_by("-local_date")[:TIMELINE]]
    # The same happening recorded by two sources (e.g. a join seen by the system and by WeCom) shows once.
    unique = {(row["kind"], row["where"], row["at"]): row for row in timeline}
    return groups, sorted(unique.values(), key=lambda row: row["at"], reverse=True)[:TIMELINE]


def _same_day(checkin) -> bool:
    return clock.local_date(at=checkin.created_at) == checkin.local_date


def _checkin_time(checkin) -> dt.datetime:
    """When the check-in happened: its creation time, or the start of its local day for check-ins recorded
    later (back-filled history; shown as a day only)."""
    return checkin.created_at if _same_day(checkin) else clock.start_of_local_day(checkin.local_date)


def points(member: Member) -> dict:
    """Balance and lifetime totals; 已使用 is redeemed points (offsets, exchanges), 已过期 expired ones."""
    from shequn.loyalty.models import CheckIn, LoyaltyAccount, PointsEntry

    account = LoyaltyAccount.objects.select_related("tier").filter(pk=member.pk).first()
    Kind = PointsEntry.Kind
    sums = PointsEntry.objects.filter(member=member).aggregate(
        redeemed=Sum("points", filter=Q(kind=Kind.REDEEM)), expired=Sum("points", filter=Q(kind=Kind.EXPIRE)))
    checkins = CheckIn.objects.filter(member=member).aggregate(n=Count("pk"), last=Max("local_date"))
    return {"balance": account.points_balance if account else 0,
            "earned_total": account.points_earned_total if account else 0,
            "redeemed": -(sums["redeemed"] or 0), "expired": -(sums["expired"] or 0),
            "tier_code": account.tier.code if account else "", "tier_name": account.tier.name if account else "",
            "checkins": checkins["n"], "last_checkin": checkins["last"],
            "checkin_streak": account.checkin_streak if account else 0}


def coupons(member: Member) -> dict:
    """Coupons held now (usable, and how many run out within a week), used (with the amount they saved),
    expired."""
    from shequn.commerce.coupons.models import Coupon

    now = clock.now()
    S = Coupon.Status
    usable = Q(status=S.AVAILABLE, valid_until__gt=now)
    row = Coupon.objects.filter(member=member).aggregate(
        held=Count("pk", filter=usable),
        expiring=Count("pk", filter=usable & Q(valid_until__lte=now + dt.timedelta(days=EXPIRING_DAYS))),
        used=Count("pk", filter=Q(status=S.USED)), saved_fen=Sum("discount_fen", filter=Q(status=S.USED)),
        expired=Count("pk", filter=Q(status=S.EXPIRED) | Q(status=S.AVAILABLE, valid_until__lte=now)))
    return {**row, "saved_fen": row["saved_fen"] or 0}


def referrals(member: Member) -> dict:
    """Friends invited (attributed to the member's code), converted (first paid order: qualified or
    rewarded), the referrer rewards received, and distribution commission earned (net of reversals)."""
    from shequn.commerce.referral.models import Distributor, Referral, ReferralReward

    S = Referral.Status
    made = Referral.objects.filter(referrer=member).aggregate(
        invited=Count("pk"), converted=Count("pk", filter=Q(status__in=[S.QUALIFIED, S.REWARDED])),
        pending=Count("pk", filter=Q(status__in=[S.PENDING, S.HELD])))
    rewards = ReferralReward.objects.filter(member=member, side=ReferralReward.Side.REFERRER).aggregate(
        points=Sum("points"), coupons=Count("pk", filter=Q(kind="coupon")))
    distributor = Distributor.objects.filter(member=member).first()
    commission = (distributor.pending_fen + distributor.available_fen + distributor.frozen_fen
                  + distributor.withdrawn_fen) if distributor else 0
    return {**made, "reward_points": rewards["points"] or 0, "reward_coupons": rewards["coupons"],
            "is_distributor": distributor is not None,
            "distributor_status": distributor.get_status_display() if distributor else "",
            "commission_fen": commission}


def rfm(actor: Actor, member: Member) -> list[dict]:
    """The member's cell in the newest overall RFM run and the newest run of their home store. A store
    manager sees runs of their own stores only (as with lifetime-value runs)."""
    scopes = [] if actor.scoped else [("overall", None)]
    if member.home_store_id and (not actor.scoped or member.home_store_id in actor.store_ids):
        scopes.append(("home_store", member.home_store_id))
    out = []
    for scope, store_id in scopes:
        run = (RfmRun.objects.filter(store_id=store_id).order_by("-as_of", "-created_at", "-id")
               .values("pk", "as_of", "members").first())
        out.append({"scope": scope, "run_id": run["pk"] if run else None, "as_of": run["as_of"] if run else None,
                    "run_members": run["members"] if run else 0, "score": None})
    scores = {s.run_id: s for s in RfmScore.objects.filter(member=member,
                                                             run_id__in=[r["run_id"] for r in out if r["run_id"]])}
    for row in out:
        s = scores.get(row["run_id"])
        if s is not None:
            row["score"] = {"cell": s.cell, "cell_label": str(CELLS.get(s.cell, s.cell)), "r": s.r_score,
                            "f": s.f_score, "m": s.m_score, "recency_days": s.recency_days,
                            "frequency": s.frequency, "monetary_fen": s.monetary_fen}
    return out


def clv(actor: Actor, member: Member) -> dict | None:
    """The member's scores in the newest lifetime-value run visible to the actor that scored them."""
    runs = ClvRun.objects.filter(store_id__in=actor.store_ids) if actor.scoped else ClvRun.objects.all()
    value = (MemberValue.objects.select_related("run").filter(member=member, run__in=runs)
             .order_by("-run__created_at", "-run_id").first())
    if value is None:
        return None
    return {"run_id": value.run_id, "calibration_end": value.run.calibration_end,
            "horizon_days": value.run.horizon_days, "clv_12m_fen": value.clv_12m_fen,
            "expected_purchases": value.expected_purchases, "p_alive": value.p_alive,
            "churn_risk": value.churn_risk, "churn_label": value.get_churn_risk_display(),
            "value_decile": value.value_decile}
