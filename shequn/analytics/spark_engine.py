"""Spark 引擎: the analytics jobs on Apache Spark through Ibis — local mode on this machine, or a cluster.

One SparkContext per process (starting the JVM takes seconds); every `connect` gets its own SparkSession on it
(`newSession()`), so each run has its own session time zone and its own temporary views. The master is
`local[2]` unless SHEQUN_SPARK_MASTER names a cluster (`spark://host:7077`, `yarn`, `k8s://…`)."""

import atexit
import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings

from .engines import EngineUnavailable, checked_snapshot

LOCAL_MASTER = "local[2]"
LOG_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
MIN_JAVA = 17
TABLE_NAMES = ("transactions", "members", "stores")
_USER_LOCAL_DIRS = os.environ.get("SPARK_LOCAL_DIRS")

_lock = threading.Lock()
_session: Any = None
_scratch: Path | None = None


def master() -> str:
    return os.environ.get("SHEQUN_SPARK_MASTER", "").strip() or LOCAL_MASTER


def snapshot_root() -> Path:
    """Where a run's own snapshot is written; on a cluster this must be storage every executor sees at the
    same path (SHEQUN_SPARK_SNAPSHOT_DIR, e.g. an NFS mount)."""
    configured = os.environ.get("SHEQUN_SPARK_SNAPSHOT_DIR", "").strip()
    return Path(configured) if configured else Path(settings.VAR_DIR) / "analytics" / "spark-snapshots"


def find_java() -> Path:
    """JAVA_HOME of a Java 17+ runtime: from JAVA_HOME, else from `java` on the PATH (Spark needs it)."""
    home = os.environ.get("JAVA_HOME", "").strip()
    java = Path(home) / "bin" / "java" if home else None
    if java is None or not java.is_file():
        found = shutil.which("java")
        java = Path(found).resolve() if found else None
    if java is None:
        raise EngineUnavailable(f"Spark 引擎需要 Java 运行环境（JRE {MIN_JAVA} 或更高版本），但没有找到 java。"
                                f"请安装（例如 apt-get install openjdk-{MIN_JAVA}-jre-headless）或设置 JAVA_HOME。",
                                engine="spark")
    version = _java_major(java)
    if version < MIN_JAVA:
        raise EngineUnavailable(f"Spark 引擎需要 Java {MIN_JAVA} 或更高版本，{java} 是 Java {version}。"
                                f"请安装 JRE {MIN_JAVA}+ 并设置 JAVA_HOME。", engine="spark", java=str(java))
    return java.parent.parent


def _java_major(java: Path) -> int:
    try:
        done = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=30)
    except OSError as exc:
        raise EngineUnavailable(f"无法运行 {java}：{exc}。Spark 引擎需要 JRE {MIN_JAVA}+。", engine="spark") from exc
    found = re.search(r'version "(\d+)(?:\.(\d+))?', done.stderr + done.stdout)
    if not found:
        return 0
    major = int(found.group(1))
    return int(found.group(2) or 0) if major == 1 else major  # "1.8.0_292" is Java 8


def shared_session() -> Any:
    """The process's SparkSession, started on first use (and again if it was stopped)."""
    global _session
    with _lock:
        if _session is None or _session.sparkContext._jsc is None:
            _session = _start()
        return _session


def _start() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise EngineUnavailable("Spark 引擎需要安装 pyspark：uv sync --extra spark（或改用 duckdb / postgres）。",
                                engine="spark") from exc
    global _scratch
    os.environ["JAVA_HOME"] = str(find_java())  # the JVM launcher reads it; a stale JAVA_HOME is replaced
    url = master()
    if _scratch is not None:  # left by a context that was stopped from outside
        shutil.rmtree(_scratch, ignore_errors=True)
    _scratch = Path(tempfile.mkdtemp(prefix="shequn-spark-"))
    conf = {
        "spark.app.name": "shequn-analytics",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.warehouse.dir": str(_scratch / "warehouse"),
        "spark.sql.catalogImplementation": "in-memory",
        "spark.driver.extraJavaOptions": f"-Djava.io.tmpdir={_scratch} -Dlog4j2.configurationFile={LOG_CONFIG}",
        # the same answers on every Spark version and cluster: ANSI SQL, no legacy calendar rebasing
        "spark.sql.ansi.enabled": "true",
        "spark.sql.parquet.datetimeRebaseModeInRead": "CORRECTED",
        "spark.sql.parquet.int96RebaseModeInRead": "CORRECTED",
        "spark.sql.session.timeZone": "UTC",
    }
    if url.startswith("local"):  # read by the JVM launched below; a cluster manager sets its own
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python workers of the same interpreter
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        if not _USER_LOCAL_DIRS:  # shuffle spill in the scratch directory unless the operator chose a disk
            os.environ["SPARK_LOCAL_DIRS"] = str(_scratch / "local")
        conf.update({"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                     "spark.sql.shuffle.partitions": "4"})
    builder = SparkSession.builder.master(url)
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")  # warnings while starting, then errors only (no per-query chatter)
    return session


@atexit.register
def stop_shared_session() -> None:
    """Stop the process's SparkContext and remove its scratch directory."""
    global _session, _scratch
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None
        if _scratch is not None:
            shutil.rmtree(_scratch, ignore_errors=True)
            _scratch = None


def connect(zone: str, snapshot: Path | str | None) -> tuple[Any, dict[str, Any]]:
    """A backend on a new session of the shared context with the three snapshot tables registered.

    `snapshot` may be a local folder or a URL the cluster reads (hdfs://…, s3a://…); without it a snapshot
    is written for this run and removed on disconnect."""
    if snapshot is not None and "://" not in str(snapshot):
        snapshot = checked_snapshot(Path(snapshot))
    session = shared_session().newSession()
    backend = _backend_class()().connect(session, **{"spark.sql.session.timeZone": zone})
    if snapshot is None:
        from .snapshot import write_snapshot

        snapshot = backend.owned_snapshot = write_snapshot(snapshot_root() / uuid.uuid4().hex)
    try:
        base = str(snapshot).rstrip("/")
        tables = {name: backend.read_parquet(f"{base}/{name}.parquet", table_name=f"snapshot_{name}")
                  for name in TABLE_NAMES}
    except BaseException:
        backend.disconnect()
        raise
    return backend, tables


@functools.cache
def _backend_class() -> type:
    from ibis.backends.pyspark import Backend

    class SparkBackend(Backend):
        """Ibis' PySpark backend whose `disconnect` frees this run's views and snapshot, not the shared context."""

        owned_snapshot: Path | None = None

        def disconnect(self) -> None:
            for name in TABLE_NAMES:
                self._session.catalog.dropTempView(f"snapshot_{name}")  # False when it was never made
            if self.owned_snapshot is not None:
                shutil.rmtree(self.owned_snapshot, ignore_errors=True)

    return SparkBackend
