"""The event catalogue offers exactly event types Shequn really emits."""

import re
from pathlib import Path

from shequn.commerce.groupbuy.models import Campaign
from shequn.commerce.referral.models import Withdrawal
from shequn.loyalty.points import EVENT_VERBS
from shequn.messaging.webhooks.events import ALL, EVENT_TYPES, normalise, unknown

ROOT = Path(__file__).resolve().parents[3]
LITERAL = re.compile(r"""outbox\.emit\(\s*["']([a-z_.]+)["']""")


def emitted_topics() -> set[str]:
    topics = set()
    for path in ROOT.rglob("*.py"):
        if "tests" not in path.parts:
            topics |= set(LITERAL.findall(path.read_text(encoding="utf-8")))
    # Topics built at run time, from the values the code formats into them.
    topics |= {f"points.{verb}" for verb in EVENT_VERBS.values()}
    topics |= {"order.fulfilled", "order.picked_up"}  # orders._advance(…, "fulfilled" / "picked_up")
    topics |= {f"groupbuy.campaign_{s}" for s in (Campaign.Status.SUCCEEDED, Campaign.Status.FAILED)}
    topics |= {f"withdrawal.{s}" for s in (Withdrawal.Status.PAID, Withdrawal.Status.REJECTED)}
    return topics


def test_every_catalogued_event_type_is_emitted_somewhere():
    topics = emitted_topics()
    assert {"member.created", "order.paid", "group.member_joined"} <= topics  # the scan finds the literals
    assert sorted(EVENT_TYPES - topics) == []


def test_the_dynamic_topics_are_still_built_the_way_the_catalogue_assumes():
    sources = {name: (ROOT / name).read_text(encoding="utf-8") for name in (
        "loyalty/points.py", "commerce/orders.py", "commerce/groupbuy/campaigns.py",
        "commerce/referral/distribution.py")}
    assert 'outbox.emit(f"points.{EVENT_VERBS[kind]}"' in sources["loyalty/points.py"]
    assert '"fulfilled", allowed_fulfilment' in sources["commerce/orders.py"]
    assert '"picked_up", allowed_fulfilment' in sources["commerce/orders.py"]
    assert 'outbox.emit(f"order.{event}"' in sources["commerce/orders.py"]
    assert 'outbox.emit(f"groupbuy.campaign_{campaign.status}"' in sources["commerce/groupbuy/campaigns.py"]
    assert 'outbox.emit(f"withdrawal.{withdrawal.status}"' in sources["commerce/referral/distribution.py"]


def test_secrets_bearing_and_internal_events_are_not_offered():
    assert "member.otp_requested" not in EVENT_TYPES
    assert not [t for t in EVENT_TYPES if t.startswith(("analytics.", "loyalty.", "segment."))]


def test_normalise_and_unknown():
    assert normalise(["order.paid", "member.created", "order.paid"]) == ["member.created", "order.paid"]
    assert normalise(["order.paid", ALL]) == [ALL]
    assert unknown(["order.paid", ALL, "order.shipped"]) == ["order.shipped"]
