"""裂变 (referral) and 分销 (distribution). Money is integer fen, rates are per mille (‰)."""

from django.db import models
from django.db.models import Q


class ReferralSettings(models.Model):
    """裂变设置 (one row): rewards per side, windows, hold period and fraud thresholds."""

    class RewardKind(models.TextChoices):
        POINTS = "points", "积分"
        COUPON = "coupon", "优惠券"

    reward_kind = models.CharField(max_length=8, choices=RewardKind.choices, default=RewardKind.POINTS)
    referrer_points = models.PositiveIntegerField(default=500)
    referee_points = models.PositiveIntegerField(default=200)
    referrer_coupon_template_id = models.PositiveIntegerField(null=True, blank=True)
    referee_coupon_template_id = models.PositiveIntegerField(null=True, blank=True)
    signup_window_days = models.PositiveSmallIntegerField(default=7)  # link click → signup
    first_order_window_days = models.PositiveSmallIntegerField(default=30)  # signup → first paid order
    hold_days = models.PositiveSmallIntegerField(default=7)  # first paid order → rewards released
    burst_limit = models.PositiveSmallIntegerField(default=5)  # referrals per device or /24 per hour
    burst_window_minutes = models.PositiveSmallIntegerField(default=60)
    updated_at = models.DateTimeField(auto_now=True)


class ReferralCode(models.Model):
    """A member's own referral code (推荐码), created the first time it is asked for."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, primary_key=True,
                                  related_name="referral_code")
    code = models.CharField(max_length=12, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)


class ReferralDevice(models.Model):
    """A device (browser cookie id) a member was seen on; used to spot self-referral."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="referral_devices")
    device_id = models.CharField(max_length=64)
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "device_id"], name="uniq_referral_device")]
        indexes = [models.Index(fields=["device_id"])]


class Referral(models.Model):
    """推荐关系: one referee is referred once. pending → qualified → rewarded; held (fraud suspicion)
    → reviewed; rejected; void (refunded, or no first order in time)."""

    class Status(models.TextChoices):
        PENDING = "pending", "待首单"
        QUALIFIED = "qualified", "已首单(冷静期)"
        REWARDED = "rewarded", "已发奖励"
        HELD = "held", "待审核"
        REJECTED = "rejected", "已驳回"
        VOID = "void", "已失效"

    referrer = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="referrals_made")
    referee = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="referral")
    code = models.CharField(max_length=12)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    hold_reasons = models.JSONField(default=list, blank=True)  # self, device, burst-device, burst-network, ring
    device_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    network = models.CharField(max_length=48, blank=True)  # the IP's /24 (IPv4) or /64 (IPv6)
    clicked_at = models.DateTimeField(null=True, blank=True)
    attributed_at = models.DateTimeField()
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="referrals")
    qualified_at = models.DateTimeField(null=True, blank=True)
    release_after = models.DateTimeField(null=True, blank=True)
    rewarded_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=100, blank=True)
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "release_after"]), models.Index(fields=["referrer", "-id"]),
                   models.Index(fields=["device_id", "attributed_at"]),
                   models.Index(fields=["network", "attributed_at"])]
        constraints = [models.CheckConstraint(condition=~Q(status="qualified") | Q(order__isnull=False),
                                              name="qualified_referral_has_order")]


class ReferralReward(models.Model):
    """A reward released to one side of a referral; (referral, side) is unique: released once."""

    class Side(models.TextChoices):
        REFERRER = "referrer", "推荐人"
        REFEREE = "referee", "被推荐人"

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="rewards")
    side = models.CharField(max_length=8, choices=Side.choices)
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="referral_rewards")
    kind = models.CharField(max_length=8, choices=ReferralSettings.RewardKind.choices)
    points = models.PositiveIntegerField(default=0)
    coupon_id = models.PositiveIntegerField(null=True, blank=True)
    ref = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["referral", "side"], name="uniq_referral_reward_side")]


class DistributionSettings(models.Model):
    """分销设置 (one row): commission per level in ‰ (at most two levels) and the withdrawal minimum."""

    level_rates_permille = models.JSONField(default=list)  # [level 1, level 2]
    min_withdrawal_fen = models.PositiveIntegerField(default=1000)
    updated_at = models.DateTimeField(auto_now=True)


class CommissionRule(models.Model):
    """Rates for one category or one SKU instead of the default (a SKU rule wins over its category's)."""

    category = models.OneToOneField("commerce.Category", null=True, blank=True, on_delete=models.CASCADE,
                                    related_name="commission_rule")
    sku = models.OneToOneField("commerce.Sku", null=True, blank=True, on_delete=models.CASCADE,
                               related_name="commission_rule")
    level_rates_permille = models.JSONField(default=list)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(category__isnull=True) ^ Q(sku__isnull=True),
                                              name="commission_rule_one_target")]


class Distributor(models.Model):
    """分销员: a member who applied and was approved. Balances are the sums of their ledger entries:
    pending (orders not completed), available, frozen (withdrawal requested), withdrawn (paid out).
    `available` may go below zero when a refund reverses commission that was already withdrawn."""

    class Status(models.TextChoices):
        APPLIED = "applied", "申请中"
        APPROVED = "approved", "已通过"
        REJECTED = "rejected", "已拒绝"
        SUSPENDED = "suspended", "已停用"

    member = models.OneToOneField("members.Member", on_delete=models.PROTECT, related_name="distributor")
    upline = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="team")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.APPLIED)
    applied_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    note = models.CharField(max_length=200, blank=True)
    pending_fen = models.BigIntegerField(default=0)
    available_fen = models.BigIntegerField(default=0)
    frozen_fen = models.BigIntegerField(default=0)
    withdrawn_fen = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(pending_fen__gte=0) & Q(frozen_fen__gte=0)
                                              & Q(withdrawn_fen__gte=0), name="distributor_buckets_non_negative")]


class OrderCommission(models.Model):
    """The commission one order earns one distributor at one level."""

    class Status(models.TextChoices):
        PENDING = "pending", "待结算"
        AVAILABLE = "available", "可提现"

    order = models.ForeignKey("commerce.Order", on_delete=models.PROTECT, related_name="commissions")
    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="commissions")
    level = models.PositiveSmallIntegerField()
    base_fen = models.PositiveIntegerField()
    amount_fen = models.PositiveIntegerField()
    reversed_fen = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "level"], name="uniq_order_commission_level"),
            models.CheckConstraint(condition=Q(level__in=[1, 2]), name="commission_two_levels_only"),
            models.CheckConstraint(condition=Q(reversed_fen__lte=models.F("amount_fen")),
                                   name="commission_reversal_within_amount"),
        ]


class Withdrawal(models.Model):
    """提现申请: requested → paid (with the payout reference) | rejected (money back to available)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "待审核"
        PAID = "paid", "已打款"
        REJECTED = "rejected", "已拒绝"

    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="withdrawals")
    amount_fen = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=150, blank=True)
    reference = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="withdrawal_positive")]


class CommissionEntry(models.Model):
    """佣金流水: one append-only movement between a distributor's buckets. `ref` makes it happen once."""

    class Kind(models.TextChoices):
        ACCRUE = "accrue", "佣金入账(待结算)"
        SETTLE = "settle", "订单完成转可提现"
        REVERSE = "reverse", "退款冲回"
        WITHDRAW = "withdraw", "申请提现"
        PAYOUT = "payout", "提现已打款"
        WITHDRAW_REJECTED = "withdraw_rejected", "提现被拒退回"

    distributor = models.ForeignKey(Distributor, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=18, choices=Kind.choices)
    pending_delta = models.BigIntegerField(default=0)
    available_delta = models.BigIntegerField(default=0)
    frozen_delta = models.BigIntegerField(default=0)
    withdrawn_delta = models.BigIntegerField(default=0)
    commission = models.ForeignKey(OrderCommission, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="entries")
    withdrawal = models.ForeignKey(Withdrawal, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="entries")
    ref = models.CharField(max_length=80, unique=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["distributor", "id"])]
