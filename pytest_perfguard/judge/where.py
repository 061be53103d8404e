"""Where a regression happened: two profiles diffed function by function (pure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol, TypeVar

from pytest_perfguard.model import FunctionChange, FunctionCost, Where

__all__ = ["TOP", "diff_profiles", "match_functions"]

TOP = 10
"""Functions listed per ranking."""


class Located(Protocol):
    """A function's entry (a profiled function, an allocation site): its file, name, line."""

    @property
    def file(self) -> str: ...
    @property
    def line(self) -> int: ...
    @property
    def function(self) -> str: ...


L = TypeVar("L", bound=Located)
Pair = tuple[L | None, L | None]


def _nearest(base: list[L], head: list[L]) -> list[Pair[L]]:
    """Pairs of one name in one file when the sides hold different numbers of them: closest
    first lines first (the same line, then a small shift), each function used once."""
    options = sorted(
        (abs(h.line - b.line), b.line, h.line, i, j)
        for i, b in enumerate(base)
        for j, h in enumerate(head)
    )
    used_b: set[int] = set()
    used_h: set[int] = set()
    pairs: list[Pair[L]] = []
    for *_, i, j in options:
        if i not in used_b and j not in used_h:
            used_b.add(i)
            used_h.add(j)
            pairs.append((base[i], head[j]))
    pairs += [(b, None) for i, b in enumerate(base) if i not in used_b]
    pairs += [(None, h) for j, h in enumerate(head) if j not in used_h]
    return pairs


def match_functions(base: Sequence[L], head: Sequence[L]) -> list[Pair[L]]:
    """Each function of either profile with its counterpart on the other side (None if none).

    A function is its file and its name, not its line: an edit above it moves it, and it is
    still the same function; a renamed one is removed and added. Where one file holds several
    functions of one name (methods `__init__`, `<lambda>`, `<listcomp>`), they are told apart
    by their order in the file: the same number on both sides pairs the n-th with the n-th
    (edits move them together); different numbers (a saved profile keeps only its top
    functions, or one was added) pair the closest first lines first.
    """
    sides: dict[tuple[str, str], tuple[list[L], list[L]]]
    sides = defaultdict(lambda: ([], []))
    for f in base:
        sides[f.file, f.function][0].append(f)
    for f in head:
        sides[f.file, f.function][1].append(f)
    pairs: list[Pair[L]] = []
    for key in sorted(sides):
        old = sorted(sides[key][0], key=lambda f: f.line)
        new = sorted(sides[key][1], key=lambda f: f.line)
        if len(old) == len(new):
            pairs += zip(old, new, strict=True)
        else:
            pairs += _nearest(old, new)
    return pairs


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

    Functions are matched by `match_functions` (file and name, not line); a change is named
    by head's line where head has the function. A function absent from one side counts as 0
    there (a saved profile keeps only its top functions, so a change there is a lower bound).
    None when either side has no profile. Ties are broken by name, so the same profiles always
    give the same lists.
    """
    if not base or not head:
        return None
    changes = []
    for b, h in match_functions(base, head):
        named = h if h is not None else b
        assert named is not None
        changes.append(
            FunctionChange(
                named.file,
                named.line,
                named.function,
                base_calls=b.calls_per_op if b else 0.0,
                head_calls=h.calls_per_op if h else 0.0,
                base_own_ns=b.own_ns if b else 0.0,
                head_own_ns=h.own_ns if h else 0.0,
            )
        )
    changes.sort(key=lambda c: (c.file, c.function, c.line))
    by_time = sorted(changes, key=lambda c: -abs(c.head_own_ns - c.base_own_ns))
    by_calls = [c for c in changes if c.head_calls != c.base_calls]
    by_calls.sort(key=lambda c: -abs(c.head_calls - c.base_calls))
    return Where(tuple(by_time[:top]), tuple(by_calls[:top]), base_name, live)
