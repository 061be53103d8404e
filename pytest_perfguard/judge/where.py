"""Where a regression happened: two profiles diffed function by function (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.model import FunctionChange, FunctionCost, Where

__all__ = ["TOP", "diff_profiles"]

TOP = 10
"""Functions listed per ranking."""


def _key(f: FunctionCost) -> tuple[str, int, str]:
    return f.file, f.line, f.function


def diff_profiles(
    base: Sequence[FunctionCost],
    head: Sequence[FunctionCost],
    base_name: str,
    top: int = TOP,
    *,
    live: bool = False,
) -> Where | None:
    """The `top` functions by the largest change in own time per op, and those by the largest
    change in calls per op (rises and falls alike, largest first), base against head.

    A function absent from one side counts as 0 there (a saved profile keeps only its top
    functions, so a change there is a lower bound). None when either side has no profile.
    Ties are broken by name, so the same profiles always give the same lists.
    """
    if not base or not head:
        return None
    old = {_key(f): f for f in base}
    new = {_key(f): f for f in head}
    changes = []
    for key in sorted(old.keys() | new.keys()):
        b, h = old.get(key), new.get(key)
        changes.append(
            FunctionChange(
                *key,
                base_calls=b.calls_per_op if b else 0.0,
                head_calls=h.calls_per_op if h else 0.0,
                base_own_ns=b.own_ns if b else 0.0,
                head_own_ns=h.own_ns if h else 0.0,
            )
        )
    by_time = sorted(changes, key=lambda c: -abs(c.head_own_ns - c.base_own_ns))
    by_calls = [c for c in changes if c.head_calls != c.base_calls]
    by_calls.sort(key=lambda c: -abs(c.head_calls - c.base_calls))
    return Where(tuple(by_time[:top]), tuple(by_calls[:top]), base_name, live)
