"""团购活动: create, add items at group-buy prices, open, and close at the end of the pre-sale window.

At close the campaign succeeds when the minimum quantity (成团数量) was paid for; otherwise it fails and
every paid order is refunded (refund number GBF<order_no>, so a rerun refunds nothing twice) and every
unpaid order cancelled. Closing and unwinding can run any number of times, also at once."""

import datetime as dt

from django.db import connection, transaction
from django.db.models import F, Sum
from django.utils import timezone

from shequn.commerce import orders as order_core
from shequn.commerce import refunds
from shequn.commerce.models import Order, OrderLine, Sku
from shequn.core import audit, outbox
from shequn.core.actor import SYSTEM, Actor
from shequn.core.permissions import require
from shequn.stores.models import Store

from .errors import CampaignNotFound, CampaignStateConflict, InvalidCampaign
from .models import Campaign, CampaignItem, GroupBuyOrder

CAMPAIGNS = "commerce.campaigns"
MAX_WINDOW = dt.timedelta(days=60)
MAX_ITEMS = 100
MAX_LIMIT = 999
# Orders whose goods count towards the minimum: paid, whatever happened after (less refunded units).
SOLD_STATUSES = (Order.Status.PAID, Order.Status.FULFILLED, Order.Status.PICKED_UP, Order.Status.COMPLETED,
                 Order.Status.PARTIALLY_REFUNDED)


def _permille(value, field: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 1000:
        raise InvalidCampaign(f"{field} is a rate per mille between 0 and 1000 (e.g. 80 = 8%).", field=field)
    return value


def _validate(title: str, starts_at, ends_at, pickup_date, min_quantity) -> str:
    title = (title or "").strip()
    if not title or len(title) > 80:
        raise InvalidCampaign("A campaign needs a title of at most 80 characters.", field="title")
    if not isinstance(starts_at, dt.datetime) or not isinstance(ends_at, dt.datetime) \
            or timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise InvalidCampaign("starts_at and ends_at are times with a time zone.", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidCampaign("The pre-sale window must end after it starts.", field="ends_at")
    if ends_at - starts_at > MAX_WINDOW:
        raise InvalidCampaign("A pre-sale window lasts at most 60 days.", field="ends_at")
    if not isinstance(pickup_date, dt.date) or isinstance(pickup_date, dt.datetime):
        raise InvalidCampaign("pickup_date is a date.", field="pickup_date")
    if pickup_date < timezone.localtime(ends_at).date():
        raise InvalidCampaign("The pickup date is on or after the last day of the pre-sale window.",
                              field="pickup_date")
    if not isinstance(min_quantity, int) or isinstance(min_quantity, bool) or not 0 <= min_quantity <= 1_000_000:
        raise InvalidCampaign("min_quantity is a whole number from 0 (no minimum) to 1,000,000.",
                              field="min_quantity")
    return title


def create_campaign(actor: Actor, *, title: str, starts_at: dt.datetime, ends_at: dt.datetime,
                    pickup_date: dt.date, commission_permille: int = 0, min_quantity: int = 0,
                    stores=(), description: str = "") -> Campaign:
    """A draft campaign. `stores`: whose leaders may sell it (none: every store)."""
    require(actor, CAMPAIGNS)
    title = _validate(title, starts_at, ends_at, pickup_date, min_quantity)
    _permille(commission_permille, "commission_permille")
    description = (description or "").strip()
    if len(description) > 2000:
        raise InvalidCampaign("description has at most 2000 characters.", field="description")
    stores = list(stores)
    if any(not isinstance(s, Store) for s in stores):
        raise InvalidCampaign("stores must be stores.", field="store_codes")
    with transaction.atomic():
        campaign = Campaign.objects.create(title=title, description=description, starts_at=starts_at,
                                           ends_at=ends_at, pickup_date=pickup_date,
                                           commission_permille=commission_permille, min_quantity=min_quantity,
                                           created_by=actor.label[:150])
        campaign.stores.set(stores)
        audit.record(actor, "groupbuy.campaign_created", campaign,
                     after={"title": title, "starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(),
                            "min_quantity": min_quantity, "stores": [s.code for s in stores]})
    return campaign


def _lock(campaign: Campaign) -> Campaign:
    try:
        return Campaign.objects.select_for_update().get(pk=campaign.pk)
    except Campaign.DoesNotExist:
        raise CampaignNotFound(f"No campaign {campaign.pk}.") from None


def add_item(actor: Actor, campaign: Campaign, *, sku: Sku, group_price_fen: int, per_member_limit: int | None = None,
             commission_permille: int | None = None) -> CampaignItem:
    """上架: a SKU at its group-buy price; only while the campaign is a draft (prices are fixed once open)."""
    require(actor, CAMPAIGNS)
    if not isinstance(group_price_fen, int) or isinstance(group_price_fen, bool) or group_price_fen <= 0:
        raise InvalidCampaign("group_price_fen is a positive whole number of fen.", field="group_price_fen")
    if group_price_fen > sku.price_fen:
        raise InvalidCampaign(f"The group-buy price of {sku.code} is above its list price ({sku.price_fen} fen).",
                              field="group_price_fen")
    if per_member_limit is not None and (not isinstance(per_member_limit, int) or isinstance(per_member_limit, bool)
                                         or not 1 <= per_member_limit <= MAX_LIMIT):
        raise InvalidCampaign(f"per_member_limit is between 1 and {MAX_LIMIT}, or empty.", field="per_member_limit")
    _permille(commission_permille, "commission_permille", optional=True)
    if not (sku.is_active and sku.product.is_active):
        raise InvalidCampaign(f"{sku.code} is not on sale.", field="sku")
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignStateConflict("Items can only be changed while the campaign is a draft.",
                                        status_now=campaign.status)
        if campaign.items.count() >= MAX_ITEMS:
            raise InvalidCampaign(f"A campaign has at most {MAX_ITEMS} items.", field="sku")
        item, created = CampaignItem.objects.update_or_create(
            campaign=campaign, sku=sku,
            defaults={"group_price_fen": group_price_fen, "per_member_limit": per_member_limit,
                      "commission_permille": commission_permille})
        if created:
            item.sort = campaign.items.count()
            item.save(update_fields=["sort"])
        audit.record(actor, "groupbuy.item_set", campaign,
                     after={"sku": sku.code, "group_price_fen": group_price_fen, "per_member_limit": per_member_limit,
                            "commission_permille": commission_permille})
    return item


def remove_item(actor: Actor, campaign: Campaign, sku: Sku) -> None:
    require(actor, CAMPAIGNS)
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignStateConflict("Items can only be changed while the campaign is a draft.",
                                        status_now=campaign.status)
        CampaignItem.objects.filter(campaign=campaign, sku=sku).delete()
        audit.record(actor, "groupbuy.item_removed", campaign, after={"sku": sku.code})


def open_campaign(actor: Actor, campaign: Campaign) -> Campaign:
    """开团: orders are taken between starts_at and ends_at."""
    require(actor, CAMPAIGNS)
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status == Campaign.Status.OPEN:
            return campaign
        if campaign.status != Campaign.Status.DRAFT:
            raise CampaignStateConflict(f"The campaign is {campaign.get_status_display()}.",
                                        status_now=campaign.status)
        if not campaign.items.exists():
            raise CampaignStateConflict("Add at least one product before opening the campaign.")
        if campaign.ends_at <= timezone.now():
            raise CampaignStateConflict("The pre-sale window is already over; change the dates first.")
        campaign.status = Campaign.Status.OPEN
        campaign.save(update_fields=["status"])
        audit.record(actor, "groupbuy.campaign_opened", campaign)
        outbox.emit("groupbuy.campaign_opened", "groupbuy_campaign", campaign.pk, title=campaign.title,
                    ends_at=campaign.ends_at.isoformat())
    return campaign


def share_lock(campaign_id: int) -> Campaign | None:
    """Hold the campaign against closing while an order is placed; orders do not block each other.

    PostgreSQL: FOR SHARE (closing takes FOR UPDATE and waits for orders in flight). SQLite has one writer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {Campaign._meta.db_table} WHERE id = %s FOR SHARE", [campaign_id])
    return Campaign.objects.filter(pk=campaign_id).first()


def sold_quantity(campaign: Campaign) -> int:
    """Units paid for in the campaign, net of refunded units."""
    row = (OrderLine.objects.filter(order__groupbuy__campaign=campaign, order__status__in=SOLD_STATUSES)
           .aggregate(q=Sum(F("quantity") - F("refunded_quantity"))))
    return row["q"] or 0


def close_campaign(actor: Actor, campaign: Campaign, *, now: dt.datetime | None = None) -> Campaign:
    """截单: stop orders; succeeded if the minimum was paid for, else failed (and unwound)."""
    if actor.kind != "system":
        require(actor, CAMPAIGNS)
    now = now or timezone.now()
    with transaction.atomic():
        campaign = _lock(campaign)
        if campaign.status == Campaign.Status.DRAFT:
            raise CampaignStateConflict("A draft campaign is not open; there is nothing to close.")
        if campaign.status == Campaign.Status.OPEN:
            sold = sold_quantity(campaign)
            reached = sold >= campaign.min_quantity
            campaign.status = Campaign.Status.CLOSED
            campaign.closed_at, campaign.sold_quantity_at_close = now, sold
            campaign.save(update_fields=["status", "closed_at", "sold_quantity_at_close"])
            audit.record(actor, "groupbuy.campaign_closed", campaign, after={"sold": sold})
            campaign.status = Campaign.Status.SUCCEEDED if reached else Campaign.Status.FAILED
            campaign.save(update_fields=["status"])
            audit.record(actor, f"groupbuy.campaign_{campaign.status}", campaign,
                         after={"sold": sold, "min_quantity": campaign.min_quantity})
            outbox.emit(f"groupbuy.campaign_{campaign.status}", "groupbuy_campaign", campaign.pk, sold=sold,
                        min_quantity=campaign.min_quantity)
    if campaign.status == Campaign.Status.FAILED:
        unwind_failed(campaign)
    return campaign


def failed_refund_no(order: Order) -> str:
    return f"GBF{order.order_no}"


def unwind_failed(campaign: Campaign) -> dict[str, int]:
    """未成团: refund every paid order (once, by its refund number) and cancel every unpaid one."""
    counts = {"refunded": 0, "cancelled": 0}
    order_ids = list(GroupBuyOrder.objects.filter(campaign=campaign).values_list("order_id", flat=True))
    for order_id in order_ids:
        with transaction.atomic():
            order = order_core.lock_order(order_id)
            if order.status == Order.Status.PENDING_PAYMENT:
                order_core.cancel_order(SYSTEM, order, reason="团购未成团")
                counts["cancelled"] += 1
            elif order.status in order_core.REFUNDABLE and order.paid_fen > order.refunded_fen:
                refunds.refund_order(SYSTEM, order, reason="团购未成团，自动退款", refund_no=failed_refund_no(order))
                counts["refunded"] += 1
    return counts


def close_due(now: dt.datetime | None = None) -> int:
    """The job: close campaigns whose window is over, and finish unwinding failed ones (a rerun after a
    crash picks up where the last one stopped)."""
    now = now or timezone.now()
    due = list(Campaign.objects.filter(status=Campaign.Status.OPEN, ends_at__lte=now))
    for campaign in due:
        close_campaign(SYSTEM, campaign, now=now)
    unfinished = Campaign.objects.filter(
        status=Campaign.Status.FAILED,
        orders__order__status__in=[Order.Status.PENDING_PAYMENT, *order_core.REFUNDABLE]).distinct()
    for campaign in unfinished:
        unwind_failed(campaign)
    return len(due)
