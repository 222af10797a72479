"""Demo community matrix: about 30 groups for the demo stores with 90 days of life in them.

Groups, rules, admins, entry codes, posts, polls, activities and red packets go through the
communities services; the bulk of the history (memberships and interaction events) is written
in bulk, with the same deterministic event ids a re-run would produce."""

import datetime as dt
import random
from dataclasses import dataclass

from django.db.models import Count

from shequn.communities import services
from shequn.communities.models import (
    Activity,
    ActivitySignup,
    Dimension,
    Group,
    GroupEvent,
    Membership,
    Post,
    RedPacket,
    RedPacketGrab,
)
from shequn.core.actor import Actor
from shequn.members.models import Member
from shequn.stores.models import Store

from . import data

OPERATOR = Actor(kind="system", id="demo-operator", label="社群运营 (demo)")
DAYS = 90

DIMENSIONS = [
    ("region", "区域/门店", Dimension.Kind.REGION),
    ("interest", "兴趣", Dimension.Kind.INTEREST),
    ("tier", "会员等级", Dimension.Kind.TIER),
    ("lifecycle", "生命周期", Dimension.Kind.LIFECYCLE),
]

RULES = """1. 本群为{store}会员交流群，欢迎分享生活与购物心得，友善交流、互相尊重。
2. 禁止发布广告、二维码、拉人进其他群（挖人），违者移出并拉黑。
3. 请勿刷屏；晚 22:00 后请减少消息，避免打扰群友。
4. 商品与售后问题请 @管理员，工作时间内 30 分钟内回复。
5. 群内红包与活动仅限本群会员参与，每人每个红包限领一次。
6. 发现违规可通过会员中心「举报违规」，核实属实奖励 20 积分。"""


@dataclass(frozen=True)
class GroupPlan:
    suffix: str  # appended to the store's short name
    dimension: str
    capacity: int
    fill: float  # share of the capacity that is filled
    liveliness: float  # messages per average member per day
    description: str
    dead_for: int = 0  # days without activity at the end


PLANS = [
    GroupPlan("店1群", "region", 200, 0.97, 0.10, "门店会员交流、每日上新与到店福利"),
    GroupPlan("店2群", "region", 200, 0.62, 0.07, "门店会员交流、每日上新与到店福利"),
    GroupPlan("店3群", "region", 200, 0.08, 0.02, "门店会员交流（新开）", dead_for=40),
    GroupPlan("宝妈群", "interest", 300, 0.45, 0.16, "育儿心得、亲子活动与母婴好物分享"),
    GroupPlan("咖啡爱好者", "interest", 150, 0.55, 0.12, "手冲、豆子与咖啡器具交流，每周品鉴会"),
    GroupPlan("健身打卡", "interest", 100, 0.35, 0.20, "每日运动打卡，互相监督"),
    GroupPlan("金卡VIP群", "tier", 100, 0.60, 0.08, "金卡及以上会员专属：新品优先试用、专属折扣"),
    GroupPlan("新人群", "lifecycle", 200, 0.40, 0.05, "新会员入门：积分、等级与门店服务指南"),
    GroupPlan("种子用户群", "lifecycle", 50, 0.60, 0.14, "种子用户共创新品与活动"),
    GroupPlan("团长群", "lifecycle", 30, 0.13, 0.01, "社区团长接龙与团购对接", dead_for=25),
]

SHORT = {"SH-JA": "静安", "HZ-XH": "西湖", "CD-CX": "春熙"}

# Relative weight of each local hour: lunch and the evening 19–22h on weekdays; a flatter day at weekends.
WEEKDAY_HOURS = [0, 0, 0, 0, 0, 0, 1, 3, 5, 4, 3, 4, 9, 8, 4, 3, 3, 4, 6, 12, 14, 13, 10, 4]
WEEKEND_HOURS = [1, 0, 0, 0, 0, 0, 0, 1, 3, 6, 8, 9, 9, 8, 8, 8, 7, 6, 7, 10, 11, 10, 7, 3]

MESSAGES = ["今天店里的新品好看吗？", "求推荐适合送礼的", "打卡！", "周末有活动吗", "收到啦，谢谢管理员",
            "这个多少积分可以换？", "昨天买的很好用", "有一起去的吗", "👍", "下单了"]

POSTS = [
    ("text", "本周上新", "本周门店上新 20 款秋冬单品，会员到店出示会员码享 95 折。"),
    ("image", "门店新陈列", "新陈列已完成，欢迎到店打卡拍照。"),
    ("link", "会员日攻略", "一文看懂本月会员日玩法。"),
    ("product", "群友专享：精品挂耳咖啡", "群内专享价，每人限购 2 盒。"),
    ("challenge", "#晒出你的周末早餐#", "周日晚 8 点前晒图，点赞前三名各得 100 积分。"),
]
QUESTIONS = [("会员日是每月几号？", "每月 18 日是会员日，全场积分双倍。"),
             ("积分会过期吗？", "积分有效期 12 个月，按获得顺序先到期先扣。")]


def load_communities(rng: random.Random, now: dt.datetime) -> dict:
    """Create the demo matrix once; a second run finds the groups and adds nothing."""
    if Group.objects.exists():
        return {"groups": 0, "events": 0}
    dimensions = {code: services.create_dimension(OPERATOR, code=code, name=name, kind=kind, sort=i)
                  for i, (code, name, kind) in enumerate(DIMENSIONS)}
    stores = {s.code: s for s in Store.objects.filter(code__in=SHORT)}
    showcase = Member.objects.filter(phone_hash=_showcase_hash()).first()
    groups: list[tuple[Group, GroupPlan]] = []
    events: list[GroupEvent] = []
    for code, store in stores.items():
        pool = list(Member.objects.filter(home_store=store).exclude(pk=getattr(showcase, "pk", None))
                    .values_list("pk", flat=True))
        rng.shuffle(pool)
        admins = list(Member.objects.filter(pk__in=pool[:3]))
        for plan in PLANS:
            group = services.create_group(
                OPERATOR, name=f"{SHORT[code]}{plan.suffix}", store=store, capacity=plan.capacity,
                dimension=dimensions[plan.dimension], description=plan.description,
                rules_text=RULES.format(store=store.name),
                admins=admins[:2] if plan.suffix != "团长群" else admins[2:3],
                topic_calendar={"0": "周一上新", "2": "周三问答", "4": "周五晒单", "6": "周日早餐挑战"})
            Group.objects.filter(pk=group.pk).update(created_at=now - dt.timedelta(days=DAYS + 60))
            groups.append((group, plan))
            _seat_members(rng, group, plan, pool, now)
    if showcase is not None:
        home = [(g, p) for g, p in groups if g.store_id == showcase.home_store_id] or groups
        for group, _plan in [(g, p) for g, p in home if p.suffix in ("店1群", "宝妈群")]:  # seats are kept free
            services.join_group(OPERATOR, group, showcase, accepted_rules_version=None, source="demo")
    for group, plan in groups:
        events += _history(rng, group, plan, now)
    GroupEvent.objects.bulk_create(events, batch_size=2000, ignore_conflicts=True)
    _seeds_and_kols(rng, groups)
    _entry_codes(groups)
    _content(rng, groups, now)
    _activities(rng, groups, stores, now)
    _red_packets(rng, groups, now)
    metrics, suggestions = _health(now)
    return {"groups": len(groups), "events": GroupEvent.objects.count(), "metrics": metrics,
            "suggestions": suggestions}


def _showcase_hash() -> str:
    from shequn.core import pii

    return pii.blind_index(data.DEMO_PHONE)


def _seat_members(rng: random.Random, group: Group, plan: GroupPlan, pool: list[int], now: dt.datetime) -> None:
    """Bulk memberships joined over the last 90 days (a few left again); member_count follows."""
    seated = set(Membership.objects.filter(group=group).values_list("member_id", flat=True))
    # Leave two seats in the showcase's groups and room below capacity so nothing is exactly full by accident.
    want = max(0, min(int(plan.capacity * plan.fill), plan.capacity - 3) - len(seated))
    chosen = [pk for pk in rng.sample(pool, min(len(pool), want + len(seated))) if pk not in seated][:want]
    rows = []
    for pk in chosen:
        joined = now - dt.timedelta(days=rng.uniform(1, DAYS + 60) if rng.random() < 0.5 else rng.uniform(1, DAYS),
                                    minutes=rng.randint(0, 600))
        rows.append(Membership(group=group, member_id=pk, joined_at=joined, rules_version=1))
    for left in rng.sample(range(len(rows)), k=len(rows) // 20):
        rows[left].left_at = rows[left].joined_at + dt.timedelta(days=rng.uniform(1, 20))
        rows[left].leave_reason = rng.choice(["left", "left", "left", "ads", "inactivity"])
        if rows[left].left_at >= now:
            rows[left].left_at, rows[left].leave_reason = None, ""
    Membership.objects.bulk_create(rows, batch_size=1000)
    current = Membership.objects.filter(group=group, left_at__isnull=True).count()
    Group.objects.filter(pk=group.pk).update(member_count=current)


def _hour(rng: random.Random, day: dt.datetime) -> int:
    weights = WEEKEND_HOURS if day.weekday() >= 5 else WEEKDAY_HOURS
    return rng.choices(range(24), weights=weights)[0]


def _history(rng: random.Random, group: Group, plan: GroupPlan, now: dt.datetime) -> list[GroupEvent]:
    """Joins, leaves, messages, replies and reactions with daily and weekly rhythms."""
    memberships = list(Membership.objects.filter(group=group).values("pk", "member_id", "joined_at", "left_at",
                                                                     "role"))
    start = now - dt.timedelta(days=DAYS)
    events = []

    def add(kind, key, member_id, at, by_admin=False, payload=None):
        events.append(GroupEvent(source="demo", event_id=f"{kind}:{group.pk}:{key}", group=group,
                                 member_id=member_id, kind=kind, occurred_at=at, by_admin=by_admin,
                                 payload=payload or {}))

    joined_by_service = set(GroupEvent.objects.filter(group=group, kind="join").values_list("member_id", flat=True))
    for m in memberships:
        if m["joined_at"] >= start and m["member_id"] not in joined_by_service:
            add("join", m["pk"], m["member_id"], m["joined_at"], payload={"via": "entry_code"})
        if m["left_at"]:
            add("leave", m["pk"], m["member_id"], m["left_at"])
    # Each member's own appetite for chatting; about one in eight never says a word (lurkers and freeloaders).
    appetite = {m["member_id"]: (0 if rng.random() < 0.12 else rng.lognormvariate(0, 0.9)) for m in memberships}
    admin_ids = {m["member_id"] for m in memberships if m["role"] in ("owner", "admin")}
    for day_index in range(DAYS):
        day = (start + dt.timedelta(days=day_index)).replace(hour=0, minute=0, second=0)
        if plan.dead_for and day_index >= DAYS - plan.dead_for:
            continue
        weekend_factor = 0.8 if day.weekday() >= 5 else 1.0
        present = [m for m in memberships
                   if m["joined_at"] <= day and (m["left_at"] is None or m["left_at"] > day)]
        for m in present:
            rate = plan.liveliness * appetite[m["member_id"]] * weekend_factor
            if m["member_id"] in admin_ids:
                rate = max(rate, 0.8)
            count = _poisson(rng, rate)
            for n in range(count):
                at = day + dt.timedelta(hours=_hour(rng, day), minutes=rng.randint(0, 59), seconds=rng.randint(0, 59))
                if at >= now:
                    continue
                kind = rng.choices(["message", "reply", "reaction"], weights=[6, 2, 3])[0]
                add(kind, f"{day_index}:{m['member_id']}:{n}", m["member_id"], at,
                    by_admin=m["member_id"] in admin_ids,
                    payload={"text": rng.choice(MESSAGES)} if kind == "message" else None)
    return events


def _poisson(rng: random.Random, rate: float) -> int:
    if rate <= 0:
        return 0
    count, threshold, product = 0, pow(2.718281828, -rate), rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _seeds_and_kols(rng: random.Random, groups) -> None:
    """Two seed users and a KOL per lively group, each with an invite link that brought in members."""
    for group, plan in groups:
        if plan.dead_for:
            continue
        present = Membership.objects.filter(group=group, left_at__isnull=True).values("member_id")
        talkers = list(GroupEvent.objects.filter(group=group, kind="message", by_admin=False, member_id__in=present)
                       .values("member_id").annotate(n=Count("id")).order_by("-n", "member_id")[:3])
        for i, row in enumerate(talkers):
            member = Member.objects.get(pk=row["member_id"])
            if i == 0:
                services.set_role(OPERATOR, group, member, "kol")
            else:
                services.mark_seed(OPERATOR, group, member, True)
            services.create_invite_link(OPERATOR, member, group)
            invited = list(Membership.objects.filter(group=group, invited_by__isnull=True, role="member")
                           .exclude(member=member).order_by("joined_at").values_list("pk", flat=True))
            picks = rng.sample(invited, min(len(invited), rng.randint(3, 12)))
            Membership.objects.filter(pk__in=picks).update(invited_by=member)


def _entry_codes(groups) -> None:
    by_name = {g.name: g for g, _p in groups}
    for short, overflow in (("静安", "create"), ("西湖", "reject"), ("春熙", "reject")):
        services.create_entry_code(OPERATOR, name=f"{short}店收银台活码",
                                   group_ids=[by_name[f"{short}店1群"].pk, by_name[f"{short}店2群"].pk],
                                   overflow=overflow)
        services.create_entry_code(OPERATOR, name=f"{short}新会员活码", group_ids=[by_name[f"{short}新人群"].pk])


def _backdate_post(post: Post, at: dt.datetime) -> None:
    Post.objects.filter(pk=post.pk).update(published_at=at, created_at=at)


def _content(rng: random.Random, groups, now: dt.datetime) -> None:
    for index, (group, plan) in enumerate(groups):
        if plan.dead_for:
            continue
        for n, (kind, title, body) in enumerate(rng.sample(POSTS, 3)):
            post = services.publish_post(
                OPERATOR, group, kind=kind, title=title, body=body,
                url="https://example.com/member-day" if kind == "link" else "",
                image_url=f"https://picsum.photos/seed/shequn-{group.pk * 10 + n}/600/360" if kind == "image" else "",
                product_ref="SKU-COFFEE-DRIP-10" if kind == "product" else "")
            _backdate_post(post, now - dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 10)))
        question, answer = QUESTIONS[index % len(QUESTIONS)]
        asker = Membership.objects.filter(group=group, left_at__isnull=True, role="member").first()
        post = services.publish_post(OPERATOR, group, kind="question", body=question,
                                     author_member=asker.member if asker else None)
        asked = now - dt.timedelta(days=2, hours=rng.randint(1, 8))
        _backdate_post(post, asked)
        services.reply_to_post(OPERATOR, post, body=answer, staff_label="店长")
        Post.objects.filter(pk=post.pk).update(answered_at=asked + dt.timedelta(minutes=rng.randint(5, 90)))
    _polls(rng, groups, now)


def _polls(rng: random.Random, groups, now: dt.datetime) -> None:
    lively = [g for g, p in groups if p.suffix in ("宝妈群", "咖啡爱好者")][:2]
    specs = [("下次亲子活动想做什么？", ["亲子烘焙", "绘本共读", "户外野餐"], False),
             ("你最喜欢哪种咖啡豆？", ["埃塞俄比亚", "哥伦比亚", "云南保山", "都喜欢"], True)]
    for group, (title, options, multiple) in zip(lively, specs, strict=True):
        poll = services.create_poll(OPERATOR, group, title=title, options=options, multiple=multiple,
                                    deadline=now + dt.timedelta(days=3))
        option_ids = list(poll.options.values_list("pk", flat=True))
        voters = Membership.objects.filter(group=group, left_at__isnull=True).values_list("member_id", flat=True)
        for member in Member.objects.filter(pk__in=list(voters)[:40]):
            chosen = rng.sample(option_ids, rng.randint(1, 2)) if multiple else [rng.choice(option_ids)]
            services.vote(OPERATOR, poll, member, chosen)
        _backdate_post(poll.post, now - dt.timedelta(days=1))


def _activities(rng: random.Random, groups, stores, now: dt.datetime) -> None:
    """Per store one past in-store activity (signed up, most checked in) and one coming up."""
    by_store = {}
    for group, plan in groups:
        if plan.suffix in ("宝妈群", "咖啡爱好者"):
            by_store.setdefault(group.store_id, []).append(group)
    for store in stores.values():
        for n, group in enumerate(by_store.get(store.pk, [])):
            title = "亲子烘焙课" if "宝妈" in group.name else "周末咖啡品鉴会"
            starts = now + dt.timedelta(days=2 + n, hours=2)
            activity = services.create_activity(OPERATOR, store=store, group=group, title=title, starts_at=starts,
                                                ends_at=starts + dt.timedelta(hours=2), capacity=20,
                                                location=f"{store.name}活动区",
                                                description="名额有限，报名后到店扫码签到")
            members = Member.objects.filter(group_memberships__group=group, group_memberships__left_at__isnull=True,
                                            group_memberships__role="member")[:24]
            for member in list(members)[: rng.randint(8, 16)]:
                services.sign_up(OPERATOR, activity, member)
            if n == 0:  # this one happened last week: move it back and record who came
                past = now - dt.timedelta(days=6, hours=3)
                Activity.objects.filter(pk=activity.pk).update(title=f"{title}（上期）", starts_at=past,
                                                               ends_at=past + dt.timedelta(hours=2))
                signups = list(ActivitySignup.objects.filter(activity=activity))
                came = [s for s in signups if rng.random() < 0.75]
                signed_up, arrived = past - dt.timedelta(days=2), past + dt.timedelta(minutes=10)
                ActivitySignup.objects.filter(pk__in=[s.pk for s in signups]).update(signed_up_at=signed_up)
                ActivitySignup.objects.filter(pk__in=[s.pk for s in came]).update(checked_in_at=arrived)
                GroupEvent.objects.filter(event_id__in=[f"activity_signup:{s.pk}" for s in signups]).update(
                    occurred_at=signed_up)
                GroupEvent.objects.bulk_create([
                    GroupEvent(source="demo", event_id=f"activity_checkin:{s.pk}", group=group, member_id=s.member_id,
                               kind="activity_checkin", occurred_at=arrived,
                               payload={"activity_id": activity.pk}) for s in came], ignore_conflicts=True)


def _red_packets(rng: random.Random, groups, now: dt.datetime) -> None:
    """Weekly red packets in the store groups (history, fully grabbed) and one open packet today.
    Some members only ever grab red packets: the freeloaders the suggestions should find."""
    for group, plan in groups:
        if plan.dimension != "region" or plan.dead_for:
            continue
        current = list(Member.objects.filter(group_memberships__group=group, group_memberships__left_at__isnull=True)
                       .order_by("pk"))
        talkers = set(GroupEvent.objects.filter(group=group, kind__in=["message", "reply", "reaction"])
                      .values_list("member_id", flat=True))
        silent = [m for m in current if m.pk not in talkers]
        for week in range(1, 9):
            sent = (now - dt.timedelta(weeks=week)).replace(hour=20, minute=0, second=0)
            grabbers = rng.sample(silent, min(len(silent), 6)) + rng.sample(current, min(len(current), 6))
            grabbers = list({m.pk: m for m in grabbers}.values())
            if not grabbers:
                continue
            packet = services.create_red_packet(OPERATOR, group, total_fen=len(grabbers) * rng.choice([88, 100, 166]),
                                                count=len(grabbers), mode="random", greeting="周五晚八点红包雨")
            for member in grabbers:
                services.grab_red_packet(OPERATOR, packet.pk, member)
            RedPacket.objects.filter(pk=packet.pk).update(created_at=sent, expires_at=sent + dt.timedelta(hours=24))
            grabs = list(RedPacketGrab.objects.filter(red_packet=packet).values_list("pk", flat=True))
            RedPacketGrab.objects.filter(pk__in=grabs).update(created_at=sent + dt.timedelta(minutes=1))
            GroupEvent.objects.filter(event_id__in=[f"rp_grab:{pk}" for pk in grabs]).update(
                occurred_at=sent + dt.timedelta(minutes=1))
        services.create_red_packet(OPERATOR, group, total_fen=2000, count=20, mode="random", greeting="会员日红包")


def _health(now: dt.datetime) -> tuple[int, int]:
    """Daily metrics for the 90 days and today's suggestions, through the health services."""
    from shequn.communities import health, suggestions

    today = health.local_today(now)
    metrics = sum(health.compute_daily_metrics(today - dt.timedelta(days=back)) for back in range(DAYS, -1, -1))
    return metrics, suggestions.generate_suggestions(now)

