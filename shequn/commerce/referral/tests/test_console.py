"""Console pages: referral report and review, distribution report and rates, withdrawal approvals."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shequn.accounts.actors import member_actor
from shequn.commerce import orders
from shequn.commerce.referral import distribution, services
from shequn.commerce.referral.models import Referral, Withdrawal
from shequn.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def console_as(db):
    from shequn.accounts.staff import ensure_staff
    from shequn.core.actor import SYSTEM

    def make(role="owner", stores=None):
        user, _ = ensure_staff(SYSTEM, f"{role}_referral", role=role, store_codes=stores, password="pw-123456789")
        client = Client()
        client.force_login(user)
        return client

    return make


def _held(system_actor, make_member, store):
    referrer, referee = make_member(store=store, name="推荐人甲"), make_member(store=store, name="新人乙")
    services.see_device(referrer, "same-phone")
    return services.attribute(system_actor, referee=referee, code=services.code_for(referrer).code,
                              device_id="same-phone")


def test_referral_report_shows_held_and_review_works(console_as, system_actor, make_member, store):
    held = _held(system_actor, make_member, store)
    owner = console_as()
    page = owner.get("/console/commerce/referrals/")
    body = page.content.decode()
    assert page.status_code == 200 and "推荐人甲" in body and "与推荐人同一设备" in body
    assert f'data-referral="{held.pk}"' in body
    response = owner.post(f"/console/commerce/referrals/{held.pk}/review/", {"approve": "1", "note": "家人"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Referral.Status.PENDING and held.review_note == "家人"
    assert AuditEntry.objects.filter(action="referral.approved").exists()
    again = owner.post(f"/console/commerce/referrals/{held.pk}/review/", {"approve": "0"}, follow=True)
    assert "only held referrals" in again.content.decode()


def test_store_manager_sees_own_stores_and_cannot_review(console_as, system_actor, make_member, store, other_store):
    held = _held(system_actor, make_member, store)
    elsewhere = console_as("store_manager", ["BJ01"])
    assert "推荐人甲" not in elsewhere.get("/console/commerce/referrals/").content.decode()
    assert elsewhere.post(f"/console/commerce/referrals/{held.pk}/review/", {"approve": "1"}).status_code == 403
    here = console_as("store_manager", ["SH01"])
    assert "推荐人甲" in here.get("/console/commerce/referrals/").content.decode()
    assert here.post(f"/console/commerce/referrals/{held.pk}/review/", {"approve": "1"}).status_code == 403
    held.refresh_from_db()
    assert held.status == Referral.Status.HELD


def test_referral_settings_form(console_as):
    owner = console_as()
    data = {"reward_kind": "points", "referrer_points": "700", "referee_points": "300", "signup_window_days": "7",
            "first_order_window_days": "30", "hold_days": "5", "burst_limit": "5", "burst_window_minutes": "60"}
    assert owner.post("/console/commerce/referrals/settings/", data).status_code == 302
    assert (services.settings_row().referrer_points, services.settings_row().hold_days) == (700, 5)
    bad = owner.post("/console/commerce/referrals/settings/", {**data, "hold_days": "500"}, follow=True)
    assert services.settings_row().hold_days == 5 and "hold_days" in bad.content.decode()


def test_distribution_pages_and_withdrawal_approval(console_as, system_actor, make_member, store, member, buy):
    person = make_member(store=store, name="分销员丙")
    applied = distribution.apply(member_actor(person.pk), person)
    owner = console_as()
    page = owner.get("/console/commerce/distribution/").content.decode()
    assert "分销员丙" in page and "传销" in page
    owner.post(f"/console/commerce/distribution/{applied.pk}/decide/", {"approve": "1"})
    applied.refresh_from_db()
    assert applied.status == "approved"
    order = buy(member, quantity=2, referrer=person)
    orders.verify_pickup(system_actor, code=order.pickup_code, store=store)
    orders.complete_due(now=timezone.now() + dt.timedelta(days=8))
    report = owner.get("/console/commerce/distribution/").content.decode()
    assert "¥200.00" in report and "¥20.00" in report
    w = distribution.request_withdrawal(member_actor(person.pk), applied, 2000)
    listing = owner.get("/console/commerce/withdrawals/").content.decode()
    assert f'data-withdrawal="{w.pk}"' in listing
    missing_ref = owner.post(f"/console/commerce/withdrawals/{w.pk}/decide/", {"approve": "1"}, follow=True)
    assert "转账流水号" in missing_ref.content.decode()
    owner.post(f"/console/commerce/withdrawals/{w.pk}/decide/", {"approve": "1", "reference": "BANK-7"})
    w.refresh_from_db()
    assert (w.status, w.reference) == (Withdrawal.Status.PAID, "BANK-7")


def test_rates_form_refuses_bad_values(console_as):
    owner = console_as()
    owner.post("/console/commerce/distribution/rates/", {"level1": "120", "level2": "40",
                                                         "min_withdrawal_yuan": "20"})
    row = distribution.settings_row()
    assert (row.level_rates_permille, row.min_withdrawal_fen) == ([120, 40], 2000)
    owner.post("/console/commerce/distribution/rates/", {"level1": "900", "min_withdrawal_yuan": "20"})
    assert distribution.settings_row().level_rates_permille == [120, 40]
    owner.post("/console/commerce/distribution/rates/", {"level1": "50", "min_withdrawal_yuan": "5"})
    assert distribution.settings_row().level_rates_permille == [50]


def test_analyst_can_view_but_not_decide(console_as, system_actor, make_member, store):
    person = make_member(store=store)
    applied = distribution.apply(member_actor(person.pk), person)
    analyst = console_as("analyst")
    assert analyst.get("/console/commerce/distribution/").status_code == 200
    assert analyst.get("/console/commerce/withdrawals/").status_code == 200
    assert analyst.post(f"/console/commerce/distribution/{applied.pk}/decide/", {"approve": "1"}).status_code == 403


def test_referral_list_filters(console_as, system_actor, make_member, store):
    held = _held(system_actor, make_member, store)
    plain = services.attribute(system_actor, referee=make_member(store=store),
                               code=services.code_for(held.referrer).code)
    owner = console_as()
    default = owner.get("/console/commerce/referrals/").content.decode()
    assert f'data-referral="{held.pk}"' in default and f'data-referral="{plain.pk}"' not in default
    everything = owner.get("/console/commerce/referrals/?status=all").content.decode()
    assert f'data-referral="{held.pk}"' in everything and f'data-referral="{plain.pk}"' in everything
