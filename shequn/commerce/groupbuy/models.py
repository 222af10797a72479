"""社群团购: leaders (团长) with pickup points, campaigns, orders through a leader, commission ledger, statements.

Money is integer fen; commission rates are per mille (‰)."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class LeaderApplication(models.Model):
    """团长申请: a member proposes a pickup point; an operator approves (creates the Leader) or rejects."""

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已拒绝"

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="leader_applications")
    point_name = models.CharField(max_length=60)
    address = models.CharField(max_length=200)
    hours = models.CharField(max_length=60, blank=True)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="leader_applications")
    note = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reject_reason = models.CharField(max_length=200, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["member"], condition=Q(status="pending"),
                                               name="one_pending_leader_application")]


class Leader(models.Model):
    """团长: runs a pickup point, shares a link / code, hands out orders and earns commission.

    `commission_fen` is the cached sum of the commission ledger; `paid_out_fen` the sum of paid statements."""

    class Status(models.TextChoices):
        ACTIVE = "active", "正常"
        SUSPENDED = "suspended", "已暂停"

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="groupbuy_leader")
    code = models.CharField(max_length=8, unique=True)
    pickup_point = models.OneToOneField("stores.PickupPoint", on_delete=models.PROTECT, related_name="leader")
    application = models.OneToOneField(LeaderApplication, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="leader")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    suspend_reason = models.CharField(max_length=200, blank=True)
    commission_fen = models.IntegerField(default=0)
    paid_out_fen = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code}"


class Campaign(models.Model):
    """团购活动: a pre-sale window, group-buy prices, an optional minimum quantity (成团数量), a pickup date."""

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        OPEN = "open", "进行中"
        CLOSED = "closed", "已截单"
        SUCCEEDED = "succeeded", "已成团"
        FAILED = "failed", "未成团"

    title = models.CharField(max_length=80)
    description = models.TextField(blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    pickup_date = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    commission_permille = models.PositiveSmallIntegerField(default=0)  # ‰ of what was paid
    min_quantity = models.PositiveIntegerField(default=0)  # 0: goes ahead whatever is sold
    stores = models.ManyToManyField("stores.Store", blank=True, related_name="groupbuy_campaigns")
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    sold_quantity_at_close = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["status", "ends_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="groupbuy_window_forward"),
            models.CheckConstraint(condition=Q(commission_permille__lte=1000), name="groupbuy_commission_max"),
        ]

    def __str__(self) -> str:
        return self.title


class CampaignItem(models.Model):
    """A SKU in a campaign at its group-buy price, with an optional per-member limit and commission rate."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items")
    sku = models.ForeignKey("commerce.Sku", on_delete=models.PROTECT, related_name="groupbuy_items")
    group_price_fen = models.PositiveIntegerField()
    per_member_limit = models.PositiveIntegerField(null=True, blank=True)
    commission_permille = models.PositiveSmallIntegerField(null=True, blank=True)  # else the campaign's
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sku"], name="uniq_groupbuy_item"),
            models.CheckConstraint(condition=Q(group_price_fen__gt=0), name="groupbuy_price_positive"),
            models.CheckConstraint(condition=Q(commission_permille__lte=1000), name="groupbuy_item_commission_max"),
        ]

    @property
    def rate_permille(self) -> int:
        return self.commission_permille if self.commission_permille is not None else self.campaign.commission_permille


class CampaignBuyer(models.Model):
    """One row per member who ordered in a campaign. Its row lock serialises that member's orders, so
    concurrent orders cannot together pass a per-member limit."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="buyers")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="groupbuy_campaigns")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "member"], name="uniq_groupbuy_buyer")]


class GroupBuyOrder(models.Model):
    """An order placed through a leader in a campaign; `rates` = {sku_id: ‰} fixed when placed."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="orders")
    leader = models.ForeignKey(Leader, on_delete=models.PROTECT, related_name="orders")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="groupbuy_orders")
    order = models.OneToOneField("commerce.Order", on_delete=models.PROTECT, related_name="groupbuy")
    rates = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["campaign", "leader"]), models.Index(fields=["campaign", "member"])]


class LeaderStatement(models.Model):
    """结算单: a leader's commission entries up to the end of a period, paid out as one sum."""

    class Status(models.TextChoices):
        DRAFT = "draft", "待确认"
        CONFIRMED = "confirmed", "已确认"
        PAID = "paid", "已支付"

    leader = models.ForeignKey(Leader, on_delete=models.PROTECT, related_name="statements")
    period_start = models.DateField()
    period_end = models.DateField()  # inclusive, in the shop's time zone
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    total_fen = models.IntegerField()
    entry_count = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_reference = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-period_start", "leader_id"]
        constraints = [
            models.UniqueConstraint(fields=["leader", "period_start", "period_end"], name="uniq_leader_statement"),
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="statement_period_forward"),
        ]


class CommissionEntry(models.Model):
    """团长佣金流水: append-only. An accrual per picked-up order, a reversal per refund after pickup.

    An entry, once in a statement, never changes; a later reversal goes into the next statement."""

    class Kind(models.TextChoices):
        ACCRUAL = "accrual", "提货佣金"
        REVERSAL = "reversal", "退款冲回"

    leader = models.ForeignKey(Leader, on_delete=models.PROTECT, related_name="commission_entries")
    groupbuy_order = models.ForeignKey(GroupBuyOrder, on_delete=models.PROTECT, related_name="commission_entries")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_fen = models.IntegerField()
    base_fen = models.IntegerField()  # what was paid (net of refunds) the commission is computed on
    ref = models.CharField(max_length=60, unique=True)  # accrual:<order_no> / reversal:<refund_no>
    statement = models.ForeignKey(LeaderStatement, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="entries")
    created_at = models.DateTimeField(default=timezone.now)  # accruals: the moment of pickup

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["leader", "created_at"]), models.Index(fields=["statement"])]
