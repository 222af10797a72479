"""Demo members as plain data, drawn from a seeded random generator: names by
surname frequency and generation, plausible mobile numbers, birthdays, tags,
consents, a home store, and the spending segment that shapes their year."""

import datetime as dt
import random
from dataclasses import dataclass, field

from shequn.core.phones import InvalidPhone, normalise_cn_mobile

from . import data

# Share of members by how they spend, chosen so tiers come out like a real store's.
SEGMENTS = [("basic", 70), ("silver", 20), ("gold", 8), ("diamond", 2)]
# Earliest join (days ago) each segment needs to have built its spend by now.
MIN_TENURE_DAYS = {"basic": 0, "silver": 60, "gold": 200, "diamond": 240}
HISTORY_DAYS = 790  # about two years
AGES = [((18, 24), 14), ((25, 34), 32), ((35, 44), 25), ((45, 54), 14), ((55, 64), 9), ((65, 76), 6)]


@dataclass
class Person:
    name: str
    phone: str
    gender: str
    birthday: dt.date | None
    store_code: str
    joined_at: dt.datetime
    source: str
    segment: str
    tags: list[str] = field(default_factory=list)
    consents: dict[str, bool] = field(default_factory=dict)
    external_id: str | None = None
    referrer: int | None = None  # index of an earlier person


def pick(rng: random.Random, weighted: list[tuple]) -> object:
    return rng.choices([w[0] for w in weighted], weights=[w[-1] for w in weighted])[0]


def _name(rng: random.Random, gender: str, birth_year: int) -> str:
    generation = "older" if birth_year < 1970 else "middle" if birth_year < 1995 else "young"
    sex = gender if gender in ("male", "female") else rng.choice(["male", "female"])
    return str(pick(rng, data.SURNAMES)) + rng.choice(data.GIVEN_NAMES[(sex, generation)])


def _phone(rng: random.Random, taken: set[str]) -> str:
    while True:
        phone = str(pick(rng, data.PHONE_PREFIXES)) + f"{rng.randrange(10**8):08d}"
        if phone in taken:
            continue
        try:
            normalise_cn_mobile(phone)
        except InvalidPhone:
            continue
        taken.add(phone)
        return phone


def _tags(rng: random.Random, gender: str, age: int) -> list[str]:
    chances = [
        ("学生", 0.7 if age <= 22 else 0), ("上班族", 0.6 if 23 <= age <= 55 else 0),
        ("宝妈", 0.4 if gender == "female" and 26 <= age <= 40 else 0), ("老年", 0.7 if age >= 60 else 0),
        ("健身", 0.15 if age <= 45 else 0.03), ("咖啡控", 0.2 if 20 <= age <= 45 else 0.03),
        ("烘焙爱好者", 0.08 if gender == "female" else 0.02), ("宠物主", 0.12), ("价格敏感", 0.15),
        ("新品尝鲜", 0.1 if age <= 40 else 0.03),
    ]
    return [tag for tag, chance in chances if rng.random() < chance]


def _joined(rng: random.Random, segment: str, now: dt.datetime) -> dt.datetime:
    """More members joined recently than long ago (the programme is growing)."""
    earliest = MIN_TENURE_DAYS[segment]
    days = earliest + (HISTORY_DAYS - earliest) * rng.random() ** 1.3
    joined = (now - dt.timedelta(days=days)).replace(hour=rng.randint(9, 21), minute=rng.randint(0, 59),
                                                     second=rng.randint(0, 59), microsecond=0)
    return min(joined, now - dt.timedelta(hours=1))


def make_people(rng: random.Random, count: int, now: dt.datetime, reserved: set[str]) -> list[Person]:
    """`count` people ordered by joining date (so member numbers follow it); `now` in local time."""
    taken = set(reserved)
    stores = [(code, share) for code, _, _, _, share in data.STORES]
    people = []
    for _ in range(count):
        segment = str(pick(rng, SEGMENTS))
        gender = rng.choices(["female", "male", "unknown"], weights=[58, 39, 3])[0]
        low, high = pick(rng, AGES)
        age = rng.randint(low, high)
        birthday = None
        if rng.random() > 0.06:
            birthday = dt.date(now.year - age, 1, 1) - dt.timedelta(days=rng.randint(0, 364))
        source = str(pick(rng, data.SOURCES))
        people.append(Person(
            name=_name(rng, gender, now.year - age), phone=_phone(rng, taken), gender=gender, birthday=birthday,
            store_code=str(pick(rng, stores)), joined_at=_joined(rng, segment, now), source=source,
            segment=segment, tags=_tags(rng, gender, age),
            consents={"marketing": rng.random() < 0.75, "profiling": rng.random() < 0.6,
                      "third_party": rng.random() < 0.08}))
    people.sort(key=lambda p: p.joined_at)
    for index, person in enumerate(people):
        if person.source == "store" and rng.random() < 0.5:
            person.external_id = f"POS-{person.store_code}-{index + 2:06d}"
    return people


def link_referrals(rng: random.Random, people: list[Person]) -> None:
    """Members who came by referral were referred by someone who joined before them."""
    for index, person in enumerate(people):
        if person.source == "referral" and index > 0:
            person.referrer = rng.randrange(index)
