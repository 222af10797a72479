"""Demo 活动效果: a win-back coupon (老客唤醒) granted with a control group (对照组), and the orders of the
members who came back with it, paid on days inside the coupon's validity."""

import datetime as dt
import math
import random

from django.db.models import Max
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.analytics.models import Transaction
from shequn.commerce import orders, payments, stock
from shequn.commerce.coupons import services as coupons
from shequn.commerce.coupons.errors import CouponNotApplicable
from shequn.commerce.coupons.models import Coupon
from shequn.commerce.errors import OutOfStock
from shequn.commerce.models import Order, Payment, Sku
from shequn.commerce.providers.sandbox import transaction_id_for
from shequn.members.models import Member

from .commerce import CATALOG, PAY

TARGET = 600
HOLDOUT_PERCENT = 20
CAME_BACK = 0.22  # of the members who got the coupon, on top of what they would have bought anyway


def _lapsing(now: dt.datetime) -> list[Member]:
    """Members whose last purchase was 45–240 days ago (流失预警), oldest first."""
    last = (Transaction.objects.filter(amount_fen__gt=0).values("member_id").annotate(last=Max("occurred_at"))
            .filter(last__lt=now - dt.timedelta(days=45), last__gte=now - dt.timedelta(days=240)).order_by("member_id")
            .values_list("member_id", flat=True))
    return list(Member.objects.filter(pk__in=list(last)[:TARGET], is_active=True, home_store__isnull=False)
                .select_related("home_store").order_by("pk"))


def _order(member: Member, sku: Sku, coupon: Coupon, at: dt.datetime) -> bool:
    quantity = max(1, math.ceil(8900 / sku.price_fen))
    for _ in range(6):
        items = [{"sku": sku.code, "quantity": quantity}]
        try:
            order = orders.place_order(member_actor(member.pk), member=member, items=items, fulfilment="pickup",
                                       store=member.home_store, coupon_ids=[coupon.pk])
            break
        except OutOfStock:
            stock.receive(CATALOG, sku, member.home_store, 200, reason="到货补货")
        except CouponNotApplicable:  # the member's tier price took the basket under the coupon's threshold
            quantity += 1
    else:
        return False
    payments.confirm_payment(PAY, provider="sandbox", order_no=order.order_no,
                             transaction_id=transaction_id_for(order.order_no), amount_fen=order.total_fen, paid_at=at)
    created = at - dt.timedelta(minutes=5)
    Order.objects.filter(pk=order.pk).update(created_at=created, expires_at=created + dt.timedelta(minutes=30))
    Payment.objects.filter(order_id=order.pk).update(created_at=at)
    Coupon.objects.filter(order=order).update(used_at=at)
    return True


def grant_winback(actor) -> str:
    rng = random.Random(11)
    now = timezone.now()
    granted_at = now - dt.timedelta(days=18)
    template = coupons.create_template(actor, name="老客回归 满79减15", kind="threshold", amount_fen=1500,
                                       threshold_fen=7900, validity="days", valid_days=21, claimable=False,
                                       campaign="老客唤醒", now=granted_at)
    target = _lapsing(now)
    result = coupons.grant(actor, template, target, ref="demo-winback", at=granted_at,
                           holdout_percent=HOLDOUT_PERCENT)
    skus = list(Sku.objects.filter(is_active=True, price_fen__gte=1500, price_fen__lte=9000).order_by("code"))
    used = 0
    for coupon in Coupon.objects.filter(template=template).select_related("member__home_store").order_by("pk"):
        if skus and rng.random() < CAME_BACK:
            at = granted_at + dt.timedelta(days=rng.uniform(0.5, 17.5))
            used += _order(coupon.member, rng.choice(skus), coupon, at)
    return f"老客唤醒券发给 {result['issued']} 人（对照组 {result['held_out']} 人），{used} 人回来用券"
