import datetime as dt
import random
import re

import pytest
from django.db.models import Count
from django.utils import timezone

from shequn.accounts.models import StaffUser
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.core.phones import normalise_cn_mobile
from shequn.demo import data
from shequn.demo.loader import SEED, load_demo, print_logins
from shequn.demo.people import make_people
from shequn.loyalty.models import BulkGrant, CheckIn, LoyaltyAccount, PointsEntry, Purchase, TierChange
from shequn.loyalty.services import check_ledgers
from shequn.members.models import Consent, Member, Tag
from shequn.members.services import create_member
from shequn.stores.models import Store

pytestmark = pytest.mark.django_db

MODELS = [Store, StaffUser, Member, Consent, Tag, LoyaltyAccount, PointsEntry, Purchase, CheckIn, TierChange,
          BulkGrant, AuditEntry, OutboxEvent]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_demo_loads_once_with_a_plausible_store(capsys):
    assert load_demo(members=200, show_progress=False) is True
    first = counts()
    assert load_demo(members=200, show_progress=False) is False
    assert counts() == first
    assert check_ledgers() == []

    assert first["Member"] == 200
    shops = Store.objects.filter(kind=Store.Kind.STORE)  # besides the central warehouse (中心仓)
    assert {s.code: s.city for s in shops} == {"SH-JA": "上海", "HZ-XH": "杭州", "CD-CX": "成都"}
    assert all(s.address for s in shops)

    # Tiers spread like a real store: most basic, fewer silver, a few gold, very few diamond.
    spread = dict(LoyaltyAccount.objects.values_list("tier__code").annotate(n=Count("pk")))
    assert 0.55 <= spread.get("basic", 0) / 200 <= 0.85
    assert 0.08 <= spread.get("silver", 0) / 200 <= 0.35
    assert spread.get("basic", 0) > spread.get("silver", 0) > spread.get("gold", 0) >= spread.get("diamond", 0)
    assert spread.get("gold", 0) + spread.get("diamond", 0) >= 6

    # Names, phones and birthdays look real; every member has a tier history starting with 入会.
    members = list(Member.objects.all())
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", m.name) for m in members)
    phones = [m.phone for m in members]
    assert len(set(phones)) == 200 and all(normalise_cn_mobile(p) == p for p in phones)
    assert sum(1 for m in members if m.birthday) > 170
    assert TierChange.objects.filter(reason="入会").count() == 200
    assert Consent.objects.filter(purpose="marketing").count() == 200
    assert Member.objects.filter(tags__isnull=False).distinct().count() > 80
    assert Member.objects.filter(referrer__isnull=False).exists()
    joined = sorted(m.joined_at for m in members)
    assert timezone.now() - joined[0] > dt.timedelta(days=600)
    assert [m.member_no for m in sorted(members, key=lambda m: m.joined_at)] == sorted(m.member_no for m in members)

    # A year of activity of every kind, spread over the months.
    kinds = set(PointsEntry.objects.values_list("kind", flat=True))
    assert {"earn", "redeem", "expire", "reverse", "adjust"} <= kinds
    assert set(PointsEntry.objects.values_list("source", flat=True)) >= {
        "purchase", "check_in", "gift", "cash_offset", "expiry", "manual", "bulk_grant"}
    months = {e.created_at.strftime("%Y-%m") for e in PointsEntry.objects.filter(kind="earn")}
    assert len(months) >= 12
    assert BulkGrant.objects.get().status == "done"

    # The showcase member has a rich history and a 6-day streak up to yesterday.
    demo = Member.objects.select_related("loyalty__tier", "home_store").get(external_id=data.DEMO_MEMBER["external_id"])
    assert demo.phone == data.DEMO_PHONE and demo.home_store.code == "SH-JA"
    assert demo.loyalty.tier.code == "gold" and demo.loyalty.points_balance > 0
    assert Purchase.objects.filter(member=demo).count() >= 12
    assert demo.loyalty.checkin_streak == 6
    assert demo.loyalty.last_checkin_date == timezone.localdate() - dt.timedelta(days=1)
    assert demo.last_active_at is not None

    # Staff of every role with the printed password, scoped where the role is scoped.
    for username, role, codes, _ in data.STAFF:
        user = StaffUser.objects.get(username=username)
        assert user.role == role and user.check_password(data.PASSWORD)
        assert sorted(user.stores.values_list("code", flat=True)) == sorted(codes)

    capsys.readouterr()
    print_logins("http://127.0.0.1:8000/")
    out = capsys.readouterr().out
    for expected in ("http://127.0.0.1:8000/console/", "http://127.0.0.1:8000/m/", "/m/dev/inbox/",
                     "manager_sh", "community_hz", data.PASSWORD, data.DEMO_PHONE, "create-api-token"):
        assert expected in out


def test_demo_skips_people_who_are_already_members(system_actor):
    """A generated phone that already belongs to a member is left out, not a failed load."""
    someone = make_people(random.Random(SEED), 5, timezone.now(), reserved={data.DEMO_PHONE})[2]
    existing = create_member(system_actor, phone=someone.phone, name="老会员")
    assert load_demo(members=30, show_progress=False) is True
    assert Member.objects.count() == 30  # 29 loaded + the existing one
    assert Member.objects.get(pk=existing.pk).name == "老会员"
    assert check_ledgers() == []
