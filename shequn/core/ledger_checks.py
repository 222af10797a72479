"""Ledger checks that `shequn check-ledgers` runs: each app registers a function that recomputes its
cached balances from their append-only entries and returns the mismatches (fixing them when asked)."""

from collections.abc import Callable

Check = Callable[[bool], list[dict]]
_checks: dict[str, Check] = {}


def register(name: str, check: Check) -> None:
    """`check(fix)` → list of mismatch dicts (empty when everything adds up)."""
    _checks[name] = check


def registered() -> dict[str, Check]:
    return dict(_checks)
