"""拼团: a deal (SKU at a team price for teams of N within T hours), the teams members open, and their seats."""

from django.db import models
from django.db.models import F, Q


class TeamDeal(models.Model):
    """拼团活动: a SKU sold at `team_price_fen` to teams of `team_size` that fill within `hours`."""

    class Status(models.TextChoices):
        ACTIVE = "active", "进行中"
        PAUSED = "paused", "已暂停"

    title = models.CharField(max_length=60)
    sku = models.ForeignKey("commerce.Sku", on_delete=models.PROTECT, related_name="team_deals")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="team_deals")  # stock, pickup
    team_price_fen = models.PositiveIntegerField()
    team_size = models.PositiveSmallIntegerField()
    hours = models.PositiveSmallIntegerField()  # a team must fill within this many hours of opening
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()  # no new teams after this; open teams run to their own deadline
    per_member_limit = models.PositiveSmallIntegerField(default=1)  # units per member in this deal
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(team_price_fen__gt=0), name="team_price_positive"),
            models.CheckConstraint(condition=Q(team_size__gte=2) & Q(team_size__lte=50), name="team_size_2_50"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="team_deal_window"),
        ]

    def __str__(self) -> str:
        return self.title


class Team(models.Model):
    """团: opened by its leader (团长, the first buyer); complete when `size` seats are paid, failed at
    `expires_at` otherwise. `seats_taken` counts held and paid seats and never exceeds `size`."""

    class Status(models.TextChoices):
        FORMING = "forming", "拼团中"
        COMPLETE = "complete", "已成团"
        FAILED = "failed", "未成团"

    deal = models.ForeignKey(TeamDeal, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField(max_length=16, unique=True)  # the share link /m/team/<code>/
    leader = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="led_teams")
    size = models.PositiveSmallIntegerField()
    seats_taken = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.FORMING)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]
        constraints = [models.CheckConstraint(condition=Q(seats_taken__lte=F("size")), name="team_never_over_size")]

    def __str__(self) -> str:
        return self.code


class TeamSeat(models.Model):
    """A member's place in a team and the order that pays for it.

    held (order unpaid) → paid → confirmed (team complete) | refunded (team failed or order refunded);
    held → released (order cancelled unpaid)."""

    class Status(models.TextChoices):
        HELD = "held", "待付款"
        PAID = "paid", "已付款"
        CONFIRMED = "confirmed", "已成团"
        REFUNDED = "refunded", "已退款"
        RELEASED = "released", "已释放"

    ACTIVE = (Status.HELD, Status.PAID, Status.CONFIRMED)

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="seats")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="team_seats")
    order = models.OneToOneField("commerce.Order", on_delete=models.PROTECT, related_name="team_seat")
    quantity = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    refund_no = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["team", "member"], condition=Q(status__in=["held", "paid",
                                                                                                  "confirmed"]),
                                               name="one_active_seat_per_member")]


class TeamBuyer(models.Model):
    """How many units a member holds through a deal (active seats); kept under the per-member limit."""

    deal = models.ForeignKey(TeamDeal, on_delete=models.CASCADE, related_name="buyers")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    units = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deal", "member"], name="uniq_team_buyer")]
