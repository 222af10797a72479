"""秒杀: a limited allotment of one SKU at a flash price in a time window, with a per-member limit."""

from django.db import models
from django.db.models import F, Q


class FlashSale(models.Model):
    """秒杀活动. `remaining` is the allotment not yet taken by orders; it only comes back when an unpaid
    order is cancelled (a refund does not put units back on sale)."""

    class Status(models.TextChoices):
        ACTIVE = "active", "有效"
        CANCELLED = "cancelled", "已取消"

    title = models.CharField(max_length=60)
    sku = models.ForeignKey("commerce.Sku", on_delete=models.PROTECT, related_name="flash_sales")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="flash_sales")  # stock
    flash_price_fen = models.PositiveIntegerField()
    quantity = models.PositiveIntegerField()
    remaining = models.IntegerField()
    per_member_limit = models.PositiveSmallIntegerField(default=1)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(flash_price_fen__gt=0), name="flash_price_positive"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="flash_quantity_positive"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=F("quantity")),
                                   name="flash_remaining_within_quantity"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="flash_window"),
        ]

    def __str__(self) -> str:
        return self.title


class FlashBuyer(models.Model):
    """How many units one member holds in a sale (orders not cancelled); never above the sale's limit."""

    sale = models.ForeignKey(FlashSale, on_delete=models.CASCADE, related_name="buyers")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    bought = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sale", "member"], name="uniq_flash_buyer")]


class FlashOrder(models.Model):
    """One order placed through a sale, with the units it took from the allotment."""

    sale = models.ForeignKey(FlashSale, on_delete=models.PROTECT, related_name="orders")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("commerce.Order", on_delete=models.PROTECT, related_name="flash_order")
    quantity = models.PositiveSmallIntegerField()
    cancelled = models.BooleanField(default=False)  # unpaid and cancelled: units went back to the sale
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
