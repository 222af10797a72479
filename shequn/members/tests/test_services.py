"""Members: registration, profile changes, audited phone reveal, consents and scoped reads."""

import datetime as dt

import pytest

from shequn.core import pii
from shequn.core.actor import Actor
from shequn.core.errors import NotFound, PermissionDenied, ValidationProblem
from shequn.core.models import AuditEntry, OutboxEvent
from shequn.core.tests.threads import run_together
from shequn.loyalty.models import LoyaltyAccount, TierChange
from shequn.members import selectors, services
from shequn.members.models import Member
from shequn.members.services import MemberExists

pytestmark = pytest.mark.django_db


def manager_of(*stores, role="store_manager", perms=("members.view", "members.write")):
    return Actor(kind="staff", id="9", label="店长", role=role, store_ids=frozenset(s.pk for s in stores),
                 permissions=frozenset(perms))


def test_create_member_stores_the_phone_encrypted_hashed_and_masked(system_actor, store):
    m = services.create_member(system_actor, phone="+86 139 1234 5678", name=" 张伟 ", store=store,
                               birthday=dt.date(1990, 5, 2), gender="male", tags=["宝妈", "宝妈", " "],
                               consents={"marketing": True})
    m.refresh_from_db()
    assert m.member_no.startswith("M") and len(m.member_no) == 9
    assert (m.name, m.phone_masked, m.home_store, m.gender) == ("张伟", "139****5678", store, "male")
    assert "13912345678" not in m.phone_encrypted and m.phone == "13912345678"
    assert m.phone_hash == pii.blind_index("13912345678")
    assert [t.name for t in m.tags.all()] == ["宝妈"]
    assert services.current_consents(m) == {"marketing": True, "profiling": False, "third_party": False}
    account = LoyaltyAccount.objects.get(pk=m.pk)
    assert (account.tier.code, account.points_balance) == ("basic", 0)
    assert TierChange.objects.get(member=m).reason == "入会"
    audit = AuditEntry.objects.get(action="member.created")
    assert audit.after["phone"] == "139****5678" and "13912345678" not in str(audit.after)
    assert OutboxEvent.objects.filter(topic="member.created", aggregate_id=str(m.pk)).exists()


def test_member_numbers_are_consecutive(make_member):
    a, b = make_member(), make_member()
    assert int(b.member_no[1:]) == int(a.member_no[1:]) + 1
    assert services.next_member_numbers(2) == [f"M{int(b.member_no[1:]) + n:08d}" for n in (1, 2)]


def test_duplicate_phone_in_any_format_is_member_exists(system_actor, store):
    services.create_member(system_actor, phone="13912345678", store=store)
    with pytest.raises(MemberExists) as exc:
        services.create_member(system_actor, phone="+86 139-1234-5678", store=store)
    assert (exc.value.status, exc.value.type) == (409, "member-exists")
    assert "139****5678" in exc.value.detail
    assert Member.objects.count() == 1


def test_duplicate_external_id_is_member_exists(system_actor):
    services.create_member(system_actor, phone=None, external_id="POS-001")
    with pytest.raises(MemberExists):
        services.create_member(system_actor, phone="13912345678", external_id="POS-001")
    assert Member.objects.count() == 1


@pytest.mark.parametrize("kwargs, slug", [
    ({"phone": "12345"}, "invalid-phone"),
    ({"phone": "010-12345678"}, "invalid-phone"),
    ({"phone": None}, "invalid-member"),
    ({"phone": "13912345678", "birthday": dt.date(2999, 1, 1)}, "invalid-birthday"),
])
def test_bad_member_input_writes_nothing(system_actor, kwargs, slug):
    with pytest.raises(ValidationProblem) as exc:
        services.create_member(system_actor, **kwargs)
    assert exc.value.status == 422 and exc.value.type == slug
    assert not Member.objects.exists() and not AuditEntry.objects.exists()


def test_scoped_staff_add_members_only_to_their_stores(store, other_store, next_phone):
    manager = manager_of(store)
    assert services.create_member(manager, phone=next_phone(), store=store).home_store == store
    for target in (other_store, None):
        with pytest.raises(PermissionDenied) as exc:
            services.create_member(manager, phone=next_phone(), store=target)
        assert exc.value.type == "store-out-of-scope"
    assert Member.objects.count() == 1


def test_update_member_re_encrypts_a_new_phone_and_audits(system_actor, member, make_member):
    services.update_member(system_actor, member, phone="+86 13700001111", name="李娜")
    member.refresh_from_db()
    assert (member.phone, member.phone_masked, member.name) == ("13700001111", "137****1111", "李娜")
    audit = AuditEntry.objects.get(action="member.updated")
    assert (audit.before["name"], audit.after["name"], audit.after["phone"]) == ("测试会员", "李娜", "137****1111")
    other = make_member()
    with pytest.raises(MemberExists):
        services.update_member(system_actor, other, phone="13700001111")
    with pytest.raises(ValidationProblem) as exc:
        services.update_member(system_actor, other, member_no="M1")
    assert exc.value.type == "invalid-field"


def test_update_cannot_move_a_member_out_of_the_managers_stores(member, store, other_store):
    with pytest.raises(PermissionDenied):
        services.update_member(manager_of(store), member, home_store=other_store)
    member.refresh_from_db()
    assert member.home_store == store


def test_reveal_phone_needs_the_permission_and_is_audited(system_actor, member):
    analyst = Actor(kind="staff", id="3", label="分析师", role="analyst", permissions=frozenset({"members.view"}))
    with pytest.raises(PermissionDenied) as exc:
        services.reveal_phone(analyst, member)
    assert exc.value.type == "pii-reveal-denied"
    assert not AuditEntry.objects.filter(action="member.phone_revealed").exists()
    assert services.reveal_phone(system_actor, member) == member.phone
    assert AuditEntry.objects.filter(action="member.phone_revealed", object_id=str(member.pk)).count() == 1


def test_the_latest_consent_decision_counts(system_actor, member):
    services.record_consent(system_actor, member, "marketing", True)
    services.record_consent(system_actor, member, "marketing", False)
    services.record_consent(system_actor, member, "third_party", True)
    assert services.current_consents(member) == {"marketing": False, "profiling": False, "third_party": True}
    assert member.consents.first().notice_version == services.PRIVACY_NOTICE_VERSION
    with pytest.raises(ValidationProblem):
        services.record_consent(system_actor, member, "spam", True)


# -- selectors --------------------------------------------------------------------------------

def test_get_member_outside_the_scope_is_not_found(make_member, store, other_store):
    mine, theirs = make_member(store=store), make_member(store=other_store)
    manager = manager_of(store)
    assert selectors.get_member(manager, mine.pk) == mine
    with pytest.raises(NotFound) as exc:
        selectors.get_member(manager, theirs.pk)
    assert exc.value.type == "member-not-found"
    assert list(selectors.members_visible_to(manager)) == [mine]


def test_search_by_phone_member_number_name_tier_and_store(system_actor, make_member, store, other_store):
    from shequn.loyalty.services import set_tier

    wang = make_member(store=store, name="王芳", phone="13911112222")
    li = make_member(store=other_store, name="李芳芳", phone="13933334444", external_id="CRM-7")
    set_tier(system_actor, li.pk, "gold", reason="测试")

    def search(**kw):
        return [m.pk for m in selectors.search_members(system_actor, **kw)]

    assert search(q="13911112222") == [wang.pk]
    assert search(q="+86 139 1111 2222") == [wang.pk]
    assert search(q="1391111") == []  # part of a phone number finds nobody
    assert search(q=wang.member_no.lower()) == [wang.pk]
    assert search(q="芳") == [li.pk, wang.pk]
    assert search(q="CRM-7") == [li.pk]
    assert search(tier="gold") == [li.pk]
    assert search(store="SH01") == [wang.pk]
    assert search(q="芳", store="BJ01", tier="gold") == [li.pk]
    assert search(q="芳", tier="silver") == []


# -- PostgreSQL: concurrent registration ------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_of_one_phone_create_one_member(system_actor, store):
    def register(i):
        return services.create_member(system_actor, phone="+86 139 5555 0000", name=f"并发{i}", store=store)

    results = run_together(20, register)
    members = [r for r in results if isinstance(r, Member)]
    conflicts = [r for r in results if isinstance(r, MemberExists)]
    assert len(members) == 1 and len(conflicts) == 19, results
    assert Member.objects.count() == 1 and LoyaltyAccount.objects.count() == 1
    assert AuditEntry.objects.filter(action="member.created").count() == 1
