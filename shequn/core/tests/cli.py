"""Run the real `shequn` command (or Python) as a subprocess on its own var/ directory (SQLite, keys)."""

import os
import subprocess
import sys
from pathlib import Path

SHEQUN = Path(sys.executable).parent / "shequn"


def run(var: Path, argv: list[str], timeout: float = 180) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SHEQUN_PII_KEY", "SHEQUN_SECRET_KEY"}}
    env.update(SHEQUN_VAR_DIR=str(var), SHEQUN_LOG_LEVEL="WARNING", COLUMNS="120",
               DJANGO_SETTINGS_MODULE="shequn.config.settings")
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout)


def shequn(var: Path, *args: str) -> subprocess.CompletedProcess:
    return run(var, [str(SHEQUN), *args])
