import datetime as dt

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from shequn.commerce import reports
from shequn.commerce.coupons.models import Coupon, CouponTemplate
from shequn.commerce.flash.models import FlashSale
from shequn.commerce.groupbuy.models import Campaign, CommissionEntry, Leader, LeaderApplication, LeaderStatement
from shequn.commerce.models import Order, OrderLine, Payment, Product, Refund, StockEntry, StockLevel
from shequn.commerce.referral.models import Distributor, OrderCommission, Referral
from shequn.commerce.teams.models import Team
from shequn.core import ledger_checks
from shequn.core.actor import SYSTEM
from shequn.demo.loader import load_demo
from shequn.loyalty.models import Purchase
from shequn.loyalty.services import check_ledgers
from shequn.members.models import Member

pytestmark = pytest.mark.django_db


def test_demo_shop_has_a_catalog_a_year_of_orders_and_every_channel():
    assert load_demo(members=60, show_progress=False) is True
    _every_paid_order_and_refund_is_an_analytics_transaction()
    now = timezone.now()
    counts = [model.objects.count() for model in (Product, Order, StockEntry, Coupon, Leader)]
    assert load_demo(members=60, show_progress=False) is False
    assert [model.objects.count() for model in (Product, Order, StockEntry, Coupon, Leader)] == counts

    assert 190 <= Product.objects.count() <= 230
    assert Product.objects.values("category").distinct().count() >= 9
    assert StockLevel.objects.filter(on_hand__gt=0).count() > 600

    paid = Order.objects.filter(paid_at__isnull=False)
    assert paid.count() / Member.objects.count() > 1
    assert paid.filter(paid_at__lt=now - dt.timedelta(days=300)).exists()
    assert paid.filter(paid_at__gte=now - dt.timedelta(days=7)).exists()
    assert not Order.objects.filter(created_at__gt=now).exists()
    assert not paid.filter(paid_at__gt=now).exists()
    statuses = dict(Order.objects.values_list("status").annotate(n=Count("pk")))
    assert statuses["completed"] > statuses.get("refunded", 0) + statuses.get("partially_refunded", 0) > 0
    assert statuses.get("cancelled", 0) > 0 and statuses.get("paid", 0) > 0
    assert Refund.objects.exists()
    for order in paid.filter(fulfilled_at__isnull=False)[:200]:
        assert order.created_at <= order.paid_at <= order.fulfilled_at <= now
        if order.completed_at:
            assert order.completed_at >= order.fulfilled_at + dt.timedelta(days=7)

    # Every paid order is the member's loyalty purchase of the same amount, and only those.
    purchases = dict(Purchase.objects.filter(source="shop", amount_fen__gt=0).values_list("ref", "amount_fen"))
    orders = dict(paid.filter(paid_fen__gt=0).values_list("order_no", "paid_fen"))
    assert purchases == orders
    refunded = dict(Order.objects.filter(refunded_fen__gt=0).values_list("order_no", "refunded_fen"))
    back = {}
    for ref, amount in Purchase.objects.filter(source="shop", amount_fen__lt=0).values_list("refund_of__ref",
                                                                                           "amount_fen"):
        back[ref] = back.get(ref, 0) - amount
    assert back == refunded
    for order in paid.prefetch_related("lines")[:300]:
        assert sum(line.paid_fen for line in order.lines.all()) == order.paid_fen - order.delivery_fee_fen
        assert Payment.objects.filter(order=order, amount_fen=order.paid_fen).exists() or order.paid_fen == 0

    # Stock: the ledger sums for every level; sales in the ledger match the order lines.
    assert ledger_checks.registered()
    for name, check in ledger_checks.registered().items():
        assert check(False) == [], name
    assert check_ledgers() == []
    sold = -(StockEntry.objects.filter(kind="sale").aggregate(s=Sum("on_hand_delta"))["s"] or 0)
    assert sold == OrderLine.objects.filter(order__paid_at__isnull=False).aggregate(s=Sum("quantity"))["s"]

    # 爆品: a long tail, a few products carry most of the year's sales.
    report = reports.hot_products(SYSTEM, date_from=timezone.localdate() - dt.timedelta(days=364))
    assert report.items and report.product_count > 80
    assert report.hot_count < report.product_count * 0.35

    # Channels.
    assert CouponTemplate.objects.count() >= 5 and Coupon.objects.filter(status="used").exists()
    assert Order.objects.filter(coupon_discount_fen__gt=0, paid_at__isnull=False).exists()
    assert 3 <= Leader.objects.filter(status="active").count() <= 7
    assert LeaderApplication.objects.filter(status="pending").count() == 1
    running = Campaign.objects.get(status="open")
    assert running.starts_at < now < running.ends_at and running.orders.exists()
    assert Order.objects.filter(channel="groupbuy", status__in=["picked_up", "completed"]).exists()
    assert CommissionEntry.objects.exists() and LeaderStatement.objects.filter(status="paid").count() == 1
    teams = {t.status: t for t in Team.objects.all()}
    assert set(teams) == {"complete", "forming"}
    assert teams["forming"].seats.filter(status="paid").count() == 2 and teams["forming"].deal.team_size == 3
    assert teams["complete"].seats.filter(status="confirmed").count() == 3
    sale = FlashSale.objects.get()
    start = timezone.localtime(sale.starts_at)
    assert start.date() == timezone.localdate() + dt.timedelta(days=1) and (start.hour, start.minute) == (10, 0)
    assert Referral.objects.filter(status="held").count() == 1
    assert Referral.objects.filter(status__in=["qualified", "rewarded"]).exists()
    assert Distributor.objects.filter(status="approved").count() == 2 and OrderCommission.objects.exists()


def _every_paid_order_and_refund_is_an_analytics_transaction():
    from shequn.analytics.models import Transaction

    paid = Order.objects.filter(paid_fen__gt=0)
    assert Transaction.objects.filter(source="order").count() == paid.count()
    net = paid.aggregate(p=Sum("paid_fen"), r=Sum("refunded_fen"))
    assert Transaction.objects.aggregate(s=Sum("amount_fen"))["s"] == net["p"] - net["r"]
