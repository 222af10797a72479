"""Points redeem throughput on PostgreSQL: service layer and HTTP beside raw SQL.

For 1, 8 and 32 concurrent clients (threads), each client redeeming 10 points in
a loop for a few seconds, in two patterns: every client on its own member, and
all clients on one hot member. Each figure is shown beside a raw-SQL reference
measured in the same run on the same server with the same concurrency: a psycopg
loop of `UPDATE … SET balance = balance - 10 WHERE id = %s AND balance >= 10` on
a scratch table. Printed, not asserted.

The script creates its own database (dropped at the end) and starts a real
server with `shequn serve --no-embedded-worker` on a free port.

    .venv/bin/python bench/redeem_throughput.py [--seconds 3] [--clients 1,8,32]

DATABASE_URL selects the server and database name
(default postgres://postgres@127.0.0.1:5432/shequn_bench).
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/shequn_bench"
POINTS_EACH = 10
STARTING_BALANCE = 10_000_000


# -- database lifecycle -----------------------------------------------------------------------

def admin_connect(url: str):
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    conn = psycopg.connect(host=cfg["HOST"] or "127.0.0.1", port=cfg["PORT"] or 5432, user=cfg["USER"],
                           password=cfg["PASSWORD"] or None, dbname="postgres", autocommit=True)
    return conn, cfg["NAME"]


def recreate_database(url: str) -> None:
    conn, name = admin_connect(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(url: str) -> None:
    conn, name = admin_connect(url)
    with conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def raw_connect(url: str):
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


# -- measuring --------------------------------------------------------------------------------

def measure(clients: int, seconds: float, make_client: Callable[[int], Callable[[], bool]]) -> tuple[float, int]:
    """Run `clients` threads, each calling its op in a loop for `seconds`; returns (ops/s, failures)."""
    barrier = threading.Barrier(clients + 1)
    done = [0] * clients
    failed = [0] * clients
    stop = threading.Event()

    def worker(i: int) -> None:
        op, close = make_client(i)
        try:
            barrier.wait()
            while not stop.is_set():
                if op():
                    done[i] += 1
                else:
                    failed[i] += 1
        finally:
            close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return sum(done) / elapsed, sum(failed)


def raw_client(url: str, row_for: Callable[[int], int]):
    def make(i: int):
        conn = raw_connect(url)
        row = row_for(i)
        sql = "UPDATE bench_balance SET balance = balance - %s WHERE id = %s AND balance >= %s"

        def op() -> bool:
            return conn.execute(sql, (POINTS_EACH, row, POINTS_EACH)).rowcount == 1

        return op, conn.close

    return make


def service_client(member_for: Callable[[int], int]):
    from django.db import connections

    from shequn.core.actor import Actor
    from shequn.loyalty.errors import InsufficientPoints
    from shequn.loyalty.services import redeem

    actor = Actor(kind="system", id="bench", label="bench")

    def make(i: int):
        member_id = member_for(i)

        def op() -> bool:
            try:
                redeem(actor, member_id, POINTS_EACH, source="bench", reason="bench")
                return True
            except InsufficientPoints:
                return False

        return op, connections.close_all

    return make


def http_client(base: str, token: str, member_for: Callable[[int], int]):
    import httpx

    def make(i: int):
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        path = f"/api/v1/members/{member_for(i)}/points/redeem"
        body = {"points": POINTS_EACH, "reason": "bench"}

        def op() -> bool:
            r = client.post(path, json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
            return r.status_code == 201

        return op, client.close

    return make


# -- set-up -----------------------------------------------------------------------------------

def set_up(url: str, members: int) -> tuple[list[int], int, str]:
    """Migrate, create members with large balances, the scratch table and an API token."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from shequn.accounts.staff import ensure_staff
    from shequn.accounts.tokens import issue_token
    from shequn.core.actor import SYSTEM
    from shequn.loyalty.services import earn, ensure_default_tiers
    from shequn.members.services import create_member
    from shequn.stores.services import create_store

    ensure_default_tiers()
    store = create_store(SYSTEM, code="BENCH", name="压测门店", city="上海")
    ids = []
    for n in range(members + 1):
        member = create_member(SYSTEM, phone=f"1390000{n:04d}", name=f"压测{n}", store=store)
        for _ in range(4):  # several lots, as a real member would have
            earn(SYSTEM, member.pk, STARTING_BALANCE // 4, source="bench", reason="bench")
        ids.append(member.pk)
    user, _ = ensure_staff(SYSTEM, "bench", role="owner")
    token = issue_token(SYSTEM, user, name="bench")[1]
    with raw_connect(url) as conn:
        conn.execute("CREATE TABLE bench_balance (id integer PRIMARY KEY, balance bigint NOT NULL)")
        conn.execute("INSERT INTO bench_balance SELECT g, %s FROM generate_series(0, %s) g",
                     (STARTING_BALANCE, members))
    return ids[:members], ids[members], token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict, log_path: Path) -> subprocess.Popen:
    import httpx

    log = open(log_path, "w")
    proc = subprocess.Popen([str(BIN / "shequn"), "serve", "--port", str(port), "--no-embedded-worker"],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early; see {log_path}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"server did not start within 90 s; see {log_path}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# -- main -------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell")
    parser.add_argument("--clients", default="1,8,32", help="comma-separated concurrency levels")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]

    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("This benchmark needs PostgreSQL: set DATABASE_URL=postgres://…")
    var_dir = Path(tempfile.mkdtemp(prefix="shequn-bench-"))
    env = {k: v for k, v in os.environ.items() if k not in {"SHEQUN_PII_KEY", "SHEQUN_SECRET_KEY"}}
    env.update(DATABASE_URL=url, SHEQUN_VAR_DIR=str(var_dir), SHEQUN_LOG_LEVEL="WARNING",
               DJANGO_SETTINGS_MODULE="shequn.config.settings")
    os.environ.update(env)

    recreate_database(url)
    server = None
    try:
        print(f"setting up {max(levels)} members + 1 hot member on {url.rsplit('@', 1)[-1]} …", flush=True)
        own_ids, hot_id, token = set_up(url, max(levels))
        port = free_port()
        server = start_server(port, env, var_dir / "server.log")
        base = f"http://127.0.0.1:{port}"
        print(f"server: shequn serve (granian, 1 worker × 8 threads) on {base}; {args.seconds:g} s per cell; "
              f"{os.cpu_count()} CPU(s)\n", flush=True)

        rows = []
        for pattern in ("own", "hot"):
            for clients in levels:
                def member_for(i, pattern=pattern):
                    return own_ids[i] if pattern == "own" else hot_id

                def row_for(i, pattern=pattern):
                    return i if pattern == "own" else len(own_ids)

                raw, raw_failed = measure(clients, args.seconds, raw_client(url, row_for))
                svc, svc_failed = measure(clients, args.seconds, service_client(member_for))
                http, http_failed = measure(clients, args.seconds, http_client(base, token, member_for))
                rows.append((clients, pattern, raw, svc, http, raw_failed + svc_failed + http_failed))
                print(f"  measured {pattern:>3} × {clients:<2}", flush=True)

        print()
        header = (f"{'clients':>7}  {'members':<12} {'raw SQL/s':>10} {'service/s':>10} {'svc/raw':>8} "
                  f"{'HTTP/s':>9} {'HTTP/raw':>9}")
        print(header)
        print("-" * len(header))
        for clients, pattern, raw, svc, http, failed in rows:
            label = "own member" if pattern == "own" else "one hot"
            note = f"  ({failed} refused)" if failed else ""
            print(f"{clients:>7}  {label:<12} {raw:>10,.0f} {svc:>10,.0f} {svc / raw:>8.1%} "
                  f"{http:>9,.0f} {http / raw:>9.1%}{note}")

        from shequn.loyalty.services import check_ledgers

        drift = check_ledgers()
        print(f"\nledger check after the run: {'ok' if not drift else f'{len(drift)} drifted'}")
    finally:
        if server is not None:
            stop_server(server)
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django may not be set up if the set-up failed early
            pass
        drop_database(url)
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
