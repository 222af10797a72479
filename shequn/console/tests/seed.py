"""A small, realistic-looking data set for screenshots: three stores, members spread
over the tiers, and thirty days of points issued, redeemed and expired."""

import datetime as dt
import random

from django.utils import timezone

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
         "超", "秀兰", "霞", "平", "刚", "桂英", "婷", "雪", "慧", "佳怡", "子涵", "欣怡", "浩然", "宇轩", "梓萱",
         "思远", "雨桐", "一鸣", "晓燕", "建华", "文博", "嘉怡", "俊杰"]
STORES = [("SH01", "上海静安店", "上海"), ("HZ01", "杭州西湖店", "杭州"), ("CD01", "成都春熙路店", "成都")]
PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "156",
            "157", "158", "159", "176", "177", "180", "181", "182", "185", "186", "187", "188", "189", "199"]
TIER_SHARE = [("basic", 62), ("silver", 24), ("gold", 11), ("diamond", 3)]


def seed(actor, members: int = 180, seed_value: int = 7) -> dict:
    from shequn.loyalty import services
    from shequn.loyalty.program import program
    from shequn.loyalty.selectors import account
    from shequn.members.services import create_member
    from shequn.stores.models import Store

    rng = random.Random(seed_value)
    services.ensure_default_tiers()
    stores = [Store.objects.get_or_create(code=c, defaults={"name": n, "city": city})[0] for c, n, city in STORES]
    now = timezone.now()
    prog = program()
    prog.member_day_of_month, prog.member_day_weekday = None, None
    prog.expiry_days = 12
    tiers = [code for code, share in TIER_SHARE for _ in range(share)]
    made = []
    for n in range(members):
        joined = now - dt.timedelta(days=rng.choice([rng.randint(0, 6), rng.randint(7, 720)]))
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"{rng.choice(PREFIXES)}{rng.randint(10_000_000, 99_999_999)}"
        member = create_member(actor, phone=phone, name=name, store=stores[n % 3], joined_at=joined,
                               source="store")
        tier = rng.choice(tiers)
        if tier != "basic":
            services.set_tier(actor, member.pk, tier, "历史等级迁移")
        made.append(member)
    for day in range(29, -1, -1):
        at = now - dt.timedelta(days=day, hours=rng.randint(0, 8))
        # Points from the first week's promotion are only valid for twelve days.
        prog.expiry_policy = "rolling_days" if day >= 23 else "end_of_next_year"
        prog.save()
        for member in rng.sample(made, rng.randint(15, 30) + (10 if day % 7 == 5 else 0)):
            services.earn(actor, member.pk, rng.choice([20, 50, 80, 120, 200, 350]), source="purchase",
                          reason="消费得积分", at=at)
        for member in rng.sample(made, rng.randint(8, 20)):
            have = account(member.pk).points_balance
            if have >= 50:
                services.redeem(actor, member.pk, min(have, rng.choice([50, 100, 200, 300])),
                                reason="兑换礼品", at=at + dt.timedelta(minutes=30))
        services.expire_due(now=at + dt.timedelta(hours=1))
    prog.expiry_policy = "end_of_next_year"
    prog.save()
    return {"stores": stores, "members": made}
