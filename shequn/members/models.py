from django.db import models

from shequn.core import pii


class Tag(models.Model):
    """标签: a label operators put on members."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    """会员. The phone number is stored encrypted and found through its keyed hash."""

    class Gender(models.TextChoices):
        UNKNOWN = "unknown", "未知"
        MALE = "male", "男"
        FEMALE = "female", "女"

    class Source(models.TextChoices):
        STORE = "store", "门店"
        H5 = "h5", "会员页"
        MINI_PROGRAM = "mini_program", "小程序"
        WECOM = "wecom", "企业微信"
        REFERRAL = "referral", "推荐"
        IMPORT = "import", "导入"
        API = "api", "API"
        POS = "pos", "收银"

    member_no = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=64, blank=True)
    phone_encrypted = models.TextField(blank=True)
    phone_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    phone_masked = models.CharField(max_length=16, blank=True)
    gender = models.CharField(max_length=8, choices=Gender.choices, default=Gender.UNKNOWN)
    birthday = models.DateField(null=True, blank=True)
    home_store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="members")
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.STORE)
    referrer = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="referrals")
    external_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="members")
    joined_at = models.DateTimeField(db_index=True)
    last_active_at = models.DateTimeField(null=True, blank=True, db_index=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["home_store", "-id"], name="member_store_idx"),
                   models.Index(fields=["name"], name="member_name_idx")]

    def __str__(self) -> str:
        return f"{self.name or self.member_no} ({self.member_no})"

    @property
    def phone(self) -> str:
        """Decrypted phone. Reveal through members.services.reveal_phone to audit it."""
        return pii.decrypt(self.phone_encrypted)


class Consent(models.Model):
    """同意记录: one decision of a member for one purpose; the latest one counts."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", "营销触达"
        PROFILING = "profiling", "画像分析"
        THIRD_PARTY = "third_party", "第三方共享"

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    granted = models.BooleanField()
    notice_version = models.CharField(max_length=20)
    source = models.CharField(max_length=32, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["member", "purpose", "-id"], name="consent_latest_idx")]
