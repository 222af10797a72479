from django.db import models


class Store(models.Model):
    """门店: a physical store; members have a home store, staff are scoped to stores."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
    city = models.CharField(max_length=64, blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    address = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
