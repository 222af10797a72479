"""社群: groups and their members, rules, entry codes, activation, red packets, events and health."""

from django.db import models
from django.db.models import Q


class Dimension(models.Model):
    """A column of the community matrix: how groups are cut (region/store, interest, tier, lifecycle …)."""

    class Kind(models.TextChoices):
        REGION = "region", "区域/门店"
        INTEREST = "interest", "兴趣"
        TIER = "tier", "会员等级"
        LIFECYCLE = "lifecycle", "生命周期"
        OTHER = "other", "其他"

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=50)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.OTHER)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """社群. member_count is the cached number of current members; it never exceeds capacity."""

    MAX_CAPACITY = 500

    class Status(models.TextChoices):
        ACTIVE = "active", "运营中"
        ARCHIVED = "archived", "已归档"

    name = models.CharField(max_length=60)
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="groups")
    dimension = models.ForeignKey(Dimension, null=True, blank=True, on_delete=models.SET_NULL, related_name="groups")
    capacity = models.PositiveSmallIntegerField(default=200)
    member_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    external_chat_id = models.CharField(max_length=100, blank=True, db_index=True)  # WeCom chat id
    topic_calendar = models.JSONField(default=dict, blank=True)  # {"0": "周一早餐分享", ...} weekday → topic
    description = models.CharField(max_length=200, blank=True)
    overflow_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="overflows")
    created_at = models.DateTimeField(auto_now_add=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(member_count__lte=models.F("capacity")), name="group_within_capacity"),
            models.CheckConstraint(condition=Q(capacity__gte=1, capacity__lte=500), name="group_capacity_range"),
        ]

    def __str__(self) -> str:
        return self.name


class GroupRules(models.Model):
    """群规: versioned; members accept the current version when they join."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="rules_versions")
    version = models.PositiveIntegerField()
    text = models.TextField()
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["group", "version"], name="rules_version_uniq")]


class Membership(models.Model):
    """A member in a group, with a role; a left membership keeps left_at and the reason."""

    class Role(models.TextChoices):
        OWNER = "owner", "群主"
        ADMIN = "admin", "管理员"
        KOL = "kol", "KOL"
        MEMBER = "member", "成员"

    class LeaveReason(models.TextChoices):
        LEFT = "left", "主动退群"
        ADS = "ads", "发广告"
        POACHING = "poaching", "挖人/拉客"
        SPAM = "spam", "刷屏"
        INACTIVITY = "inactivity", "长期不活跃"
        MERGED = "merged", "合并群"
        PROMOTED = "promoted", "升入其他群"
        BLACKLISTED = "blacklisted", "拉黑"
        OTHER = "other", "其他"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    is_seed = models.BooleanField(default=False)  # 种子用户
    rules_version = models.PositiveIntegerField(null=True, blank=True)
    invited_by = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    entry_code = models.ForeignKey("EntryCode", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    leave_reason = models.CharField(max_length=12, choices=LeaveReason.choices, blank=True)
    leave_note = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "member"], condition=Q(left_at__isnull=True),
                                               name="one_current_membership")]
        indexes = [models.Index(fields=["group", "left_at"], name="membership_group_idx"),
                   models.Index(fields=["member", "left_at"], name="membership_member_idx")]


class Blacklist(models.Model):
    """Members barred from every group of the retailer."""

    member = models.OneToOneField("members.Member", on_delete=models.CASCADE, related_name="community_blacklist")
    reason = models.CharField(max_length=200)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)


class ViolationReport(models.Model):
    """A member reports another for breaking the rules; a valid report earns points."""

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        VALID = "valid", "属实"
        INVALID = "invalid", "不属实"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    offender = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=12, choices=Membership.LeaveReason.choices)
    note = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    reviewed_by = models.CharField(max_length=150, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    points_entry_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class EntryCode(models.Model):
    """活码: one QR that routes each scanning member to a group with room."""

    class Overflow(models.TextChoices):
        REJECT = "reject", "满员时拒绝"
        CREATE = "create", "满员时自动建新群"

    class Routing(models.TextChoices):
        ORDER = "order", "按顺序"
        ATTRIBUTES = "attributes", "按会员门店/等级"

    code = models.CharField(max_length=24, unique=True)
    name = models.CharField(max_length=60)
    overflow = models.CharField(max_length=8, choices=Overflow.choices, default=Overflow.REJECT)
    routing = models.CharField(max_length=12, choices=Routing.choices, default=Routing.ORDER)
    groups = models.ManyToManyField(Group, through="EntryCodeGroup", related_name="entry_codes")
    is_active = models.BooleanField(default=True)
    overflow_count = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class EntryCodeGroup(models.Model):
    entry_code = models.ForeignKey(EntryCode, on_delete=models.CASCADE, related_name="slots")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=0)
    # Attribute routing: only members of this store / tier go here (blank = anyone).
    store = models.ForeignKey("stores.Store", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tier_code = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["entry_code", "group"], name="entry_code_group_uniq")]


class InviteLink(models.Model):
    """A seed user's or KOL's personal invite link; joins through it count as theirs."""

    code = models.CharField(max_length=24, unique=True)
    inviter = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="invite_links")
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="invite_links")
    created_at = models.DateTimeField(auto_now_add=True)


class Post(models.Model):
    """Content in a group: text, image, link, product card, poll, Q&A question or topic challenge."""

    class Kind(models.TextChoices):
        TEXT = "text", "文字"
        IMAGE = "image", "图片"
        LINK = "link", "链接"
        PRODUCT = "product", "商品卡片"
        POLL = "poll", "投票"
        QUESTION = "question", "问答"
        CHALLENGE = "challenge", "话题挑战"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="posts")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.TEXT)
    title = models.CharField(max_length=100, blank=True)
    body = models.TextField(blank=True)
    url = models.URLField(blank=True)
    image_url = models.CharField(max_length=300, blank=True)
    product_ref = models.CharField(max_length=64, blank=True)
    author_member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    author_staff = models.CharField(max_length=150, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True, db_index=True)
    answered_at = models.DateTimeField(null=True, blank=True)  # questions: first admin answer
    answered_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["group", "-published_at"], name="post_group_idx")]


class Reply(models.Model):
    """A reply to a post: an answer, a challenge entry or a comment."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="replies")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    staff = models.CharField(max_length=150, blank=True)
    body = models.TextField()
    is_answer = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)


class Poll(models.Model):
    post = models.OneToOneField(Post, on_delete=models.CASCADE, related_name="poll")
    multiple = models.BooleanField(default=False)
    deadline = models.DateTimeField()


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    text = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]


class PollVote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["option", "member"], name="one_vote_per_option")]


class Activity(models.Model):
    """An online or in-store activity with signup, capacity and QR check-in at the venue."""

    class Kind(models.TextChoices):
        ONLINE = "online", "线上"
        IN_STORE = "in_store", "到店"

    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="activities")
    store = models.ForeignKey("stores.Store", on_delete=models.PROTECT, related_name="activities")
    title = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IN_STORE)
    location = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField(default=30)
    signup_count = models.PositiveIntegerField(default=0)
    checkin_token = models.CharField(max_length=32, unique=True)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_at"]
        constraints = [models.CheckConstraint(condition=Q(signup_count__lte=models.F("capacity")),
                                              name="activity_within_capacity")]


class ActivitySignup(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    signed_up_at = models.DateTimeField(auto_now_add=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["activity", "member"], name="one_signup")]


class RedPacket(models.Model):
    """红包: total_fen split over count shares (fixed or random 拼手气); one grab per member."""

    class Mode(models.TextChoices):
        FIXED = "fixed", "普通红包"
        RANDOM = "random", "拼手气红包"

    class Status(models.TextChoices):
        OPEN = "open", "可领取"
        EMPTY = "empty", "已领完"
        EXPIRED = "expired", "已过期"

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="red_packets")
    mode = models.CharField(max_length=8, choices=Mode.choices)
    total_fen = models.PositiveIntegerField()
    count = models.PositiveIntegerField()
    remaining_fen = models.PositiveIntegerField()
    remaining_count = models.PositiveIntegerField()
    greeting = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    refunded_fen = models.PositiveIntegerField(default=0)
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(remaining_fen__lte=models.F("total_fen")), name="rp_remaining_le_total"),
            models.CheckConstraint(condition=Q(total_fen__gte=models.F("count")), name="rp_at_least_1_fen_a_share"),
        ]


class RedPacketGrab(models.Model):
    red_packet = models.ForeignKey(RedPacket, on_delete=models.CASCADE, related_name="grabs")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    amount_fen = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["red_packet", "member"], name="one_grab_per_member")]


class GroupCost(models.Model):
    """Money a group costs (red packets out, remainders back): a ledger per group."""

    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="costs")
    kind = models.CharField(max_length=20)  # red_packet, red_packet_refund, activity …
    amount_fen = models.IntegerField()  # positive = spent, negative = returned
    ref = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "ref"], name="group_cost_ref_uniq")]


class GroupEvent(models.Model):
    """An interaction in a group, ingested once by (source, event_id)."""

    class Kind(models.TextChoices):
        MESSAGE = "message", "发言"
        REPLY = "reply", "回复"
        REACTION = "reaction", "点赞/表情"
        POLL_VOTE = "poll_vote", "投票"
        ACTIVITY_SIGNUP = "activity_signup", "活动报名"
        ACTIVITY_CHECKIN = "activity_checkin", "活动签到"
        RED_PACKET_GRAB = "red_packet_grab", "抢红包"
        JOIN = "join", "入群"
        LEAVE = "leave", "退群"
        ORDER = "order", "下单"
        REFUND = "refund", "退款"

    source = models.CharField(max_length=16)  # h5, api, wecom, system
    event_id = models.CharField(max_length=100)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="events")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    occurred_at = models.DateTimeField()
    by_admin = models.BooleanField(default=False)
    amount_fen = models.BigIntegerField(default=0)  # orders: attributed sales
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="group_event_once")]
        indexes = [models.Index(fields=["group", "occurred_at"], name="group_event_time_idx"),
                   models.Index(fields=["member", "occurred_at"], name="group_event_member_idx")]


class GroupDailyMetric(models.Model):
    """One group's health for one local day (recomputed idempotently from events)."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="daily_metrics")
    day = models.DateField()
    members = models.PositiveIntegerField(default=0)
    joins = models.PositiveIntegerField(default=0)
    leaves = models.PositiveIntegerField(default=0)
    active_members_7d = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    interactions = models.PositiveIntegerField(default=0)
    answer_seconds_avg = models.PositiveIntegerField(null=True, blank=True)
    orders = models.PositiveIntegerField(default=0)
    sales_fen = models.BigIntegerField(default=0)
    red_packet_fen = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="group_day_uniq")]


class Suggestion(models.Model):
    """A change the system proposes; an operator accepts or rejects it (audited)."""

    class Kind(models.TextChoices):
        PROMOTE = "promote", "升入VIP群"
        REMOVE_FREELOADER = "remove_freeloader", "清理潜水/羊毛党"
        MERGE_GROUPS = "merge_groups", "合并小群"
        REVIVE_DEAD = "revive_dead", "激活沉寂群"

    class Status(models.TextChoices):
        PENDING = "pending", "待处理"
        ACCEPTED = "accepted", "已采纳"
        REJECTED = "rejected", "已忽略"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="suggestions")
    member = models.ForeignKey("members.Member", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    target_group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
