"""Catalog, stock ledger, orders, payments and refunds. Money is integer fen."""

from django.db import models
from django.db.models import F, Q


class Category(models.Model):
    """商品分类: scenario-based (早餐, 宝宝辅食 …) rather than warehouse taxonomy."""

    name = models.CharField(max_length=40, unique=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """商品: what the member sees; sold as one or more SKUs (specs)."""

    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="products")
    tags = models.JSONField(default=list, blank=True)
    image_url = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    """A sellable spec of a product (500g, 6 枚装 …) with its list price."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="skus")
    code = models.CharField(max_length=40, unique=True)
    spec = models.CharField(max_length=60, blank=True)
    price_fen = models.PositiveIntegerField()
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(price_fen__gt=0), name="sku_price_positive")]

    def __str__(self) -> str:
        return self.code


class SkuTierPrice(models.Model):
    """会员价: an explicit price for one tier; tiers without one use the tier's discount."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="tier_prices")
    tier_code = models.CharField(max_length=20)
    price_fen = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sku", "tier_code"], name="uniq_sku_tier_price"),
                       models.CheckConstraint(condition=Q(price_fen__gt=0), name="tier_price_positive")]


class StockLevel(models.Model):
    """Stock of one SKU at one store or warehouse: on hand, and how much of it pending orders hold.

    The cached figures are the sums of the StockEntry ledger; available = on_hand - reserved."""

    sku = models.ForeignKey(Sku, on_delete=models.CASCADE, related_name="stock_levels")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="stock_levels")
    on_hand = models.IntegerField(default=0)
    reserved = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sku", "store"], name="uniq_stock_level"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_non_negative"),
            models.CheckConstraint(condition=Q(on_hand__gte=F("reserved")), name="stock_reserved_within_on_hand"),
        ]

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockEntry(models.Model):
    """库存流水: one append-only movement of a StockLevel."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", "入库"
        RESERVATION = "reservation", "下单占用"
        RELEASE = "release", "释放"
        SALE = "sale", "售出"
        RETURN = "return", "退回"
        ADJUSTMENT = "adjustment", "盘点调整"

    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    on_hand_delta = models.IntegerField(default=0)
    reserved_delta = models.IntegerField(default=0)
    on_hand_after = models.IntegerField()
    reserved_after = models.IntegerField()
    ref = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["level", "id"]), models.Index(fields=["ref"])]


class CommerceSettings(models.Model):
    """商城设置 (one row): points as cash, unpaid-order timeout, after-sales window."""

    points_per_yuan = models.PositiveIntegerField(default=100)  # 100 points = ¥1
    points_offset_max_percent = models.PositiveSmallIntegerField(default=50)  # of the order after discounts
    unpaid_timeout_minutes = models.PositiveIntegerField(default=30)
    complete_after_days = models.PositiveIntegerField(default=7)  # picked up / delivered → completed
    delivery_fee_fen = models.PositiveIntegerField(default=0)
    free_delivery_from_fen = models.PositiveIntegerField(default=9900)
    updated_at = models.DateTimeField(auto_now=True)


class Order(models.Model):
    """订单. Totals are fixed when placed: subtotal - discounts - points offset + delivery = total."""

    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", "待付款"
        PAID = "paid", "已付款"
        FULFILLED = "fulfilled", "已发货"
        PICKED_UP = "picked_up", "已自提"
        COMPLETED = "completed", "已完成"
        CANCELLED = "cancelled", "已取消"
        PARTIALLY_REFUNDED = "partially_refunded", "部分退款"
        REFUNDED = "refunded", "已退款"

    class Fulfilment(models.TextChoices):
        PICKUP = "pickup", "到店自提"
        DELIVERY = "delivery", "配送"

    order_no = models.CharField(max_length=24, unique=True)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="orders")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_PAYMENT)
    fulfilment = models.CharField(max_length=10, choices=Fulfilment.choices)
    pickup_point = models.ForeignKey("stores.PickupPoint", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="orders")
    channel = models.CharField(max_length=16, default="shop")  # shop, groupbuy, team, flash, live, pos
    channel_ref = models.CharField(max_length=40, blank=True)
    referrer = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="referred_orders")
    tier_code = models.CharField(max_length=20, blank=True)
    subtotal_fen = models.PositiveIntegerField()  # list prices
    member_discount_fen = models.PositiveIntegerField(default=0)  # tier / channel prices
    coupon_discount_fen = models.PositiveIntegerField(default=0)
    points_used = models.PositiveIntegerField(default=0)
    points_offset_fen = models.PositiveIntegerField(default=0)
    delivery_fee_fen = models.PositiveIntegerField(default=0)
    total_fen = models.PositiveIntegerField()  # to pay
    paid_fen = models.PositiveIntegerField(default=0)
    refunded_fen = models.PositiveIntegerField(default=0)
    points_refunded = models.PositiveIntegerField(default=0)
    payment_method = models.CharField(max_length=12, blank=True)
    pickup_code = models.CharField(max_length=8, blank=True)
    address = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=200, blank=True)
    cancel_reason = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()  # unpaid after this → cancelled automatically
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "expires_at"]), models.Index(fields=["member", "-id"]),
                   models.Index(fields=["store", "-id"]), models.Index(fields=["paid_at"]),
                   models.Index(fields=["channel", "channel_ref"])]
        constraints = [
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("paid_fen")), name="order_refund_within_paid"),
            models.CheckConstraint(
                condition=Q(total_fen=F("subtotal_fen") - F("member_discount_fen") - F("coupon_discount_fen")
                            - F("points_offset_fen") + F("delivery_fee_fen")),
                name="order_total_adds_up"),
        ]

    def __str__(self) -> str:
        return self.order_no


class OrderLine(models.Model):
    """One SKU in an order. `paid_fen` is the line's share of what was paid (after coupons and points),
    which is what a refund of the line gives back."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    sku = models.ForeignKey(Sku, on_delete=models.PROTECT, related_name="order_lines")
    level = models.ForeignKey(StockLevel, on_delete=models.PROTECT, related_name="order_lines")
    product_name = models.CharField(max_length=100)
    spec = models.CharField(max_length=60, blank=True)
    quantity = models.PositiveIntegerField()
    list_price_fen = models.PositiveIntegerField()
    unit_price_fen = models.PositiveIntegerField()  # after tier / channel price
    discount_fen = models.PositiveIntegerField(default=0)  # coupons + points offset allocated to the line
    paid_fen = models.PositiveIntegerField()
    refunded_quantity = models.PositiveIntegerField(default=0)
    refunded_fen = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(refunded_quantity__lte=F("quantity")), name="line_refund_qty"),
            models.CheckConstraint(condition=Q(refunded_fen__lte=F("paid_fen")), name="line_refund_within_paid"),
        ]

    @property
    def line_total_fen(self) -> int:
        return self.unit_price_fen * self.quantity


class Payment(models.Model):
    """A confirmed payment. (provider, transaction_id) is unique: a notification delivered twice
    finds its payment and changes nothing."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "已支付"
        LATE = "late", "订单已取消后到账(已原路退回)"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=12)
    transaction_id = models.CharField(max_length=64)
    amount_fen = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    paid_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "transaction_id"], name="uniq_payment_transaction"),
            models.UniqueConstraint(fields=["order"], condition=Q(status="succeeded"), name="one_payment_per_order"),
        ]


class Refund(models.Model):
    """退款: money back for some or all of an order; `refund_no` makes a retried refund a no-op."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "已退款"
        PROCESSING = "processing", "退款中"

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    refund_no = models.CharField(max_length=40, unique=True)
    amount_fen = models.PositiveIntegerField()
    points_returned = models.PositiveIntegerField(default=0)
    reason = models.CharField(max_length=200)
    lines = models.JSONField(default=list, blank=True)  # [{"line_id", "quantity", "amount_fen", "restocked"}]
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUCCEEDED)
    provider = models.CharField(max_length=12, blank=True)
    provider_ref = models.CharField(max_length=64, blank=True)
    actor = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="refund_amount_positive")]
