"""客群 (segments) and 规则标签 (rule tags). Declared here, imported by shequn.analytics.models so they belong
to the analytics app. Conditions are the JSON documented in docs/analytics-segments.md."""

from django.db import models


class Segment(models.Model):
    """客群: members matching a list of conditions, materialised on demand and nightly into SegmentMember."""

    name = models.CharField(max_length=60)
    description = models.CharField(max_length=300, blank=True)
    conditions = models.JSONField(default=list)
    # 门店范围: members whose home store is one of these; empty means every store (unscoped staff only).
    stores = models.ManyToManyField("stores.Store", blank=True, related_name="+")
    created_by = models.CharField(max_length=150, blank=True)
    member_count = models.IntegerField(null=True, blank=True)  # at the last materialisation
    materialised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """One member of a segment at its last materialisation (or event refresh)."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="rows")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "member"], name="uniq_segment_member")]
        indexes = [models.Index(fields=["member"], name="segment_member_member_idx")]


class TagRule(models.Model):
    """规则标签: the conditions that decide who carries a members.Tag. A tag with a rule is managed by the
    rule only: evaluating it adds the tag to matching members and removes it from everyone else."""

    tag = models.OneToOneField("members.Tag", on_delete=models.CASCADE, related_name="rule")
    conditions = models.JSONField(default=list)
    created_by = models.CharField(max_length=150, blank=True)
    member_count = models.IntegerField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
