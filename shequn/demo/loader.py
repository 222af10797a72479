"""Demo data: three stores, staff of every role, about 2,000 members and a year of
orders, check-ins, redemptions and expiry, through the real services so points, tiers
and ledgers come out as they would in a live store; a catalog of about 200 products
with the shop's channels (commerce.py, commerce_channels.py — older orders are written
in bulk there, see docs/commerce-demo.md).

Loading is all-or-nothing in one transaction and happens once: when the demo member
already exists, load_demo() changes nothing."""

import datetime as dt
import random
import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shequn.accounts.actors import member_actor, staff_actor
from shequn.accounts.models import StaffUser
from shequn.accounts.roles import ROLE_LABELS
from shequn.accounts.staff import ensure_staff
from shequn.analytics.transactions import backfill_from_orders as backfill_transactions
from shequn.commerce.groupbuy.models import Leader
from shequn.core import audit, outbox, pii
from shequn.core.actor import Actor
from shequn.loyalty import points as ledger
from shequn.loyalty import services as loyalty
from shequn.loyalty.errors import AlreadyCheckedIn
from shequn.loyalty.models import LoyaltyAccount, Tier, TierChange
from shequn.members.import_write import NewMember, insert_rows, write_members
from shequn.members.models import Consent, Member
from shequn.members.services import PRIVACY_NOTICE_VERSION
from shequn.stores.models import Store
from shequn.stores.services import create_store

from . import data
from .analytics import load_analytics
from .commerce import Shop
from .commerce_channels import attribute_referrals, load_channels
from .communities import load_communities
from .messaging import load_messaging
from .people import Person, link_referrals, make_people
from .plan import Event, Planner

SEED = 20261118
SYSTEM = Actor(kind="system", id="demo", label="demo loader")
console = Console()


def is_loaded() -> bool:
    return Member.objects.filter(phone_hash=pii.blind_index(data.DEMO_PHONE)).exists()


def load_demo(members: int = 2000, *, seed: int = SEED, show_progress: bool = True) -> bool:
    """Load the demo once; returns False (and changes nothing) when it is already there."""
    loyalty.ensure_default_tiers()
    loyalty.program()
    if is_loaded():
        console.print("演示数据已存在，跳过加载 (demo data already loaded).")
        return False
    started = time.perf_counter()
    rng = random.Random(seed)
    now = timezone.localtime().replace(microsecond=0)  # local, so opening hours come out right
    with _progress(show_progress) as progress, transaction.atomic():
        task = progress.add_task("门店、员工与会员 stores, staff, members", total=3)
        stores = _stores()
        staff = _staff()
        progress.advance(task)
        people = make_people(rng, max(0, members - 1), now, reserved={data.DEMO_PHONE})
        showcase = _showcase_person(now)
        people = _not_taken(sorted([*people, showcase], key=lambda p: p.joined_at))
        link_referrals(rng, people)
        progress.advance(task)
        ids = _create_members(people, stores, now)
        progress.advance(task)
        shop = Shop(random.Random(seed + 7), stores, now)
        products = shop.load_catalog()
        attribute_referrals(random.Random(seed + 8), ids, now)
        events = _plan(rng, people, showcase, ids, now)
        task = progress.add_task("一年的订单、签到与兑换 orders and activity", total=len(events))
        runner = _Runner(rng, ids, stores, shop)
        for event in events:
            runner.run(event)
            progress.advance(task)
        shop.finish_live()
        _finish(rng, ids, staff, runner)
        channels = load_channels(random.Random(seed + 9), shop, ids, staff, now)
        backfill_transactions()  # orders written in bulk skip the order hooks analytics listens to
        community = load_communities(random.Random(seed + 4), now)
        Member.objects.bulk_update(
            [Member(pk=pk, last_active_at=runner.last_active.get(pk, person.joined_at))
             for person, pk in zip(people, ids, strict=True)], ["last_active_at"], batch_size=500)
    insight = load_analytics(staff["hq"])
    inbox = load_messaging(staff["hq"], random.Random(seed + 11))
    console.print(f"演示数据已加载：{len(people)} 位会员，{products} 种商品，{shop.count} 笔订单，"
                  f"{len(events)} 条活动记录，{channels}，"
                  f"{community['groups']} 个社群，{community['events']} 条社群互动，{insight}，{inbox}，"
                  f"用时 {time.perf_counter() - started:.0f} 秒。")
    return True


def _progress(show: bool) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, disable=not show, transient=False)


def _plan(rng: random.Random, people: list[Person], showcase: Person, ids: list[int],
          now: dt.datetime) -> list[Event]:
    planner = Planner(rng, now, ZoneInfo(settings.TIME_ZONE), loyalty.program().member_day_of_month)
    numbers = dict(Member.objects.filter(pk__in=ids).values_list("pk", "member_no"))
    for index, person in enumerate(people):
        receipts = f"R{numbers[ids[index]]}"  # receipt numbers: R<member no>-001, -002 …
        if person is showcase:
            planner.plan_showcase(index, person, receipts)
        else:
            planner.plan_person(index, person, receipts)
    planner.expiries(people[0].joined_at)
    return planner.ordered()


def _stores() -> dict[str, Store]:
    stores = {}
    for code, name, city, address, _ in data.STORES:
        store = Store.objects.filter(code=code).first()
        stores[code] = store or create_store(SYSTEM, code=code, name=name, city=city, address=address)
    return stores


def _staff() -> dict[str, StaffUser]:
    users = {}
    for username, role, codes, display in data.STAFF:
        users[username], _ = ensure_staff(SYSTEM, username, role=role, store_codes=codes or None,
                                          password=data.PASSWORD, display_name=display)
    return users


def _showcase_person(now: dt.datetime) -> Person:
    spec = data.DEMO_MEMBER
    joined = (now - dt.timedelta(days=720)).replace(hour=15, minute=12, second=0)
    return Person(name=spec["name"], phone=data.DEMO_PHONE, gender=spec["gender"],
                  birthday=dt.date(*spec["birthday"]), store_code=spec["store"], joined_at=joined,
                  source="store", segment="gold", tags=list(spec["tags"]), external_id=spec["external_id"],
                  consents={"marketing": True, "profiling": True, "third_party": False})


def _not_taken(people: list[Person]) -> list[Person]:
    """Leave out anyone whose phone or external id already belongs to a member of this database."""
    hashes = {pii.blind_index(p.phone): p for p in people}
    taken = set(Member.objects.filter(phone_hash__in=list(hashes)).values_list("phone_hash", flat=True))
    external = set(Member.objects.filter(external_id__in=[p.external_id for p in people if p.external_id])
                   .values_list("external_id", flat=True))
    return [p for h, p in hashes.items() if h not in taken and p.external_id not in external]


def _create_members(people: list[Person], stores: dict[str, Store], now: dt.datetime) -> list[int]:
    """Members with their loyalty accounts, tags and consents, written in bulk as an import
    would write them, but keeping each member's source channel and joining date."""
    rows = [NewMember(line=i, phone=p.phone, name=p.name, birthday=p.birthday, gender=p.gender,
                      store_id=stores[p.store_code].pk, external_id=p.external_id, tags=p.tags,
                      joined_at=p.joined_at, source=p.source)
            for i, p in enumerate(people)]
    created = write_members(rows, actor=SYSTEM, now=now)
    ids = [pk for _, pk in created]
    for person, pk in zip(people, ids, strict=True):
        if person.referrer is not None:
            Member.objects.filter(pk=pk).update(referrer_id=ids[person.referrer])
    adapt = connection.ops.adapt_datetimefield_value
    insert_rows(Consent, ["member", "purpose", "granted", "notice_version", "source", "recorded_at"], [
        (pk, purpose, granted, PRIVACY_NOTICE_VERSION, "registration", adapt(person.joined_at))
        for person, pk in zip(people, ids, strict=True) for purpose, granted in person.consents.items()])
    summary = {"count": len(ids), "file": "demo", "first_member_no": created[0][0],
               "last_member_no": created[-1][0]}
    audit.record(SYSTEM, "members.imported", object_type="member", after=summary)
    outbox.emit("members.imported", "member", "", **summary)
    return ids


class _Runner:
    """Plays events in time order: purchases become shop orders (see commerce.py), the rest goes
    through the loyalty services."""

    def __init__(self, rng: random.Random, ids: list[int], stores: dict[str, Store], shop: Shop):
        self.rng, self.ids, self.shop = rng, ids, shop
        self.store_ids = {code: s.pk for code, s in stores.items()}
        self.tiers = dict(LoyaltyAccount.objects.filter(pk__in=ids).values_list("pk", "tier_id"))
        self.last_active: dict[int, dt.datetime] = {}

    def run(self, event: Event) -> None:
        if event.kind == "expire":
            ledger.expire_due(now=event.at)
            return
        member_id = self.ids[event.person]
        getattr(self, f"_{event.kind}")(member_id, event)
        self.last_active[member_id] = event.at

    def balance(self, member_id: int) -> int:
        return LoyaltyAccount.objects.filter(pk=member_id).values_list("points_balance", flat=True).get()

    def _purchase(self, member_id: int, event: Event) -> None:
        store_id = self.store_ids.get(event.store_code) or self.rng.choice(list(self.store_ids.values()))
        points = self._points_wanted(member_id) if event.pay_with_points else 0
        self.shop.purchase(member_id, store_id, event.at, event.amount_fen, points)
        tier_id = LoyaltyAccount.objects.filter(pk=member_id).values_list("tier_id", flat=True).get()
        if tier_id != self.tiers[member_id]:
            # The upgrade happened at this purchase; the service stamps it with the loading time.
            self.tiers[member_id] = tier_id
            latest = TierChange.objects.filter(member_id=member_id).order_by("-id").values_list("pk", flat=True)[:1]
            TierChange.objects.filter(pk__in=list(latest)).update(created_at=event.at)
            LoyaltyAccount.objects.filter(pk=member_id).update(tier_since=event.at)

    def _points_wanted(self, member_id: int) -> int:
        """积分抵现: members use some of their points as cash (the order caps it), keeping some back."""
        wanted = self.rng.choice([500, 1000, 1500, 2000, 3000])
        usable = min(self.balance(member_id), wanted) // 100 * 100
        return usable if usable >= 300 else 0

    def _gift(self, member_id: int, event: Event) -> None:
        balance = self.balance(member_id)
        affordable = [(gift, cost) for gift, cost in data.GIFTS if cost <= balance]
        if not affordable:
            return
        gift, cost = self.rng.choice(affordable[-3:])
        ledger.redeem(member_actor(member_id), member_id, cost, source="gift", reason=f"积分兑换：{gift}",
                      ref=f"gift:{event.at:%Y%m%d%H%M%S}", at=event.at)

    def _check_in(self, member_id: int, event: Event) -> None:
        try:
            loyalty.check_in(member_actor(member_id), member_id, now=event.at)
        except AlreadyCheckedIn:
            pass

    def _share(self, member_id: int, event: Event) -> None:
        loyalty.share(member_actor(member_id), member_id, now=event.at)


def _finish(rng: random.Random, ids: list[int], staff: dict[str, StaffUser], runner: _Runner) -> None:
    """What happens today: a few manual adjustments, a bulk grant, some refunds."""
    hq = staff_actor(staff["hq"])
    for reason, amount in data.ADJUSTMENTS:
        member_id = rng.choice(ids)
        if amount < 0 and runner.balance(member_id) < -amount:
            continue
        loyalty.adjust(hq, member_id, amount, reason=reason, ref=f"demo-adjust:{reason}")
    top_rank = Tier.objects.filter(code="gold").values_list("rank", flat=True).first()
    vip = list(LoyaltyAccount.objects.filter(pk__in=ids, tier__rank__gte=top_rank or 2)
               .values_list("pk", flat=True))
    if vip:
        grant, _ = loyalty.create_bulk_grant(hq, idempotency_key=data.BULK_GRANT["key"],
                                             points_each=data.BULK_GRANT["points"],
                                             reason=data.BULK_GRANT["reason"], member_ids=vip)
        loyalty.run_bulk_grant(grant.pk, hq)
    runner.shop.today(rng, ids, hq)


def print_logins(base_url: str) -> None:
    """Where to go and who to log in as."""
    base = base_url.rstrip("/")
    out = Console(width=max(Console().width, 110), soft_wrap=True)
    out.print()
    out.print("[bold]Shequn 社群 演示环境[/bold]")
    out.print(f"  运营后台 Console      {base}/console/")
    out.print(f"  会员页 Member pages   {base}/m/   （登录 {base}/m/login/）")
    out.print(f"  开发收件箱 Dev inbox  {base}/m/dev/inbox/   （演示模式下验证码显示在这里）")
    table = Table(title="员工登录 Staff logins", title_justify="left")
    for column in ("用户名 username", "角色 role", "门店 stores", "密码 password"):
        table.add_column(column)
    users = {u.username: u for u in StaffUser.objects.filter(username__in=[s[0] for s in data.STAFF])
             .prefetch_related("stores")}
    for username, role, _, display in data.STAFF:
        user = users.get(username)
        if user is None:
            continue
        stores = "、".join(s.name for s in user.stores.all()) or "全部门店"
        table.add_row(f"{username}  {display}", ROLE_LABELS.get(role, role), stores, data.PASSWORD)
    out.print(table)
    member = (Member.objects.filter(phone_hash=pii.blind_index(data.DEMO_PHONE))
              .select_related("loyalty__tier").first())
    if member is not None:
        tier = member.loyalty.tier.name
        balance = member.loyalty.points_balance
        out.print(f"  演示会员 Demo member  {data.DEMO_PHONE}（{member.name}，{tier}，{balance} 积分）："
                  f"在 {base}/m/login/ 输入手机号获取验证码")
    leader = (Leader.objects.filter(status=Leader.Status.ACTIVE).select_related("member", "pickup_point")
              .order_by("pk").first())
    if leader is not None:
        out.print(f"  团长 Group-buy leader {leader.member.phone}（{leader.member.name}，{leader.pickup_point.name}）："
                  f"登录后打开 {base}/m/leader/ 核销自提、查看佣金")
    out.print("  API 令牌 API token    .venv/bin/shequn create-api-token --username hq")
    out.print()

