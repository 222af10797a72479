"""PostgreSQL, real threads and connections: the same history imported several times at once ends up
imported once — every row one transaction, every new member created once, and nobody gets an error."""

import pytest
from django.db.models import Sum

from shequn.analytics.importer import import_transactions
from shequn.analytics.models import Transaction
from shequn.core.tests.threads import run_together
from shequn.loyalty.models import LoyaltyAccount
from shequn.members.models import Member

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WORKERS = 6
HEADER = "member_external_id,occurred_at,amount,quantity,order_no,store_code,sku"


def history(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_the_same_file_imported_at_once_counts_once(tmp_path, system_actor, store):
    rows = [f"H{i % 150:03d},2026-0{1 + i % 9}-{1 + i % 28:02d} 1{i % 10}:00,{i % 500}.{i % 100:02d},{1 + i % 3},"
            f"{f'SO{i}' if i % 2 else ''},{store.code},SKU-{i % 40}" for i in range(3000)]
    rows += rows[:5]  # identical rows, kept
    path = history(tmp_path, "history.csv", rows)
    expected_fen = sum((i % 500) * 100 + i % 100 for i in [*range(3000), *range(5)])

    results = run_together(WORKERS, lambda _: import_transactions(system_actor, path))

    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    assert all(r.ok for r in results), [r.errors[:3] for r in results]
    assert sum(r.created for r in results) == len(rows)
    assert sum(r.members_created for r in results) == 150
    assert all(r.created + r.skipped_existing == len(rows) for r in results)
    assert Transaction.objects.count() == len(rows)
    assert Transaction.objects.aggregate(s=Sum("amount_fen"))["s"] == expected_fen
    assert Member.objects.count() == 150 and LoyaltyAccount.objects.count() == 150


def test_overlapping_exports_at_once(tmp_path, system_actor, store):
    rows = [f"V{i % 90:03d},2026-02-{1 + i % 28:02d},{1 + i % 300}.5,1,SO{i},{store.code}," for i in range(1200)]
    files = [history(tmp_path, f"part{k}.csv", rows[k * 200:k * 200 + 600]) for k in range(4)]  # each overlaps

    results = run_together(len(files), lambda k: import_transactions(system_actor, files[k]))

    crashed = [r for r in results if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    assert all(r.ok for r in results), [r.errors[:3] for r in results]
    assert Transaction.objects.count() == 1200 == sum(r.created for r in results)
    assert Member.objects.count() == 90

