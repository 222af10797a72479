from django.db import models


class Tier(models.Model):
    """会员等级. A member qualifies when any configured threshold is met over the
    rolling window (spend, order count or growth value; never the points balance)."""

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=30)
    rank = models.PositiveSmallIntegerField(unique=True)
    min_spend_fen = models.BigIntegerField(null=True, blank=True)
    min_orders = models.PositiveIntegerField(null=True, blank=True)
    min_growth = models.PositiveIntegerField(null=True, blank=True)
    discount_permille = models.PositiveSmallIntegerField(default=1000)  # 950 = 95折
    points_multiplier_pct = models.PositiveSmallIntegerField(default=100)  # 150 = ×1.5
    birthday_gift = models.CharField(max_length=100, blank=True)
    birthday_points = models.PositiveIntegerField(default=0)
    exclusive_service = models.BooleanField(default=False)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class LoyaltyProgram(models.Model):
    """积分规则: the retailer's points and tier settings (one row)."""

    class Expiry(models.TextChoices):
        END_OF_NEXT_YEAR = "end_of_next_year", "次年年底过期"
        ROLLING_DAYS = "rolling_days", "获得后 N 天过期"
        NEVER = "never", "永不过期"

    points_per_yuan = models.PositiveIntegerField(default=1)
    expiry_policy = models.CharField(max_length=20, choices=Expiry.choices, default=Expiry.END_OF_NEXT_YEAR)
    expiry_days = models.PositiveIntegerField(default=365)
    checkin_points = models.PositiveIntegerField(default=5)
    # {"3": 10, "7": 30}: extra points on reaching that streak day (repeats each cycle of the max).
    checkin_streak_bonus = models.JSONField(default=dict, blank=True)
    share_points = models.PositiveIntegerField(default=2)
    share_daily_cap = models.PositiveIntegerField(default=3)
    member_day_weekday = models.PositiveSmallIntegerField(null=True, blank=True)  # 0 = Monday
    member_day_of_month = models.PositiveSmallIntegerField(null=True, blank=True)
    member_day_multiplier_pct = models.PositiveSmallIntegerField(default=200)
    birthday_month_multiplier_pct = models.PositiveSmallIntegerField(default=200)
    growth_per_yuan = models.PositiveIntegerField(default=1)
    tier_window_days = models.PositiveIntegerField(default=365)
    downgrade_grace_days = models.PositiveIntegerField(default=30)
    points_per_yuan_offset = models.PositiveIntegerField(default=100)  # 100 points = ¥1 off
    offset_cap_pct = models.PositiveSmallIntegerField(default=50)
    updated_at = models.DateTimeField(auto_now=True)


class LoyaltyAccount(models.Model):
    """A member's tier and cached points balance (the sum of their ledger)."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, primary_key=True,
                                  related_name="loyalty")
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="accounts")
    tier_since = models.DateTimeField()
    downgrade_due_at = models.DateTimeField(null=True, blank=True)
    points_balance = models.BigIntegerField(default=0)
    points_earned_total = models.BigIntegerField(default=0)
    checkin_streak = models.PositiveIntegerField(default=0)
    last_checkin_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(points_balance__gte=0),
                                              name="points_balance_non_negative")]


class PointsEntry(models.Model):
    """积分流水: append-only. points is signed; balance_after is the running balance."""

    class Kind(models.TextChoices):
        EARN = "earn", "获得"
        REDEEM = "redeem", "兑换"
        EXPIRE = "expire", "过期"
        REVERSE = "reverse", "冲正"
        ADJUST = "adjust", "调整"

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    points = models.BigIntegerField()
    balance_after = models.BigIntegerField()
    source = models.CharField(max_length=24)  # purchase, check_in, share, manual, gift, cash_offset …
    ref = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="reversals")
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "-id"], name="points_member_idx")]
        constraints = [
            # One entry per (member, source, ref): replays of the same business event add nothing.
            models.UniqueConstraint(fields=["member", "source", "ref"], condition=~models.Q(ref=""),
                                    name="points_entry_ref_uniq"),
        ]


class PointsLot(models.Model):
    """Earned points that expire together; redemptions consume lots FIFO by expiry."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="points_lots")
    entry = models.OneToOneField(PointsEntry, on_delete=models.PROTECT, related_name="lot")
    points = models.BigIntegerField()
    remaining = models.BigIntegerField()
    earned_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["member", "expires_at"], name="lot_member_expiry_idx"),
                   models.Index(fields=["expires_at"], name="lot_expiry_idx",
                                condition=models.Q(remaining__gt=0))]
        constraints = [models.CheckConstraint(condition=models.Q(remaining__gte=0),
                                              name="lot_remaining_non_negative")]


class Purchase(models.Model):
    """A purchase as loyalty sees it: spend and order count toward the tier.
    A refund is a row with a negative amount pointing at the purchase it refunds."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="purchases")
    amount_fen = models.BigIntegerField()
    growth = models.BigIntegerField(default=0)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=24, default="pos")
    ref = models.CharField(max_length=100)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.SET_NULL)
    refund_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "ref"], name="purchase_ref_uniq")]
        indexes = [models.Index(fields=["member", "occurred_at"], name="purchase_member_time_idx")]


class TierChange(models.Model):
    """Every tier change, with its reason."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, null=True, on_delete=models.PROTECT, related_name="+")
    to_tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    actor_label = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]


class CheckIn(models.Model):
    """签到: once per member per local day."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="checkins")
    local_date = models.DateField()
    streak = models.PositiveIntegerField()
    points = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "local_date"], name="checkin_once_a_day")]


class BulkGrant(models.Model):
    """A points grant to many members, run as one resumable job."""

    class Status(models.TextChoices):
        PENDING = "pending", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    idempotency_key = models.CharField(max_length=200, unique=True)
    fingerprint = models.CharField(max_length=64)  # what was asked: points, reason, members
    points = models.PositiveIntegerField()
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    total = models.PositiveIntegerField(default=0)
    granted = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]


class BulkGrantItem(models.Model):
    grant = models.ForeignKey(BulkGrant, on_delete=models.CASCADE, related_name="items")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    entry = models.ForeignKey(PointsEntry, null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grant", "member"], name="bulk_item_uniq")]
