"""What demo members do over their history, as a time-ordered list of events:
purchases (some paid partly with points), check-in streaks, shares, gift
redemptions and the yearly points expiry. Amounts follow the member's segment:
most spend a little, a few spend a lot."""

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from .people import Person

YEAR = dt.timedelta(days=365)
WINDOW_DAYS = 360  # purchases in the tier window stay inside it with room to spare
MIN_FEN = 590


@dataclass(order=True)
class Event:
    at: dt.datetime
    seq: int
    kind: str = field(compare=False)  # purchase, check_in, share, gift, expire
    person: int = field(compare=False, default=-1)
    amount_fen: int = field(compare=False, default=0)
    ref: str = field(compare=False, default="")
    store_code: str = field(compare=False, default="")
    pay_with_points: bool = field(compare=False, default=False)


def _recent_spend(rng: random.Random, segment: str) -> tuple[int, int]:
    """Orders and total spend (fen) over the last year. Tiers need either the spend or
    the order count (银卡 ¥1,000 or 6 orders, 金卡 ¥5,000, 钻石 ¥20,000), so most
    members shop a few times for little and a few spend a lot."""
    if segment == "basic":
        orders = rng.choices(range(5), weights=[38, 37, 15, 6, 4])[0]
        return orders, min(95_000, sum(_lognormal(rng, 6_800, 0.55) for _ in range(orders)))
    if segment == "silver":
        if rng.random() < 0.15:
            return rng.randint(6, 7), rng.randint(40_000, 95_000)
        return rng.randint(1, 3), rng.randint(105_000, 450_000)
    if segment == "gold":
        return rng.randint(3, 6), rng.randint(520_000, 1_800_000)
    return rng.randint(4, 9), rng.randint(2_050_000, 4_500_000)


def _older_orders(rng: random.Random, segment: str) -> int:
    """Receipts from before the last year: they no longer count for the tier, and their
    points expire at the end of the following year."""
    return rng.choice({"basic": [0, 0, 1], "silver": [0, 1], "gold": [1, 1, 2], "diamond": [1, 2, 2]}[segment])


def _lognormal(rng: random.Random, median_fen: int, sigma: float) -> int:
    return max(MIN_FEN, int(median_fen * math.exp(rng.gauss(0, sigma))))


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """Split a spend over `parts` receipts with uneven, price-like amounts (multiples of ¥0.10)."""
    weights = [math.exp(rng.gauss(0, 0.5)) for _ in range(parts)]
    scale = total / sum(weights)
    return [max(MIN_FEN, int(w * scale) // 10 * 10) for w in weights]


def _moment(rng: random.Random, start: dt.datetime, end: dt.datetime, tz: ZoneInfo,
            member_day: int | None = None) -> dt.datetime:
    """A time between start and end during opening hours; now and then on the member day."""
    span = max(0.0, (end - start).total_seconds())
    at = (start + dt.timedelta(seconds=rng.random() * span)).astimezone(tz)
    if member_day and rng.random() < 0.1 and at.day != member_day:
        shifted = at.replace(day=member_day) if at.day > member_day else at
        if start <= shifted <= end:
            at = shifted
    at = at.replace(hour=rng.randint(9, 21), minute=rng.randint(0, 59), second=rng.randint(0, 59),
                    microsecond=0)
    return min(max(at, start), end)


class Planner:
    def __init__(self, rng: random.Random, now: dt.datetime, tz: ZoneInfo, member_day: int | None):
        self.rng, self.now, self.tz, self.member_day = rng, now, tz, member_day
        self.events: list[Event] = []

    def add(self, at: dt.datetime, kind: str, person: int = -1, **details) -> None:
        self.events.append(Event(at=at, seq=len(self.events), kind=kind, person=person, **details))

    def purchases(self, index: int, person: Person, receipt_prefix: str, orders: int, total: int,
                  older: int) -> None:
        rng, now = self.rng, self.now
        window_start = max(person.joined_at, now - dt.timedelta(days=WINDOW_DAYS))
        end = now - dt.timedelta(hours=2)
        amounts = _split(rng, total, orders) if orders else []
        older_end = now - YEAR - dt.timedelta(days=2)
        if person.joined_at < older_end:
            typical = total // orders if orders else 6_800
            amounts_old = [_lognormal(rng, typical, 0.5) for _ in range(older)]
        else:
            amounts_old = []
        older_times = [_moment(rng, person.joined_at, older_end, self.tz, self.member_day)
                       for _ in amounts_old]
        if older_times:  # most members join the programme at the till, buying something
            older_times[0] = person.joined_at + dt.timedelta(minutes=rng.randint(2, 30))
        times = sorted([_moment(rng, window_start, end, self.tz, self.member_day) for _ in amounts]
                       + older_times)
        all_amounts = amounts_old + amounts  # older receipts first, matching the sorted times
        for number, (at, amount) in enumerate(zip(times, all_amounts, strict=True), start=1):
            store = person.store_code if rng.random() < 0.88 else ""
            self.add(at, "purchase", index, amount_fen=amount, ref=f"{receipt_prefix}-{number:03d}",
                     store_code=store, pay_with_points=rng.random() < 0.12)

    def check_ins(self, index: int, person: Person, runs: int, final_run: int = 0) -> None:
        """Streaks of daily check-ins; `final_run` days ending yesterday (for the demo member)."""
        rng = self.rng
        today = self.now.astimezone(self.tz).date()
        first = max(person.joined_at.astimezone(self.tz).date(), today - dt.timedelta(days=364))
        days: set[dt.date] = set()
        span = (today - first).days
        for _ in range(runs if span > 1 else 0):
            length = min(15, 1 + int(rng.expovariate(0.5)))
            start = first + dt.timedelta(days=rng.randrange(span))
            days.update(start + dt.timedelta(days=i) for i in range(length)
                        if start + dt.timedelta(days=i) < today)
        if final_run:
            days.discard(today - dt.timedelta(days=final_run + 1))  # so the streak is exactly final_run
            days.update(today - dt.timedelta(days=i) for i in range(1, final_run + 1))
        for day in sorted(days):
            at = dt.datetime.combine(day, dt.time(rng.randint(7, 22), rng.randint(0, 59)), tzinfo=self.tz)
            self.add(at, "check_in", index)

    def shares(self, index: int, person: Person, count: int) -> None:
        for _ in range(count):
            self.add(_moment(self.rng, max(person.joined_at, self.now - YEAR), self.now, self.tz), "share", index)

    def gifts(self, index: int, person: Person, count: int) -> None:
        for _ in range(count):
            start = max(person.joined_at + dt.timedelta(days=30), self.now - YEAR)
            if start < self.now:
                self.add(_moment(self.rng, start, self.now - dt.timedelta(hours=1), self.tz), "gift", index)

    def expiries(self, since: dt.datetime) -> None:
        """The yearly expiry run at each new year (lots expire at the end of the following year)."""
        year = since.astimezone(self.tz).year + 1
        while (boundary := dt.datetime(year, 1, 1, tzinfo=self.tz)) <= self.now:
            self.add(boundary, "expire")
            year += 1

    def plan_person(self, index: int, person: Person, receipt_prefix: str) -> None:
        rng, segment = self.rng, person.segment
        orders, total = _recent_spend(rng, segment)
        self.purchases(index, person, receipt_prefix, orders, total, _older_orders(rng, segment))
        checks = {"basic": 0.05, "silver": 0.15, "gold": 0.3, "diamond": 0.4}[segment]
        if rng.random() < checks:
            self.check_ins(index, person, runs=rng.randint(1, 3))
        if rng.random() < 0.06:
            self.shares(index, person, rng.randint(1, 3))
        gifts = {"basic": rng.choice([0, 0, 0, 0, 0, 1]), "silver": rng.randint(0, 2), "gold": rng.randint(1, 2),
                 "diamond": rng.randint(1, 3)}[segment]
        self.gifts(index, person, gifts)

    def plan_showcase(self, index: int, person: Person, receipt_prefix: str) -> None:
        """The member a visitor logs in as: a gold year, a 6-day streak up to yesterday."""
        self.purchases(index, person, receipt_prefix, orders=12, total=618_800, older=4)
        self.check_ins(index, person, runs=6, final_run=6)
        self.shares(index, person, 4)
        self.gifts(index, person, 3)

    def ordered(self) -> list[Event]:
        return sorted(self.events)
