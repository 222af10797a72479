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


def spread(items: list, fn: Callable[[Any], Any], workers: int = 30, timeout: float = 180) -> list[Any]:
    """Share `items` among `workers` threads started together; each calls fn(item) in turn.

    Returns every result or the business exception it raised (in no particular order); a thread that
    crashed outright fails the test. 30 threads: local PostgreSQL allows 100 connections in all."""

    def share(worker: int) -> list:
        out = []
        for item in items[worker::workers]:
            try:
                out.append(fn(item))
            except Exception as exc:  # collected for the test to inspect
                out.append(exc)
        return out

    per_worker = run_together(workers, share, timeout=timeout)
    crashed = [r for r in per_worker if isinstance(r, BaseException)]
    assert not crashed, crashed[:3]
    return [r for results in per_worker for r in results]


def bulk_members(store, n: int, label: str, *, accounts: bool = False) -> list:
    """n members of `store` made in one insert (names `{label}{i}`), with loyalty accounts when asked."""
    from django.utils import timezone

    from shequn.core.actor import SYSTEM
    from shequn.loyalty.services import open_account
    from shequn.members.models import Member
    from shequn.members.services import next_member_numbers

    made = list(Member.objects.bulk_create(
        Member(member_no=no, name=f"{label}{i}", home_store=store, external_id=f"{label}-{i}",
               joined_at=timezone.now()) for i, no in enumerate(next_member_numbers(n))))
    if accounts:
        for member in made:
            open_account(member, SYSTEM)
    return made
