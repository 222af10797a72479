"""优惠券: templates (what a coupon does and how many exist), coupons issued to members, and a per-member
holding row that serialises a member's claims of one template. Money is integer fen."""

from django.db import models
from django.db.models import F, Q


class CouponTemplate(models.Model):
    """券模板: the rules of a coupon and its stock (库存). The campaign label carries its cost."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "立减"
        PERCENT = "percent", "折扣"
        THRESHOLD = "threshold", "满减"
        FREE_ITEM = "free_item", "免费商品"

    class Scope(models.TextChoices):
        ALL = "all", "全场"
        CATEGORIES = "categories", "指定分类"
        SKUS = "skus", "指定商品"

    class Validity(models.TextChoices):
        WINDOW = "window", "固定时间段"
        DAYS = "days", "领取后N天"

    class Status(models.TextChoices):
        ACTIVE = "active", "发放中"
        PAUSED = "paused", "已暂停"

    class AutoIssue(models.TextChoices):
        NONE = "", "不自动发放"
        NEW_MEMBER = "new_member", "新会员"
        BIRTHDAY = "birthday", "生日"

    name = models.CharField(max_length=60)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_fen = models.PositiveIntegerField(default=0)  # fixed / threshold: the amount off
    percent = models.PositiveSmallIntegerField(default=0)  # percent: 85 = 85折 (pay 85%)
    max_discount_fen = models.PositiveIntegerField(default=0)  # percent: cap, 0 = none
    threshold_fen = models.PositiveIntegerField(default=0)  # threshold: spend at least this (in scope)
    free_sku_code = models.CharField(max_length=40, blank=True)  # free_item: one unit of this SKU
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    scope_category_ids = models.JSONField(default=list, blank=True)
    scope_sku_codes = models.JSONField(default=list, blank=True)
    min_spend_fen = models.PositiveIntegerField(default=0)  # in-scope goods at member price
    validity = models.CharField(max_length=6, choices=Validity.choices, default=Validity.DAYS)
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(default=0)
    per_member_limit = models.PositiveSmallIntegerField(default=1)  # claims and grants; 0 = no limit
    total_quantity = models.PositiveIntegerField(null=True, blank=True)  # None = unlimited
    remaining = models.PositiveIntegerField(null=True, blank=True)  # None = unlimited
    issued_count = models.PositiveIntegerField(default=0)
    stackable = models.BooleanField(default=False)
    claimable = models.BooleanField(default=True)  # members may claim it themselves
    auto_issue = models.CharField(max_length=12, choices=AutoIssue.choices, default="", blank=True)
    campaign = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["campaign"]), models.Index(fields=["auto_issue", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(remaining__isnull=True) | Q(remaining__lte=F("total_quantity")),
                                   name="coupon_template_remaining_within_total"),
            models.CheckConstraint(condition=Q(percent__lte=99), name="coupon_template_percent_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """A coupon held by a member. Locked by a pending order, used once the order is paid.

    (template, member, source, ref) is unique: issuing again with the same ref returns the first coupon."""

    class Source(models.TextChoices):
        CLAIM = "claim", "领取"
        CAMPAIGN_GRANT = "campaign_grant", "活动发放"
        NEW_MEMBER = "new_member", "新会员礼"
        BIRTHDAY = "birthday", "生日礼"
        REFERRAL = "referral", "推荐奖励"
        MANUAL = "manual", "手工发放"

    class Status(models.TextChoices):
        AVAILABLE = "available", "可使用"
        LOCKED = "locked", "待支付占用"
        USED = "used", "已使用"
        EXPIRED = "expired", "已过期"
        VOID = "void", "已作废"

    template = models.ForeignKey(CouponTemplate, on_delete=models.PROTECT, related_name="coupons")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="coupons")
    code = models.CharField(max_length=16, unique=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    ref = models.CharField(max_length=80)
    issued_at = models.DateTimeField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    order = models.ForeignKey("commerce.Order", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="coupons")
    discount_fen = models.PositiveIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    returned_count = models.PositiveSmallIntegerField(default=0)  # back from cancelled / refunded orders

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "status", "valid_until"]),
                   models.Index(fields=["status", "valid_until"]), models.Index(fields=["template", "status"])]
        constraints = [
            models.UniqueConstraint(fields=["template", "member", "source", "ref"], name="uniq_coupon_issue"),
            models.CheckConstraint(condition=Q(order__isnull=True) | Q(status__in=["locked", "used"]),
                                   name="coupon_order_only_when_locked_or_used"),
        ]

    def __str__(self) -> str:
        return self.code


class CouponHolding(models.Model):
    """How many coupons of a template a member has been given (claims and grants): the row that is
    locked while a claim checks the per-member limit."""

    template = models.ForeignKey(CouponTemplate, on_delete=models.CASCADE, related_name="holdings")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    issued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["template", "member"], name="uniq_coupon_holding")]
