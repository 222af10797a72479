"""The CDNOW sample through the importer: what the lifetime-value validation builds on."""

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Sum

from shequn.analytics.importer import import_transactions
from shequn.analytics.models import Transaction
from shequn.members.models import Member

from . import cdnow

pytestmark = pytest.mark.django_db


def test_cdnow_sample_imports_every_purchase(tmp_path, system_actor):
    source = cdnow.cdnow_sample_path().read_text().split("\n")
    raw = [line.split() for line in source if line.strip()]
    path = cdnow.cdnow_csv(tmp_path)

    result = import_transactions(system_actor, path)
    assert result.errors == []
    assert (result.rows, result.created, result.members_created) == (cdnow.ROWS, cdnow.ROWS, cdnow.CUSTOMERS)
    assert Member.objects.filter(source="import").count() == cdnow.CUSTOMERS

    imported = Transaction.objects.filter(source="import")
    assert imported.count() == cdnow.ROWS  # identical purchases on one day are separate rows, both kept
    assert imported.filter(amount_fen=0).count() == cdnow.ZERO_AMOUNT_ROWS
    total_fen = sum(int(Decimal(r[4]) * 100) for r in raw)
    assert imported.aggregate(s=Sum("amount_fen"))["s"] == total_fen
    assert imported.aggregate(s=Sum("quantity"))["s"] == sum(int(r[3]) for r in raw)

    shanghai = ZoneInfo("Asia/Shanghai")
    days = {t.astimezone(shanghai).date() for t in imported.values_list("occurred_at", flat=True)}
    assert min(days) == cdnow.FIRST_DAY and max(days) == cdnow.LAST_DAY
    per_member = dict(imported.values("member__external_id").annotate(n=Count("pk"))
                      .values_list("member__external_id", "n"))
    expected: dict[str, int] = {}
    for r in raw:
        expected[cdnow.external_id(r[0])] = expected.get(cdnow.external_id(r[0]), 0) + 1
    assert per_member == expected

    again = import_transactions(system_actor, path)
    assert (again.created, again.skipped_existing, again.members_created) == (0, cdnow.ROWS, 0)
    assert Transaction.objects.count() == cdnow.ROWS
