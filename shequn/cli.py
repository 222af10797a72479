"""`shequn`: one command line for running and operating Shequn."""

import os
import signal
import subprocess
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Shequn (社群): store + community platform.", no_args_is_help=True,
                  add_completion=False)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequn.config.settings")
    import django

    django.setup()


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Create or upgrade the database tables."""
    _setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    from shequn.loyalty.services import ensure_default_tiers, program

    ensure_default_tiers()
    program()


@app.command()
def worker(with_scheduler: Annotated[bool, typer.Option(help="Also enqueue periodic jobs.")] = True) -> None:
    """Run background jobs (outbox, points expiry, tier review, bulk grants)."""
    _setup()
    from django.core.management import call_command

    from shequn.core import scheduler

    stop = threading.Event()
    if with_scheduler:
        threading.Thread(target=scheduler.run_forever, args=(stop,), daemon=True, name="scheduler").start()
    try:
        call_command("db_worker", queue_name="*", interval=1, reload=False, verbosity=1)
    finally:
        stop.set()


@app.command()
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
          workers: Annotated[int, typer.Option(help="Server worker processes.")] = 1,
          threads: Annotated[int, typer.Option(help="Threads per worker.")] = 8,
          embedded_worker: Annotated[bool, typer.Option(help="Run the background worker too.")] = True) -> None:
    """Serve the console, member pages and API with granian (and the background worker)."""
    os.environ.setdefault("SHEQUN_DEBUG", "0")
    _setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    procs: list[subprocess.Popen] = []
    exe = Path(sys.executable).parent
    if embedded_worker:
        procs.append(subprocess.Popen([str(exe / "shequn"), "worker"]))
    procs.append(subprocess.Popen([
        str(exe / "granian"), "--interface", "wsgi", "--host", host, "--port", str(port),
        "--workers", str(workers), "--blocking-threads", str(threads), "--no-access-log",
        "shequn.config.wsgi:application"]))

    def _stop(*_):
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while all(proc.poll() is None for proc in procs):
            try:
                procs[-1].wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    finally:
        _stop()
        for proc in procs:
            proc.wait(timeout=20)


@app.command()
def demo(serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                                  help="Start the server after loading.")] = False,
         host: str = "127.0.0.1", port: int = 8000,
         members: Annotated[int, typer.Option(help="How many demo members to create.")] = 2000) -> None:
    """Migrate and load the demo data (idempotent), print the logins, optionally serve."""
    os.environ["SHEQUN_DEMO"] = "1"
    migrate()
    from shequn.demo.loader import load_demo, print_logins

    load_demo(members=members)
    print_logins(f"http://{host}:{port}")
    if serve_after:
        serve(host=host, port=port)


def _fail_with_row_errors(errors, code: int = 1) -> None:
    """Print an import's bad rows (line: message; the first 200) and exit: nothing was written."""
    for err in errors[:200]:
        where = f"line {err.line}: " if err.line else ""
        typer.secho(f"{where}{err.message}", fg=typer.colors.RED, err=True)
    if len(errors) > 200:
        typer.secho(f"… and {len(errors) - 200} more errors", fg=typer.colors.RED, err=True)
    _fail(f"{len(errors)} problem(s) found; nothing was imported.", code)


@app.command("import-members")
def import_members(path: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-8 BOM, GBK) or XLSX file.")],
                   store: Annotated[str | None, typer.Option(help="Home store code for rows without one.")] = None,
                   dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False) -> None:
    """Import members; all-or-nothing, every bad row reported with its line number."""
    _setup()
    from rich.progress import Progress

    from shequn.core.actor import Actor
    from shequn.members.importer import import_members as run_import

    if not path.exists():
        _fail(f"No such file: {path}", 2)
    actor = Actor(kind="system", id="cli", label="cli:import-members",
                  permissions=frozenset({"members.write", "members.import"}))
    with Progress(transient=True) as progress:
        bar = progress.add_task("Importing members", total=None)

        def report(done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total)

        result = run_import(path, store_code=store, dry_run=dry_run, actor=actor, progress=report)
    if result.errors:
        _fail_with_row_errors(result.errors)
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {result.created} member(s) from {result.total} row(s)")


@app.command("import-transactions")
def import_transactions(
        path: Annotated[Path, typer.Argument(help="CSV (UTF-8, UTF-8 BOM, GBK) or XLSX file: member_external_id, "
                                                  "occurred_at, amount (yuan), quantity [, order_no, store_code, "
                                                  "sku].")],
        dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
        create_members: Annotated[bool, typer.Option(help="Create members not yet known (--no-create-members: "
                                                          "report them as bad rows).")] = True) -> None:
    """Import purchase history for analytics; all-or-nothing, bad rows reported by line, re-import adds nothing."""
    _setup()
    from rich.progress import Progress

    from shequn.analytics.importer import import_transactions as run_import
    from shequn.core.actor import Actor

    if not path.exists():
        _fail(f"No such file: {path}", 2)
    actor = Actor(kind="system", id="cli", label="cli:import-transactions",
                  permissions=frozenset({"members.write", "members.import"}))
    with Progress(transient=True) as progress:
        bar = progress.add_task("Importing transactions", total=None)
        result = run_import(actor, path, dry_run=dry_run, create_members=create_members,
                            progress=lambda done, total: progress.update(bar, completed=done, total=total))
    if result.errors:
        _fail_with_row_errors(result.errors, code=2)
    verb = "would import" if dry_run else "imported"
    typer.echo(f"{verb} {result.created} transaction(s) from {result.rows} row(s); "
               f"{result.skipped_existing} already imported; {result.members_created} new member(s)")


@app.command("create-api-token")
def create_api_token(username: Annotated[str, typer.Option(help="Staff user (created if missing).")],
                     role: Annotated[str | None, typer.Option(help="owner, hq_operator, store_manager, "
                                                              "community_operator or analyst.")] = None,
                     store: Annotated[list[str] | None, typer.Option(help="Store code (repeat for several).")] = None,
                     name: Annotated[str, typer.Option(help="Label for the token.")] = "cli") -> None:
    """Create an API token and print only the token."""
    _setup()
    from shequn.accounts.staff import ensure_staff
    from shequn.accounts.tokens import issue_token
    from shequn.core.actor import Actor
    from shequn.core.errors import Problem

    actor = Actor(kind="system", id="cli", label="cli:create-api-token")
    try:
        user, _ = ensure_staff(actor, username, role=role, store_codes=store or None)
    except Problem as exc:
        _fail(exc.detail, 2)
    _, raw = issue_token(actor, user, name=name)
    typer.echo(raw)


@app.command("check-ledgers")
def check_ledgers(fix: Annotated[bool, typer.Option(help="Reset drifted balances to their ledger sum.")] = False,
                  ) -> None:
    """Recompute every points balance, red packet, stock level and commission balance from their ledgers."""
    _setup()
    from shequn.loyalty.models import LoyaltyAccount
    from shequn.loyalty.services import check_ledgers as run_check

    drift = run_check(fix=fix)
    checked = LoyaltyAccount.objects.count()
    for row in drift:
        typer.echo(f"member {row['member_id']}: balance {row['balance']}, ledger {row['ledger_sum']}, "
                   f"lots {row['lots_sum']}, last entry {row['last_balance_after']}")
    from shequn.communities.red_packets import check_red_packets

    packet_drift = check_red_packets()
    for row in packet_drift:
        typer.echo(f"red packet {row['red_packet_id']}: total {row['total_fen']}, grabbed {row['grabbed_fen']}, "
                   f"remaining {row['remaining_fen']}, refunded {row['refunded_fen']}, group cost {row['cost_fen']}")
    from shequn.core.ledger_checks import registered

    other_drift = 0
    for name, check in registered().items():
        rows = check(fix)
        other_drift += len(rows)
        for row in rows:
            typer.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in row.items()))
    if packet_drift:
        _fail(f"{len(packet_drift)} red packet(s) do not add up")
    if drift or other_drift:
        parts = [f"{len(drift)} of {checked} balance(s) drifted"] if drift else []
        parts += [f"{other_drift} stock or commission balance(s) drifted"] if other_drift else []
        _fail("; ".join(parts) + (" (fixed)" if fix else ""))
    typer.echo(f"ok: {checked} balance(s) match their ledgers")


analytics_app = typer.Typer(help="Customer intelligence: lifetime value and churn risk.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


class TimeUnit(StrEnum):
    day = "day"
    week = "week"


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


@analytics_app.command("clv")
def analytics_clv(
        calibration_end: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD, store calendar) the models see.")],
        time_unit: Annotated[TimeUnit, typer.Option(help="Unit of recency, age and alpha.")] = TimeUnit.week,
        store: Annotated[str | None, typer.Option(help="Only this store's transactions (store code).")] = None,
        output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.table,
) -> None:
    """Fit BG/NBD + Gamma-Gamma, store every member's value and churn risk, print the fit."""
    import datetime as dt
    import json
    import warnings

    try:
        end = dt.date.fromisoformat(calibration_end)
    except ValueError:
        _fail(f"--calibration-end must be a date like 2026-09-30, not {calibration_end!r}", 2)
    _setup()
    from shequn.analytics.clv.report import as_dict, as_table
    from shequn.analytics.clv.scoring import run_clv
    from shequn.core.actor import Actor
    from shequn.core.errors import Problem

    actor = Actor(kind="system", id="cli", label="cli:analytics-clv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            run, scores = run_clv(actor, calibration_end=end, time_unit=time_unit.value, store_code=store)
        except Problem as exc:
            _fail(exc.detail, 2)
    for warning in caught:
        if "spend model" in str(warning.message):
            typer.secho(f"warning: {warning.message}", fg=typer.colors.YELLOW, err=True)
    typer.echo(json.dumps(as_dict(run, scores), ensure_ascii=False, indent=2) if output is OutputFormat.json
               else as_table(run, scores))


@analytics_app.command("evaluate-recs")
def analytics_evaluate_recs(
        split_date: Annotated[str | None, typer.Option(
            help="First test day (YYYY-MM-DD); default: the last 30 days of purchases are the test.")] = None,
        output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.table,
) -> None:
    """Recommendations against the popularity baseline: precision@10, recall@10 and hit rate on a time split."""
    import datetime as dt
    import json

    split = None
    if split_date is not None:
        try:
            split = dt.date.fromisoformat(split_date)
        except ValueError:
            _fail(f"--split-date must be a date like 2026-09-30, not {split_date!r}", 2)
    _setup()
    from shequn.analytics.recommend_eval import as_table, evaluate_from_database
    from shequn.core.errors import Problem

    try:
        result = evaluate_from_database(split)
    except Problem as exc:
        _fail(exc.detail, 2)
    typer.echo(json.dumps(result.as_dict(), indent=2) if output is OutputFormat.json else as_table(result))


class Engine(StrEnum):
    duckdb = "duckdb"
    postgres = "postgres"
    spark = "spark"


@analytics_app.command("rfm")
def analytics_rfm(
        as_of: Annotated[str, typer.Option(help="Last day (YYYY-MM-DD, local calendar) the scores see.")],
        store: Annotated[str | None, typer.Option(help="Only this store's home members (store code).")] = None,
        engine: Annotated[Engine, typer.Option(help="duckdb (Parquet snapshot), postgres or spark.")] = Engine.duckdb,
        output: Annotated[OutputFormat, typer.Option("--format", help="table or json.")] = OutputFormat.table,
) -> None:
    """RFM scores and cells per member, stored in the database (re-running a day replaces that day's run),
    with movement since the previous run of the same scope."""
    import datetime as dt
    import json

    try:
        day = dt.date.fromisoformat(as_of)
    except ValueError:
        _fail(f"--as-of must be a date like 2026-06-30, not {as_of!r}", 2)
    _setup()
    from shequn.analytics.rfm import run_rfm, summary_table
    from shequn.core.errors import Problem

    try:
        summary = run_rfm(engine.value, day, store=store)
    except Problem as exc:
        _fail(exc.detail, 2)
    typer.echo(json.dumps(summary, ensure_ascii=False, indent=2) if output is OutputFormat.json
               else summary_table(summary))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
