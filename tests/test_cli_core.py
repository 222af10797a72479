"""The core commands end to end: migrate, create-api-token, check-ledgers, each run on its own SQLite."""

import subprocess
import sys
from pathlib import Path

import pytest

from shequn.core.tests.cli import run, shequn

SETUP = """
import django; django.setup()
from shequn.core.actor import SYSTEM
from shequn.loyalty import services
from shequn.members.services import create_member
from shequn.stores.services import create_store
store = create_store(SYSTEM, code="SH01", name="上海静安店", city="上海")
for n in range(3):
    m = create_member(SYSTEM, phone=f"1390000000{n}", name=f"会员{n}", store=store)
    services.earn(SYSTEM, m.pk, 100, source="gift", reason="开卡礼")
    services.redeem(SYSTEM, m.pk, 40, reason="兑换")
"""

CORRUPT = """
import django; django.setup()
from shequn.loyalty.models import LoyaltyAccount
account = LoyaltyAccount.objects.order_by("pk").first()
LoyaltyAccount.objects.filter(pk=account.pk).update(points_balance=999)
print(account.pk)
"""

CHECK_TOKEN = """
import sys, django; django.setup()
from shequn.accounts.actors import staff_actor
from shequn.accounts.tokens import authenticate_token
token = authenticate_token(sys.argv[1])
actor = staff_actor(token.user)
print(token.user.username, actor.role, sorted(actor.store_ids or []))
"""


def python(var: Path, code: str, *args: str) -> subprocess.CompletedProcess:
    done = run(var, [sys.executable, "-c", code, *args])
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def var(tmp_path_factory):
    path = tmp_path_factory.mktemp("shequn-var")
    done = shequn(path, "migrate")
    assert done.returncode == 0, done.stderr
    assert (path / "shequn.sqlite3").exists()
    python(path, SETUP)
    return path


def test_create_api_token_prints_only_the_token(var):
    done = shequn(var, "create-api-token", "--username", "li", "--role", "store_manager", "--store", "SH01")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("sq_") and " " not in lines[0]
    assert python(var, CHECK_TOKEN, lines[0]).stdout.split()[:2] == ["li", "store_manager"]


def test_create_api_token_bad_role_is_a_readable_error(var):
    done = shequn(var, "create-api-token", "--username", "x", "--role", "superhero")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Unknown role 'superhero'" in done.stderr and "store_manager" in done.stderr
    assert "Traceback" not in done.stderr


def test_create_api_token_unknown_store_is_a_readable_error(var):
    done = shequn(var, "create-api-token", "--username", "y", "--role", "store_manager", "--store", "NOPE")
    assert done.returncode == 2 and done.stdout == ""
    assert "Unknown store code(s): NOPE" in done.stderr and "Traceback" not in done.stderr


def test_check_ledgers_ok_then_drift_then_fix(var):
    done = shequn(var, "check-ledgers")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok: 3 balance(s) match their ledgers"

    member_id = python(var, CORRUPT).stdout.strip()
    done = shequn(var, "check-ledgers")
    assert done.returncode == 1
    assert f"member {member_id}: balance 999, ledger 60, lots 60, last entry 60" in done.stdout
    assert "1 of 3 balance(s) drifted" in done.stderr

    done = shequn(var, "check-ledgers", "--fix")
    assert done.returncode == 1 and "(fixed)" in done.stderr
    done = shequn(var, "check-ledgers")
    assert done.returncode == 0 and done.stdout.startswith("ok: 3 balance(s)")
