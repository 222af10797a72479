"""Customer intelligence. Every purchase the analytics see is a Transaction: native orders (written when
they are paid or refunded) and imported history alike, so both count exactly the same."""

from django.db import models


class Transaction(models.Model):
    """交易: one purchase (positive amount) or refund (negative amount) of a member."""

    class Source(models.TextChoices):
        ORDER = "order", "商城订单"
        REFUND = "refund", "商城退款"
        IMPORT = "import", "历史导入"

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="transactions")
    occurred_at = models.DateTimeField()
    amount_fen = models.BigIntegerField()  # negative for refunds
    quantity = models.IntegerField(default=1)
    order_no = models.CharField(max_length=64, blank=True)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sku = models.CharField(max_length=40, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    source_ref = models.CharField(max_length=80)  # unique per source: re-importing or replaying changes nothing
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "source_ref"], name="uniq_transaction_source_ref")]
        indexes = [models.Index(fields=["member", "occurred_at"]), models.Index(fields=["occurred_at"]),
                   models.Index(fields=["store", "occurred_at"])]
