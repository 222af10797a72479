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
        # (occurred_at, member, amount_fen) covers a window's spend per member without reading the table.
        indexes = [models.Index(fields=["member", "occurred_at"]),
                   models.Index(fields=["occurred_at", "member", "amount_fen"], name="transaction_window_idx"),
                   models.Index(fields=["store", "occurred_at"])]


class ClvRun(models.Model):
    """客户终身价值测算: one fit of BG/NBD + Gamma-Gamma on the transactions up to a calibration end.
    α is in `time_unit`; γ (`gg_v`) is in yuan."""

    class TimeUnit(models.TextChoices):
        DAY = "day", "天"
        WEEK = "week", "周"

    calibration_end = models.DateField()
    time_unit = models.CharField(max_length=4, choices=TimeUnit.choices)
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    customers = models.IntegerField()
    r = models.FloatField()
    alpha = models.FloatField()
    a = models.FloatField()
    b = models.FloatField()
    log_likelihood = models.FloatField()
    gg_p = models.FloatField()
    gg_q = models.FloatField()
    gg_v = models.FloatField()
    gg_customers = models.IntegerField()
    gg_log_likelihood = models.FloatField()
    excluded_zero_monetary = models.IntegerField(default=0)
    horizon_days = models.IntegerField(default=90)
    monthly_discount_rate = models.FloatField(default=0.01)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["store", "-created_at"])]


class MemberValue(models.Model):
    """会员价值: one member's scores in a ClvRun. Recency and T are in the run's time unit; money in fen."""

    class ChurnRisk(models.TextChoices):
        LOW = "low", "稳定"
        MEDIUM = "medium", "有流失风险"
        HIGH = "high", "高流失风险"

    run = models.ForeignKey(ClvRun, on_delete=models.CASCADE, related_name="values")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    frequency = models.IntegerField()
    recency = models.FloatField()
    age = models.FloatField()  # T
    days_since_last = models.IntegerField()
    monetary_fen = models.BigIntegerField()  # mean of the repeat purchase days
    p_alive = models.FloatField()
    expected_purchases = models.FloatField()  # in the run's horizon_days
    expected_avg_spend_fen = models.BigIntegerField()
    clv_12m_fen = models.BigIntegerField()
    churn_risk = models.CharField(max_length=6, choices=ChurnRisk.choices)
    value_decile = models.SmallIntegerField(null=True)  # 1 = the top tenth of the run by clv_12m_fen … 10

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "member"], name="uniq_member_value_run_member")]
        indexes = [models.Index(fields=["run", "churn_risk", "-clv_12m_fen"])]


class RfmRun(models.Model):
    """RFM 分析批次: members scored on the transactions up to `as_of` (a local calendar day), overall
    (`store` empty) or among one home store's members. Scores live in RfmScore; movement between runs is
    computed by comparing a run with the latest earlier run of the same scope."""

    as_of = models.DateField()
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    engine = models.CharField(max_length=12)
    time_zone = models.CharField(max_length=64)
    members = models.IntegerField()  # how many members were scored
    created_at = models.DateTimeField(auto_now_add=True)  # when the scores were (last) computed

    class Meta:
        indexes = [models.Index(fields=["store", "-as_of", "-created_at"])]
        constraints = [  # one run per day and scope: re-running a day replaces its scores
            models.UniqueConstraint(fields=["as_of", "store"], condition=models.Q(store__isnull=False),
                                    name="uniq_rfm_run_store_day"),
            models.UniqueConstraint(fields=["as_of"], condition=models.Q(store__isnull=True),
                                    name="uniq_rfm_run_overall_day"),
        ]


class RfmScore(models.Model):
    """One member's RFM scores (1–5 quintiles) and named cell in an RfmRun; money in fen."""

    run = models.ForeignKey(RfmRun, on_delete=models.CASCADE, related_name="scores")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    recency_days = models.IntegerField()
    frequency = models.IntegerField()
    monetary_fen = models.BigIntegerField()
    r_score = models.SmallIntegerField()
    f_score = models.SmallIntegerField()
    m_score = models.SmallIntegerField()
    fm_score = models.SmallIntegerField()
    cell = models.CharField(max_length=20)  # a key of rfm.CELLS

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "member"], name="uniq_rfm_score_run_member")]
        # (run, cell, spend): cell counts and sums from the index alone, a cell's members page by page in order
        indexes = [models.Index(fields=["run", "cell", "-monetary_fen", "member"], name="rfm_score_run_cell_spend"),
                   models.Index(fields=["member", "run"])]


from .segments.models import Segment, SegmentMember, TagRule  # noqa: E402,F401  (客群 and rule tags)


class Holdout(models.Model):
    """对照组: one randomised split of a campaign's target list into members who get it and members kept out
    (held out), so the campaign's effect can be measured against them. A campaign is named by kind and id (a
    coupon template today; messaging campaigns later); `ref` is the batch (a grant reference)."""

    class CampaignKind(models.TextChoices):
        COUPON = "coupon", "优惠券"

    campaign_kind = models.CharField(max_length=16, choices=CampaignKind.choices)
    campaign_id = models.PositiveBigIntegerField()
    ref = models.CharField(max_length=80)
    percent = models.PositiveSmallIntegerField()  # share of the target held out, 1–50
    started_at = models.DateTimeField()  # when the treated members were reached
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign_kind", "campaign_id", "ref"],
                                               name="uniq_holdout_campaign_ref")]
        indexes = [models.Index(fields=["campaign_kind", "campaign_id"])]


class HoldoutAssignment(models.Model):
    """One target member's arm in a Holdout: held out (not reached) or treated (reached)."""

    holdout = models.ForeignKey(Holdout, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    held_out = models.BooleanField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["holdout", "member"], name="uniq_holdout_assignment")]
        indexes = [models.Index(fields=["holdout", "held_out"])]
