"""下单 through a leader: group-buy prices, the open window, per-member limits, pickup at the leader's point."""

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from shequn.commerce import orders as order_core
from shequn.commerce.models import Order, OrderLine
from shequn.core import audit
from shequn.core.actor import Actor
from shequn.core.permissions import require

from .campaigns import share_lock
from .errors import (
    CampaignNotOpen,
    InvalidCampaign,
    LeaderOutOfScope,
    LeaderSuspended,
    MemberLimitReached,
    NotInCampaign,
    NotTheLeader,
)
from .models import Campaign, CampaignBuyer, CampaignItem, GroupBuyOrder, Leader

MAX_QUANTITY = order_core.MAX_QUANTITY


def _check_actor(actor: Actor, member, leader: Leader) -> None:
    if actor.kind == "member":
        if str(actor.id) != str(member.pk):
            raise NotTheLeader("You can only order for yourself.", type="not-yourself")
        return
    require(actor, "commerce.orders")
    if actor.store_ids is not None and leader.pickup_point.store_id not in actor.store_ids:
        raise LeaderOutOfScope("This leader's pickup point is outside your stores.", status=404)


def _clean(items) -> dict[str, int]:
    if not items or not isinstance(items, list | tuple):
        raise InvalidCampaign("Choose at least one product.", field="items")
    wanted: dict[str, int] = {}
    for raw in items:
        code = str((raw or {}).get("sku") or "").strip() if isinstance(raw, dict) else ""
        quantity = raw.get("quantity") if isinstance(raw, dict) else None
        if not code:
            raise InvalidCampaign("Every item needs a sku.", field="items")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidCampaign(f"Quantity of {code} must be between 1 and {MAX_QUANTITY}.", field="items")
        wanted[code] = wanted.get(code, 0) + quantity
    return wanted


def _open_or_refuse(campaign: Campaign | None, now) -> Campaign:
    if campaign is None or campaign.status != Campaign.Status.OPEN:
        raise CampaignNotOpen("This group buy is not taking orders.")
    if now < campaign.starts_at:
        raise CampaignNotOpen(f"This group buy starts at {timezone.localtime(campaign.starts_at):%m-%d %H:%M}.",
                              starts_at=campaign.starts_at.isoformat())
    if now >= campaign.ends_at:
        raise CampaignNotOpen("Orders for this group buy have closed.", ends_at=campaign.ends_at.isoformat())
    return campaign


def _lock_buyer(campaign: Campaign, member) -> CampaignBuyer:
    """The member's row in this campaign, locked; created on the first order (a racing insert waits, fails
    on the unique constraint, and then locks the row the other transaction created)."""
    buyer = CampaignBuyer.objects.select_for_update().filter(campaign=campaign, member=member).first()
    if buyer is not None:
        return buyer
    try:
        with transaction.atomic():
            CampaignBuyer.objects.create(campaign=campaign, member=member)
    except IntegrityError:
        pass
    return CampaignBuyer.objects.select_for_update().get(campaign=campaign, member=member)


def bought_quantities(campaign: Campaign, member) -> dict[int, int]:
    """Units of each SKU the member holds in this campaign: every order not cancelled, less refunded units."""
    rows = (OrderLine.objects.filter(order__groupbuy__campaign=campaign, order__member=member)
            .exclude(order__status=Order.Status.CANCELLED)
            .values("sku_id").annotate(q=Sum(F("quantity") - F("refunded_quantity"))))
    return {row["sku_id"]: row["q"] or 0 for row in rows}


def place_groupbuy_order(actor: Actor, *, campaign: Campaign, leader: Leader, member, items, note: str = "",
                         points: int = 0) -> Order:
    """A member's order in a campaign through a leader; stock comes from the store behind the pickup point."""
    _check_actor(actor, member, leader)
    wanted = _clean(items)
    if leader.status != Leader.Status.ACTIVE:
        raise LeaderSuspended("This leader is not taking orders at the moment.", leader_code=leader.code)
    store_id = leader.pickup_point.store_id
    with transaction.atomic():
        now = timezone.now()
        campaign = _open_or_refuse(share_lock(campaign.pk), now)
        scope = set(campaign.stores.values_list("pk", flat=True))
        if scope and store_id not in scope:
            raise LeaderOutOfScope("This group buy is not offered at this leader's pickup point.")
        offered = {i.sku.code: i for i in CampaignItem.objects.filter(campaign=campaign).select_related("sku")}
        missing = [code for code in wanted if code not in offered]
        if missing:
            raise NotInCampaign(f"{missing[0]} is not in this group buy.", field="items", sku=missing[0])
        _lock_buyer(campaign, member)
        held = bought_quantities(campaign, member)
        for code, quantity in wanted.items():
            item = offered[code]
            already = held.get(item.sku_id, 0)
            if item.per_member_limit is not None and already + quantity > item.per_member_limit:
                raise MemberLimitReached(
                    f"At most {item.per_member_limit} of {code} per member in this group buy; you have {already}.",
                    sku=code, limit=item.per_member_limit, already=already)
        order = order_core.place_order(
            actor, member=member, items=[{"sku": c, "quantity": q} for c, q in wanted.items()], fulfilment="pickup",
            pickup_point=leader.pickup_point, channel="groupbuy", channel_ref=str(campaign.pk),
            unit_prices={code: offered[code].group_price_fen for code in wanted}, note=note, points=points)
        GroupBuyOrder.objects.create(campaign=campaign, leader=leader, member=member, order=order,
                                     rates={str(offered[c].sku_id): offered[c].rate_permille for c in wanted})
        audit.record(actor, "groupbuy.order_placed", order, store_id=store_id,
                     after={"campaign_id": campaign.pk, "leader": leader.code, "order_no": order.order_no})
    return order
