import random

import pytest

from shequn.messaging.models import Message

pytestmark = pytest.mark.django_db


def test_demo_messaging_fills_the_inbox_and_the_log(make_member, store, system_actor):
    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM
    from shequn.demo import data
    from shequn.demo.messaging import load_messaging

    hq, _ = ensure_staff(SYSTEM, "hq_demo", role="hq_operator")
    showcase = make_member(store=store, phone=data.DEMO_PHONE, name="演示会员", consents={"marketing": True})
    for i in range(6):
        make_member(store=store, name=f"会员{i}", consents={"marketing": i % 2 == 0})
    summary = load_messaging(hq, random.Random(1), sample=10)
    assert "条站内信" in summary
    assert Message.objects.filter(member=showcase, status="delivered").count() == 2
    assert not Message.objects.filter(status__in=["queued", "sending", "failed"]).exists()
