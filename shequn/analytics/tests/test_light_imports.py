"""Starting the server must not load the analytics engines: pandas, Ibis and SciPy cost seconds to import
and are needed only when a job runs, so URL routing and every page's module import without them."""

import subprocess
import sys

HEAVY = ("pandas", "ibis", "scipy", "duckdb", "pyspark")
PROBE = """
import os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shequn.config.settings")
import django
django.setup()
import shequn.config.urls  # every router and console view
from django.urls import get_resolver
get_resolver().url_patterns
print(",".join(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def test_routing_and_views_import_without_the_analytics_engines():
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded at start-up: {done.stdout.strip()}"
