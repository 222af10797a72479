"""Reads for group buy: leaders, campaigns, the leader's order sheet and picking list, commissions.

Store-scoped staff see leaders (and their orders, commissions, statements) of their own stores only."""

from collections import defaultdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from shequn.commerce.models import Order
from shequn.core.actor import Actor

from .campaigns import sold_quantity
from .errors import CampaignNotFound, LeaderNotFound, StatementNotFound
from .models import Campaign, CommissionEntry, GroupBuyOrder, Leader, LeaderApplication, LeaderStatement

HANDED_OVER = (Order.Status.PICKED_UP, Order.Status.COMPLETED)


def _scoped(qs: QuerySet, actor: Actor, path: str) -> QuerySet:
    if actor.kind == "member":
        return qs.none()
    if actor.store_ids is not None:
        qs = qs.filter(**{f"{path}__in": actor.store_ids})
    return qs


def leaders_visible_to(actor: Actor) -> QuerySet[Leader]:
    return _scoped(Leader.objects.select_related("member", "pickup_point__store"), actor, "pickup_point__store_id")


def get_leader(actor: Actor, leader_id: int) -> Leader:
    leader = leaders_visible_to(actor).filter(pk=leader_id).first() if 0 < leader_id < 2**63 else None
    if leader is None:
        raise LeaderNotFound(f"No leader {leader_id}.")
    return leader


def leader_by_code(code: str) -> Leader:
    code = (code or "").strip().upper()
    leader = (Leader.objects.select_related("member", "pickup_point__store").filter(code=code).first()
              if 0 < len(code) <= 8 else None)
    if leader is None:
        raise LeaderNotFound(f"No leader with code {code}.")
    return leader


def leader_of_member(member) -> Leader | None:
    return Leader.objects.select_related("pickup_point__store").filter(member=member).first()


def applications_visible_to(actor: Actor, status: str = "") -> QuerySet[LeaderApplication]:
    qs = _scoped(LeaderApplication.objects.select_related("member", "store"), actor, "store_id")
    return qs.filter(status=status) if status else qs


def get_application(actor: Actor, application_id: int) -> LeaderApplication:
    app = (applications_visible_to(actor).filter(pk=application_id).first() if 0 < application_id < 2**63
           else None)
    if app is None:
        raise LeaderNotFound(f"No leader application {application_id}.", type="application-not-found")
    return app


def campaigns_visible_to(actor: Actor) -> QuerySet[Campaign]:
    qs = Campaign.objects.prefetch_related("stores")
    if actor.store_ids is not None:
        qs = qs.filter(Q(stores__isnull=True) | Q(stores__in=actor.store_ids)).distinct()
    return qs


def get_campaign(actor: Actor, campaign_id: int) -> Campaign:
    campaign = campaigns_visible_to(actor).filter(pk=campaign_id).first() if 0 < campaign_id < 2**63 else None
    if campaign is None:
        raise CampaignNotFound(f"No group-buy campaign {campaign_id}.")
    return campaign


def open_campaigns_for(leader: Leader, now=None) -> list[Campaign]:
    """What a leader's page offers now: open campaigns in the window, for the leader's store."""
    now = now or timezone.now()
    store_id = leader.pickup_point.store_id
    return list(Campaign.objects.filter(status=Campaign.Status.OPEN, starts_at__lte=now, ends_at__gt=now)
                .filter(Q(stores__isnull=True) | Q(stores=store_id)).distinct()
                .prefetch_related("items__sku__product").order_by("ends_at"))


def campaign_progress(campaign: Campaign) -> dict:
    sold = sold_quantity(campaign) if campaign.sold_quantity_at_close is None else campaign.sold_quantity_at_close
    minimum = campaign.min_quantity
    return {"sold": sold, "min_quantity": minimum, "reached": sold >= minimum,
            "percent": 100 if not minimum else min(100, round(100 * sold / minimum))}


def order_sheet(campaign: Campaign, leader: Leader) -> dict:
    """团长订单汇总: each member's orders (items, totals, pickup status) and the picking list (SKU totals
    of orders still to hand out)."""
    gb_orders = (GroupBuyOrder.objects.filter(campaign=campaign, leader=leader)
                 .exclude(order__status=Order.Status.CANCELLED)
                 .select_related("order", "member").prefetch_related("order__lines__sku").order_by("member_id", "id"))
    members: dict[int, dict] = {}
    picking: dict[str, dict] = defaultdict(lambda: {"quantity": 0, "picked_up": 0})
    totals = {"orders": 0, "paid_fen": 0, "refunded_fen": 0, "to_hand_out": 0, "handed_out": 0}
    for gb in gb_orders:
        order = gb.order
        row = members.setdefault(gb.member_id, {"member_id": gb.member_id, "member_no": gb.member.member_no,
                                                "name": gb.member.name, "orders": []})
        lines = [{"sku": ln.sku.code, "product": ln.product_name,
                  "spec": ln.spec, "quantity": ln.quantity - ln.refunded_quantity, "unit_price_fen": ln.unit_price_fen,
                  "paid_fen": ln.paid_fen - ln.refunded_fen} for ln in order.lines.all()]
        row["orders"].append({"order_id": order.pk, "order_no": order.order_no, "status": order.status,
                              "status_label": order.get_status_display(), "total_fen": order.total_fen,
                              "paid_fen": order.paid_fen, "refunded_fen": order.refunded_fen,
                              "picked_up": order.status in HANDED_OVER, "pickup_code_tail": order.pickup_code[-2:],
                              "lines": lines, "created_at": order.created_at})
        totals["orders"] += 1
        totals["paid_fen"] += order.paid_fen
        totals["refunded_fen"] += order.refunded_fen
        awaiting = order.status in (Order.Status.PAID, Order.Status.PARTIALLY_REFUNDED) and not order.fulfilled_at
        if awaiting:
            totals["to_hand_out"] += 1
        elif order.status in HANDED_OVER:
            totals["handed_out"] += 1
        for ln in order.lines.all():
            left = ln.quantity - ln.refunded_quantity
            if left <= 0 or order.status == Order.Status.PENDING_PAYMENT:
                continue
            key = ln.product_name + (f" {ln.spec}" if ln.spec else "")
            picking[key]["quantity"] += left
            if order.status in HANDED_OVER:
                picking[key]["picked_up"] += left
    return {"campaign_id": campaign.pk, "campaign": campaign.title, "pickup_date": campaign.pickup_date,
            "leader_code": leader.code, "pickup_point": leader.pickup_point.name,
            "address": leader.pickup_point.address, "members": list(members.values()),
            "picking": [{"item": k, "quantity": v["quantity"], "picked_up": v["picked_up"],
                         "to_hand_out": v["quantity"] - v["picked_up"]} for k, v in sorted(picking.items())],
            "totals": totals}


def leaders_of_campaign(campaign: Campaign) -> QuerySet[Leader]:
    return Leader.objects.filter(orders__campaign=campaign).distinct().select_related("pickup_point", "member")


def leader_orders_to_hand_out(leader: Leader) -> QuerySet[GroupBuyOrder]:
    return (GroupBuyOrder.objects.filter(leader=leader, order__status__in=[Order.Status.PAID,
                                                                          Order.Status.PARTIALLY_REFUNDED],
                                         order__fulfilled_at__isnull=True)
            .select_related("order", "member", "campaign").prefetch_related("order__lines")
            .order_by("campaign__pickup_date", "campaign_id", "member_id"))


def commission_entries(leader: Leader) -> QuerySet[CommissionEntry]:
    return CommissionEntry.objects.filter(leader=leader).select_related("groupbuy_order__order", "statement")


def statements_visible_to(actor: Actor) -> QuerySet[LeaderStatement]:
    return _scoped(LeaderStatement.objects.select_related("leader__member", "leader__pickup_point"), actor,
                   "leader__pickup_point__store_id")


def get_statement(actor: Actor, statement_id: int) -> LeaderStatement:
    statement = (statements_visible_to(actor).filter(pk=statement_id).first() if 0 < statement_id < 2**63
                 else None)
    if statement is None:
        raise StatementNotFound(f"No commission statement {statement_id}.")
    return statement
