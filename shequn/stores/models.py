from django.db import models


class Store(models.Model):
    """门店: a physical store; members have a home store, staff are scoped to stores."""

    class Kind(models.TextChoices):
        STORE = "store", "门店"
        WAREHOUSE = "warehouse", "仓库"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.STORE)
    city = models.CharField(max_length=64, blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    address = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PickupPoint(models.Model):
    """自提点: where members collect group-buy orders — a leader's shop front, a compound gate, a store.

    Stock for its orders is drawn from `store` (the store or warehouse that supplies it)."""

    name = models.CharField(max_length=60)
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="pickup_points")
    address = models.CharField(max_length=200)
    hours = models.CharField(max_length=60, blank=True)  # e.g. 每天 9:00-20:00
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
