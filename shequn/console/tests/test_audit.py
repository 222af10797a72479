import pytest
from django.urls import reverse

from shequn.core import audit
from shequn.core.actor import SYSTEM, Actor
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db
URL = reverse("console:audit")


def entry(action, label="system", object_id="1", store_id=None):
    actor = Actor(kind="staff", id="9", label=label)
    return audit.record(actor, action, object_type="member", object_id=object_id, store_id=store_id,
                        after={"points": 5})


def test_owner_and_analyst_see_the_log(owner, console_as):
    entry("points.adjust", label="zhang")
    for client in (owner, console_as("analyst")):
        html = client.get(URL).content.decode()
        assert "points.adjust" in html and "zhang" in html


def test_filter_by_action_and_actor(owner):
    entry("points.adjust", label="zhang")
    entry("member.phone_revealed", label="li")
    entry("points.earn", label="li")
    rows = owner.get(URL, {"action": "points."}).context["rows"]
    assert {r.action for r in rows} == {"points.adjust", "points.earn"}
    rows = owner.get(URL, {"actor": "LI"}).context["rows"]
    assert {r.actor_label for r in rows} == {"li"}
    rows = owner.get(URL, {"action": "points.", "actor": "li"}).context["rows"]
    assert [r.action for r in rows] == ["points.earn"]


def test_paginated_newest_first(owner):
    AuditEntry.objects.all().delete()
    for n in range(55):
        entry("points.adjust", object_id=str(n))
    first = owner.get(URL)
    assert [r.object_id for r in first.context["rows"]][:2] == ["54", "53"]
    second = owner.get(URL, {"cursor": first.context["next_cursor"]})
    assert [r.object_id for r in second.context["rows"]] == [str(n) for n in range(4, -1, -1)]
    assert second.context["next_cursor"] is None


def test_roles_without_audit_view_get_403(console_as, store):
    assert console_as("store_manager", stores=["SH01"]).get(URL).status_code == 403
    assert console_as("hq_operator").get(URL).status_code == 200


def test_console_actions_are_attributed_to_the_operator(owner, member):
    owner.post(reverse("console:member_adjust", args=[member.pk]),
               {"points": 10, "reason": "补偿", "token": "c" * 32}, REMOTE_ADDR="10.1.2.3")
    row = AuditEntry.objects.filter(action="points.adjust").get()
    assert (row.actor_kind, row.actor_label, row.ip) == ("staff", "owner_console", "10.1.2.3")
    assert SYSTEM.label != row.actor_label
