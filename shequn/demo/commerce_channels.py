"""Demo channels on top of the shop, all through the channel apps' services: coupons (some used in
orders), group buy (leaders with pickup points, last week's campaign picked up with a paid commission
statement, this week's campaign running), team purchases (one complete team, one with 2 of 3 seats),
a flash sale starting tomorrow at 10:00, referrals (rewarded, pending and one held for review) and two
distributors with commissions and a withdrawal.

Times the services stamp with "now" are moved back to the planned moment afterwards, as in commerce.py."""

import datetime as dt
import random
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from shequn.accounts.actors import member_actor, staff_actor
from shequn.accounts.models import StaffUser
from shequn.commerce import orders, stock
from shequn.commerce.coupons import redemption
from shequn.commerce.coupons import services as coupons
from shequn.commerce.coupons.models import Coupon
from shequn.commerce.flash import services as flash
from shequn.commerce.groupbuy import campaigns, commissions, leaders, ordering, statements
from shequn.commerce.groupbuy.models import CommissionEntry, GroupBuyOrder, Leader
from shequn.commerce.models import Order, Sku
from shequn.commerce.referral import distribution
from shequn.commerce.referral import services as referral_services
from shequn.commerce.referral.models import Referral
from shequn.commerce.teams import services as teams
from shequn.core import pii
from shequn.core.actor import Actor
from shequn.members.models import Member

from . import data
from .commerce import CATALOG, Shop

SHANGHAI = ZoneInfo(settings.TIME_ZONE)
JOB = Actor(kind="system", id="demo-jobs", label="定时任务 (demo)")

LEADER_POINTS = {
    # store: [(point name, address, hours)]
    "SH-JA": [("江宁路小区团购点", "上海市静安区江宁路 585 弄 3 号门卫室旁", "每天 9:00-20:00"),
              ("武定路便利团购点", "上海市静安区武定路 1012 号 1 楼", "每天 8:00-21:00"),
              ("常德路社区团购点", "上海市静安区常德路 800 号物业服务中心", "周一至周六 10:00-19:00")],
    "HZ-XH": [("文一路团购自提点", "杭州市西湖区文一路 115 号快递驿站", "每天 9:00-21:00"),
              ("古墩路小区团购点", "杭州市西湖区古墩路 702 号 2 幢底商", "每天 10:00-20:00")],
    "CD-CX": [("红星路团购自提点", "成都市锦江区红星路三段 16 号社区服务站", "每天 9:00-20:30"),
              ("书院街邻里团购点", "成都市锦江区书院街 41 号 1 楼", "每天 9:30-20:00")],
}
LAST_WEEK_ITEMS = [("FR003-1", 2990, None), ("FR001-1", 2990, 2), ("BF001-1", 1790, 2), ("DN001-1", 3290, None)]
RUNNING_ITEMS = [("FR001-2", 5990, 2), ("GF001-1", 32900, 1), ("FR002-1", 790, None), ("BF002-1", 1090, 3),
                 ("DN002-1", 3690, None), ("GR001-1", 3290, 2)]


def _local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def attribute_referrals(rng: random.Random, member_ids: list[int], now: dt.datetime) -> int:
    """Members who joined in the last 25 days through a friend's link, attributed at signup (before their
    first order, so that order qualifies the referral). One comes from the referrer's own phone: held."""
    window = now - dt.timedelta(days=25)
    recent = list(Member.objects.filter(pk__in=member_ids, joined_at__gte=window).order_by("joined_at"))
    older = list(Member.objects.filter(pk__in=member_ids, joined_at__lt=window - dt.timedelta(days=60))
                 .values_list("pk", flat=True))
    if not recent or not older:
        return 0
    made = 0
    for index, referee in enumerate(recent):
        newest = index == len(recent) - 1
        if referee.referrer_id is None and not newest and rng.random() < 0.6:
            continue
        referrer = Member.objects.get(pk=referee.referrer_id or rng.choice(older))
        code = referral_services.code_for(referrer).code
        device = f"wx-{rng.getrandbits(48):012x}"
        if newest:  # the newest one signed up on the referrer's phone
            referral_services.see_device(referrer, device, at=referee.joined_at - dt.timedelta(days=3))
        referral_services.attribute(member_actor(referee.pk), referee=referee, code=code, device_id=device,
                                    ip=f"{rng.choice([58, 101, 112, 183])}.{rng.randint(1, 250)}.{rng.randint(1, 250)}."
                                       f"{rng.randint(2, 250)}",
                                    clicked_at=referee.joined_at - dt.timedelta(minutes=rng.randint(3, 90)),
                                    at=referee.joined_at)
        made += 1
    return made


class Channels:
    def __init__(self, rng: random.Random, shop: Shop, member_ids: list[int], staff: dict[str, StaffUser],
                 now: dt.datetime):
        self.rng, self.shop, self.now = rng, shop, now
        self.today = timezone.localtime(now).date()
        self.hq = staff_actor(staff["hq"])
        self.stores = shop.stores
        self.members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids).select_related("home_store")}
        self.showcase = Member.objects.filter(phone_hash=pii.blind_index(data.DEMO_PHONE), pk__in=member_ids).first()
        self.taken: set[int] = {self.showcase.pk} if self.showcase else set()

    def _pick(self, store_code: str | None = None, count: int = 1, *, keep: bool = True,
              avoid: set[int] = frozenset()) -> list[Member]:
        """Members of a store for a role (leader, distributor, team member: kept apart from other roles),
        or as buyers (`keep=False`: they may buy elsewhere too)."""
        pool = [m for pk, m in self.members.items() if pk not in self.taken and pk not in avoid
                and m.home_store is not None and (store_code is None or m.home_store.code == store_code)]
        chosen = self.rng.sample(pool, min(count, len(pool)))
        if keep:
            self.taken.update(m.pk for m in chosen)
        return chosen

    def _pay(self, order: Order, at: dt.datetime) -> Order:
        return self.shop.pay_now(order, at)

    # ------------------------------------------------------------------ coupons

    def coupons(self) -> dict[str, int]:
        hq, now, rng = self.hq, self.now, self.rng
        start = _local(self.today - dt.timedelta(days=20), 0)
        made = [
            coupons.create_template(hq, name="新人专享 满59减10", kind="threshold", amount_fen=1000, threshold_fen=5900,
                                    validity="days", valid_days=30, claimable=False, auto_issue="new_member",
                                    campaign="新人礼"),
            coupons.create_template(hq, name="会员日 满99减15", kind="threshold", amount_fen=1500, threshold_fen=9900,
                                    validity="window", valid_from=start, valid_until=_local(self.today, 0) +
                                    dt.timedelta(days=11), per_member_limit=2, total_quantity=3000,
                                    campaign="会员日"),
            coupons.create_template(hq, name="早餐立减5元", kind="fixed", amount_fen=500, scope="categories",
                                    categories=["早餐"], min_spend_fen=2000, validity="days", valid_days=14,
                                    campaign="早餐季"),
            coupons.create_template(hq, name="生鲜水果 9折券", kind="percent", percent=90, max_discount_fen=2000,
                                    scope="categories", categories=["生鲜水果"], validity="days", valid_days=7,
                                    stackable=True, campaign="鲜果节"),
            coupons.create_template(hq, name="金卡感恩 满199减30", kind="threshold", amount_fen=3000,
                                    threshold_fen=19900, validity="days", valid_days=30, claimable=False,
                                    campaign="年终感恩"),
            coupons.create_template(hq, name="周年庆 满99送鲜鸡蛋10枚", kind="free_item", free_sku_code="BF001-2",
                                    min_spend_fen=9900, validity="days", valid_days=15, per_member_limit=1,
                                    total_quantity=500, campaign="周年庆"),
        ]
        new_member, member_day, breakfast, fruit, vip, eggs = made
        claimers = [m for m in self.members.values() if rng.random() < 0.12 or m == self.showcase]
        for member in claimers:
            at = start + dt.timedelta(seconds=rng.randint(0, int((now - start).total_seconds()) - 4 * 3600))
            for template in rng.sample([member_day, breakfast, fruit, eggs], rng.choice([1, 1, 2, 3])):
                coupons.claim(member_actor(member.pk), template, member, at=at)
        recent = [m for m in self.members.values() if m.joined_at >= now - dt.timedelta(days=25)]
        for member in recent:
            coupons.issue_new_member(member, at=member.joined_at)
        gold = Member.objects.filter(pk__in=list(self.members), loyalty__tier__rank__gte=2)
        coupons.grant(self.hq, vip, list(gold), ref="demo-vip-thanks", at=now - dt.timedelta(days=2))
        used = self._use_coupons(claimers + recent)
        return {"templates": len(made), "issued": Coupon.objects.count(), "used": used}

    def _use_coupons(self, members: list[Member]) -> int:
        used = 0
        for member in self.rng.sample(members, min(30, len(members))):
            if member.home_store is None:
                continue
            tier_code, permille = self.shop.tier_of(member.pk)
            lines = self.shop.basket(self.rng.randint(10_000, 26_000), tier_code, permille, self.today.month)
            priced = redemption.lines_for(member, [{"sku": ln.item.code, "quantity": ln.quantity} for ln in lines])
            best, _ = redemption.best_for(member, priced)
            if not best:
                continue
            order = self.shop.place(member, member.home_store, lines, coupon_ids=[c.pk for c in best])
            paid_at = self._pay(order, self.now - dt.timedelta(minutes=self.rng.randint(20, 180))).paid_at
            Coupon.objects.filter(order=order).update(used_at=paid_at)
            used += len(best)
        return used

    # ------------------------------------------------------------------ group buy

    def group_buy(self) -> dict[str, int]:
        hq = self.hq
        active: list[Leader] = []
        pending = 0
        for store_code, points in LEADER_POINTS.items():
            for index, (name, address, hours) in enumerate(points):
                people = self._pick(store_code)
                if not people:
                    continue
                member = people[0]
                application = leaders.apply(member_actor(member.pk), member, point_name=name, address=address,
                                            hours=hours, store=self.stores[store_code],
                                            note="小区业主群 300+ 人，平时帮邻居代收快递")
                if store_code == "CD-CX" and index == len(points) - 1:
                    pending += 1  # waits for an operator
                    continue
                active.append(leaders.approve(hq, application))
        if not active:
            return {"leaders": 0}
        self._last_week(active)
        running = self._running(active)
        return {"leaders": len(active), "pending": pending, "running_orders": running}

    def _campaign(self, title: str, starts: dt.datetime, ends: dt.datetime, pickup: dt.date, items, *,
                  min_quantity: int = 0, rate: int = 80) -> campaigns.Campaign:
        campaign = campaigns.create_campaign(self.hq, title=title, starts_at=starts, ends_at=ends, pickup_date=pickup,
                                             commission_permille=rate, min_quantity=min_quantity,
                                             description="社区团长接龙，到点自提，坏果包赔。")
        for code, price, limit in items:
            sku = Sku.objects.get(code=code)
            campaigns.add_item(self.hq, campaign, sku=sku, group_price_fen=min(price, sku.price_fen - 10),
                               per_member_limit=limit)
            for leader_store in {ld.pickup_point.store for ld in Leader.objects.select_related("pickup_point__store")}:
                self._ensure_stock(sku, leader_store, 80)
        return campaigns.open_campaign(self.hq, campaign)

    def _ensure_stock(self, sku: Sku, store, quantity: int) -> None:
        level = sku.stock_levels.filter(store=store).first()
        if level is None or level.available < quantity:
            stock.receive(CATALOG, sku, store, quantity * 2, reason="团购备货")

    def _gb_orders(self, campaign, active: list[Leader], count: int, items) -> list[Order]:
        placed, bought = [], set()
        for _ in range(count):
            leader = self.rng.choice(active)
            store_code = leader.pickup_point.store.code
            buyers = (self._pick(store_code, keep=False, avoid=bought) or self._pick(keep=False, avoid=bought))
            if not buyers:
                break
            bought.add(buyers[0].pk)
            chosen = self.rng.sample(items, self.rng.randint(1, min(3, len(items))))
            wanted = [{"sku": code, "quantity": 1 if limit == 1 else self.rng.randint(1, 2)}
                      for code, _, limit in chosen]
            placed.append(ordering.place_groupbuy_order(member_actor(buyers[0].pk), campaign=campaign, leader=leader,
                                                        member=buyers[0], items=wanted))
        return placed

    def _last_week(self, active: list[Leader]) -> None:
        """Last week's campaign: closed, picked up, commission booked, the statement paid."""
        monday = self.today - dt.timedelta(days=self.today.weekday() + 7)
        now = self.now
        window_end = now + dt.timedelta(hours=1)  # dates are rewritten to last week's once the orders are in
        campaign = self._campaign("上周团购：阳光玫瑰、草莓与鲜鸡蛋", now - dt.timedelta(minutes=5), window_end,
                                  timezone.localtime(window_end).date(), LAST_WEEK_ITEMS, rate=80)
        placed = self._gb_orders(campaign, active, 24, LAST_WEEK_ITEMS)
        opened, closes = _local(monday, 9), _local(monday + dt.timedelta(days=2), 22)
        paid_times = []
        for order in placed:
            at = opened + dt.timedelta(seconds=self.rng.randint(0, int((closes - opened).total_seconds())))
            paid_times.append(at)
            self._pay(order, at)
        campaigns.close_campaign(self.hq, campaign, now=closes)
        campaigns.Campaign.objects.filter(pk=campaign.pk).update(starts_at=opened, ends_at=closes,
                                                                 pickup_date=monday + dt.timedelta(days=3),
                                                                 created_at=opened - dt.timedelta(days=1),
                                                                 closed_at=closes)
        for order in placed:
            if self.rng.random() < 0.08:
                continue  # never collected yet
            leader = GroupBuyOrder.objects.select_related("leader__pickup_point").get(order=order).leader
            commissions.verify_pickup_by_leader(member_actor(leader.member_id), leader, order.pickup_code)
            handed = _local(monday + dt.timedelta(days=self.rng.choice([3, 3, 4, 5])), self.rng.randint(9, 19),
                            self.rng.randint(0, 59))
            Order.objects.filter(pk=order.pk).update(fulfilled_at=handed)
            CommissionEntry.objects.filter(groupbuy_order__order=order).update(created_at=handed)
        orders.complete_due(now)
        for order in Order.objects.filter(pk__in=[o.pk for o in placed], status=Order.Status.COMPLETED):
            Order.objects.filter(pk=order.pk).update(completed_at=order.fulfilled_at + dt.timedelta(days=7))
        made = statements.generate(self.hq, period_start=monday, period_end=monday + dt.timedelta(days=6), now=now)
        for statement in made:
            statements.confirm(self.hq, statement)
        if made:
            payday = _local(self.today - dt.timedelta(days=self.today.weekday()), 15)
            statements.mark_paid(self.hq, made[0], reference=f"WXTRANSFER{monday:%Y%m%d}001",
                                 paid_at=min(payday, self.now - dt.timedelta(minutes=30)))

    def _running(self, active: list[Leader]) -> int:
        """This week's campaign: open until the day after tomorrow, pickup the day after."""
        starts = self.now - dt.timedelta(days=2, hours=3)
        ends = _local(self.today + dt.timedelta(days=2), 22)
        campaign = self._campaign("本周社区团购：丹东草莓、车厘子与东北大米", self.now - dt.timedelta(minutes=5), ends,
                                  self.today + dt.timedelta(days=3), RUNNING_ITEMS, min_quantity=60, rate=100)
        campaigns.Campaign.objects.filter(pk=campaign.pk).update(starts_at=starts,
                                                                 created_at=starts - dt.timedelta(hours=20))
        placed = self._gb_orders(campaign, active, 36, RUNNING_ITEMS)
        near = [ld for ld in active if self.showcase and ld.pickup_point.store_id == self.showcase.home_store_id]
        if near:  # the demo member bought too: an order waiting at a leader's pickup point
            mine = ordering.place_groupbuy_order(member_actor(self.showcase.pk), campaign=campaign, leader=near[0],
                                                 member=self.showcase, items=[{"sku": "FR001-2", "quantity": 1},
                                                                              {"sku": "FR002-1", "quantity": 2}])
            self._pay(mine, self.now - dt.timedelta(hours=20))
        for order in placed[:-3]:  # the last three are still waiting for payment
            self._pay(order, starts + dt.timedelta(seconds=self.rng.randint(0, int((self.now - starts)
                                                                                    .total_seconds()) - 600)))
        return len(placed)

    # ------------------------------------------------------------------ team purchase and flash sale

    def team_purchase(self) -> dict[str, int]:
        store = self.stores["SH-JA"]
        sku = Sku.objects.get(code="FR003-1")
        self._ensure_stock(sku, store, 30)
        deal = teams.create_deal(self.hq, title="3人拼团：阳光玫瑰葡萄 1kg", sku=sku, store=store, team_price_fen=2590,
                                 team_size=3, hours=24, starts_at=self.now - dt.timedelta(days=3),
                                 ends_at=self.now + dt.timedelta(days=7))
        people = self._pick("SH-JA", 5)
        if len(people) < 5:
            return {"teams": 0}
        full = self._seat(teams.open_team(member_actor(people[0].pk), deal, people[0], now=self._ago(300)), 298)
        for member, minutes in zip(people[1:3], (200, 130), strict=True):
            self._seat(teams.join_team(member_actor(member.pk), full.team, member, now=self._ago(minutes)), minutes - 2)
        waiting = self._seat(teams.open_team(member_actor(people[3].pk), deal, people[3], now=self._ago(90)), 88)
        self._seat(teams.join_team(member_actor(people[4].pk), waiting.team, people[4], now=self._ago(40)), 37)
        return {"teams": 2}

    def _ago(self, minutes: int) -> dt.datetime:
        return self.now - dt.timedelta(minutes=minutes)

    def _seat(self, seat, minutes_ago: int):
        self._pay(seat.order, self._ago(minutes_ago))
        return seat

    def flash_sale(self) -> int:
        store = self.stores["SH-JA"]
        sku = Sku.objects.get(code="GF001-1")
        self._ensure_stock(sku, store, 50)
        tomorrow = self.today + dt.timedelta(days=1)
        sale = flash.create_sale(self.hq, title="明早10点秒杀：智利车厘子 JJ级 2.5kg", sku=sku, store=store,
                                 flash_price_fen=19900, quantity=50, starts_at=_local(tomorrow, 10),
                                 ends_at=_local(tomorrow, 12), per_member_limit=1)
        return sale.pk

    # ------------------------------------------------------------------ referral and distribution

    def referrals(self) -> dict[str, int]:
        self._first_order_of_a_referred_friend()
        released = referral_services.release_due(self.now)
        return {"rewarded": released}

    def _first_order_of_a_referred_friend(self) -> None:
        """Whether a referred member happened to buy in the planned year depends on the day the demo is
        loaded; make sure one pending referral gets its first paid order (qualified, and rewarded once the
        hold period has passed) so the referral report always shows the whole path."""
        if Referral.objects.filter(status__in=[Referral.Status.QUALIFIED, Referral.Status.REWARDED]).exists():
            return
        pending = (Referral.objects.filter(status=Referral.Status.PENDING, referee__orders__isnull=True)
                   .select_related("referee__home_store").order_by("referee__joined_at").first())
        if pending is None:
            return
        friend = pending.referee
        tier_code, permille = self.shop.tier_of(friend.pk)
        lines = self.shop.basket(self.rng.randint(5_000, 15_000), tier_code, permille, self.today.month)
        order = self.shop.place(friend, friend.home_store, lines)
        self._pay(order, max(friend.joined_at + dt.timedelta(hours=2), self.now - dt.timedelta(days=8)))

    def distributors(self) -> int:
        distribution.configure(self.hq, level_rates_permille=[50, 20], min_withdrawal_fen=1000)
        people = self._pick("HZ-XH", 2) or self._pick(None, 2)
        if len(people) < 2:
            return 0
        first = distribution.apply(member_actor(people[0].pk), people[0], note="宝妈群群主，常分享好物")
        first = distribution.decide(self.hq, first.pk, approve=True)
        second = distribution.apply(member_actor(people[1].pk), people[1], upline=first, note="朋友推荐加入")
        distribution.decide(self.hq, second.pk, approve=True)
        buyers = self._pick("HZ-XH", 10, keep=False) or self._pick(None, 10, keep=False)
        for index, buyer in enumerate(buyers):
            referrer = people[index % 2]
            tier_code, permille = self.shop.tier_of(buyer.pk)
            lines = self.shop.basket(self.rng.randint(8_000, 30_000), tier_code, permille, self.today.month)
            order = self.shop.place(buyer, buyer.home_store, lines, referrer=referrer)
            at = self.now - dt.timedelta(days=self.rng.randint(9, 20), hours=self.rng.randint(0, 10))
            self._pay(order, at)
            if index < 7:
                orders.verify_pickup(JOB, code=order.pickup_code, store=order.store)
                Order.objects.filter(pk=order.pk).update(fulfilled_at=at + dt.timedelta(hours=5))
        orders.complete_due(self.now)
        for order in Order.objects.filter(referrer__in=people, status=Order.Status.COMPLETED):
            Order.objects.filter(pk=order.pk).update(completed_at=order.fulfilled_at + dt.timedelta(days=7))
        first.refresh_from_db()
        if first.available_fen >= 1000:
            withdrawal = distribution.request_withdrawal(member_actor(people[0].pk), first, first.available_fen // 2)
            distribution.decide_withdrawal(self.hq, withdrawal.pk, approve=True, reference="WXPAY-DEMO-0001")
        return 2


def load_channels(rng: random.Random, shop: Shop, member_ids: list[int], staff: dict[str, StaffUser],
                  now: dt.datetime) -> str:
    channels = Channels(rng, shop, member_ids, staff, now)
    used = channels.coupons()
    group = channels.group_buy()
    team = channels.team_purchase()
    channels.flash_sale()
    distributors = channels.distributors()
    rewarded = channels.referrals()
    return (f"{used['templates']} 种优惠券（已用 {used['used']} 张），{group.get('leaders', 0)} 位团长，"
            f"{team.get('teams', 0)} 个拼团，1 场秒杀，{distributors} 位分销员，{rewarded['rewarded']} 笔推荐奖励")
