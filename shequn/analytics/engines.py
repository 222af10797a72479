"""计算引擎: where the Ibis analytics jobs run — embedded DuckDB (default), PostgreSQL, or Spark.

Every engine exposes the same three tables (transactions, members, stores) with the same columns, and its
session time zone is set to the run's zone, so `occurred_at.date()` is the local calendar day everywhere."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
from django.conf import settings
from django.db import connections

from shequn.core.errors import Problem, ValidationProblem

ENGINES = ("duckdb", "postgres", "spark")
TRANSACTION_COLUMNS = ("id", "member_id", "occurred_at", "amount_fen", "quantity", "order_no", "store_id", "sku",
                       "source", "source_ref")
MEMBER_COLUMNS = ("id", "home_store_id", "joined_at")
STORE_COLUMNS = ("id", "code", "timezone")


class EngineUnavailable(Problem):
    status, type, title = 503, "analytics-engine-unavailable", "Analytics engine unavailable"


class UnknownEngine(ValidationProblem):
    type = "unknown-analytics-engine"


class BadTimeZone(ValidationProblem):
    type = "bad-time-zone"


@dataclass
class Tables:
    transactions: Any  # ibis.Table
    members: Any
    stores: Any


def connect(engine: str = "duckdb", *, snapshot: Path | str | None = None,
            time_zone: str | None = None) -> tuple[Any, Tables]:
    """Open an Ibis backend on `engine` and return it with the analytics tables.

    duckdb and spark read a Parquet snapshot (`snapshot`, or a fresh one written now); postgres reads the
    live tables of the Django database. Spark runs in local mode unless SHEQUN_SPARK_MASTER names a cluster."""
    zone = _check_zone(time_zone or settings.TIME_ZONE)
    if engine == "duckdb":
        return _duckdb(snapshot, zone)
    if engine == "postgres":
        return _postgres(zone)
    if engine == "spark":
        return _spark(zone, snapshot)
    raise UnknownEngine(f"未知的分析引擎 {engine!r}，可选：{', '.join(ENGINES)}。", engine=engine)


def _check_zone(zone: str) -> str:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadTimeZone(f"时区 {zone!r} 无效，请使用 IANA 时区名，例如 Asia/Shanghai。") from exc
    return zone


def _duckdb(snapshot: Path | str | None, zone: str) -> tuple[Any, Tables]:
    from .snapshot import write_snapshot

    folder = checked_snapshot(Path(snapshot)) if snapshot is not None else write_snapshot()
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET TimeZone = '{zone}'")  # zone checked against the IANA database above
    tables = Tables(*(con.read_parquet(folder / f"{name}.parquet", table_name=f"snapshot_{name}")
                      for name in ("transactions", "members", "stores")))
    return con, tables


def checked_snapshot(folder: Path) -> Path:
    """`folder` if it holds the three snapshot tables; a bad-snapshot problem otherwise."""
    missing = [name for name in ("transactions", "members", "stores") if not (folder / f"{name}.parquet").is_file()]
    if missing:
        raise ValidationProblem(f"快照目录 {folder} 缺少 {', '.join(missing)}.parquet，请重新生成快照。",
                                type="bad-snapshot")
    return folder


def _postgres(zone: str) -> tuple[Any, Tables]:
    db = connections["default"].settings_dict
    if "postgresql" not in db["ENGINE"]:
        raise EngineUnavailable("PostgreSQL 引擎需要运营数据库是 PostgreSQL（设置 DATABASE_URL=postgres://…）。",
                                engine="postgres")
    con = ibis.postgres.connect(host=db.get("HOST") or None, port=int(db.get("PORT") or 5432),
                                user=db.get("USER") or None, password=db.get("PASSWORD") or None,
                                database=db["NAME"])
    con.raw_sql(f"SET TIME ZONE '{zone}'").close()
    tables = Tables(con.table("analytics_transaction").select(*TRANSACTION_COLUMNS),
                    con.table("members_member").select(*MEMBER_COLUMNS),
                    con.table("stores_store").select(*STORE_COLUMNS))
    return con, tables


def _spark(zone: str, snapshot: Path | str | None) -> tuple[Any, Tables]:
    from . import spark_engine

    backend, tables = spark_engine.connect(zone, snapshot)
    return backend, Tables(tables["transactions"], tables["members"], tables["stores"])
