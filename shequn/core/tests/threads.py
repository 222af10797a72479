"""Run a function in N threads that start together, each on its own database connection."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(n: int, fn: Callable[[int], Any], timeout: float = 60) -> list[Any]:
    """Call fn(i) for i in range(n) at the same moment; returns each result or the exception raised."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = fn(i)
        except BaseException as exc:  # collected for the test to inspect
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,), name=f"client-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    stuck = [t.name for t in threads if t.is_alive()]
    assert not stuck, f"threads did not finish: {stuck}"
    return results
