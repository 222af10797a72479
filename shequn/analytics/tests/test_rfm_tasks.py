"""Nightly RFM: yesterday scored overall and per store, once; scored again only when that day changed."""

import datetime as dt

import pytest

from shequn.analytics.models import RfmRun, Transaction
from shequn.analytics.rfm_tasks import scopes_due, score_due
from shequn.core import clock

from .test_rfm import SHANGHAI, build_history

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def var_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def history(make_member, store, other_store):
    return build_history(make_member, {store.code: store, other_store.code: other_store})


def test_the_job_is_scheduled():
    from shequn.core.scheduler import _registry

    assert _registry["analytics.rfm_nightly"].every == dt.timedelta(hours=1)


def test_yesterday_is_scored_overall_and_per_store_once(history, store, other_store):
    yesterday = clock.local_date() - dt.timedelta(days=1)
    assert scopes_due() == [(yesterday, None), (yesterday, other_store), (yesterday, store)]
    ids = score_due()
    runs = RfmRun.objects.filter(pk__in=ids)
    assert {(r.as_of, r.store_id) for r in runs} == {(yesterday, None), (yesterday, store.pk),
                                                     (yesterday, other_store.pk)}
    assert runs.get(store=None).members == 9  # everybody's history is older than yesterday
    assert scopes_due() == [] and score_due() == []


def test_a_late_transaction_of_yesterday_rescores_its_scopes_only(history, store, make_member):
    score_due()
    yesterday = clock.local_date() - dt.timedelta(days=1)
    member = make_member(store=store, name="昨天的新客")
    today = Transaction.objects.create(member=member, occurred_at=clock.now(), amount_fen=900, store=store,
                                       source="import", source_ref="today-1")
    assert scopes_due() == []  # today's purchases wait for tonight
    today.delete()
    Transaction.objects.create(member=member, amount_fen=800, store=store, source="import", source_ref="late-1",
                               occurred_at=dt.datetime.combine(yesterday, dt.time(12), tzinfo=SHANGHAI))
    assert scopes_due() == [(yesterday, None), (yesterday, store)]
    before = RfmRun.objects.get(store=store).members
    score_due()
    assert RfmRun.objects.count() == 3 and RfmRun.objects.get(store=store).members == before + 1
