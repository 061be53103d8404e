"""The sites pass: where the allocations are made, per op, by function and line.

It runs after the allocation pass, with the same hook (_perfguard_allocount) recording, for
every counted allocation, the code object and instruction of the counting thread's current
Python frame. It is a pass of its own so that the allocation pass's counts stay exact whatever
recording sites costs (on 3.12+ reading the frame makes a frame object, uncounted but GC
tracked). Like the allocation pass it counts `n` calls less an empty window of 0 calls.

What the benchmark's own frames did not make is never dropped: allocations with no frame,
made without the GIL, or by C code that perfguard's own loop called directly (`perf(sorted,
data)`) add up to one site, NO_FRAME, so the sites always sum to the pass's total.
"""

from __future__ import annotations

import gc
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from types import CodeType
from typing import Protocol, cast

from pytest_perfguard.measure.allocations import AllocationCounter, allocation_counter, counting
from pytest_perfguard.measure.profile import HARNESS, short_file
from pytest_perfguard.measure.steps import Kind, Pass, Step
from pytest_perfguard.model import NO_FRAME, AllocSite, Measurement

__all__ = ["SITES_COST", "SiteHooks", "SitesResult", "resolve", "sites_pass", "with_sites"]

SUPPORTED = sys.version_info >= (3, 11)
"""Sites need Python 3.11+: code objects' qualified names, and a frame layout whose current
frame at the hook is the allocating one (on 3.10, a call's frame object is allocated while its
caller is current, and the counts per site came out wrong)."""
UNSUPPORTED_NOTE = (
    "allocation sites n/a: they need Python 3.11 or later (this is "
    f"{sys.version_info.major}.{sys.version_info.minor}); allocs/op and B/op are counted as usual"
)

SITES_COST = 3.0
"""A call with its allocation sites recorded, relative to a timed one, with margin."""
RawSite = tuple["CodeType | None", int, int, int, "int | None"]
"""(code object or None for no frame, instruction byte offset or -1, allocations, bytes,
objects created or None where not counted: before 3.13)."""


class SiteHooks(Protocol):
    """The extension's site recording, on top of the counting hooks."""

    def record_sites(self, on: bool) -> None: ...
    def sites(self) -> list[RawSite]: ...


@dataclass(frozen=True, slots=True)
class SitesResult:
    """The sites of one pass, by allocs/op (largest first), or none and why."""

    sites: tuple[AllocSite, ...] = ()
    note: str | None = None


def line_of(code: CodeType, lasti: int) -> int:
    """The line of the instruction at byte offset `lasti` (the first line before any)."""
    if lasti >= 0:
        for start, end, line in code.co_lines():
            if start <= lasti < end and line is not None:
                return line
    return code.co_firstlineno


def _net(
    window: Iterable[RawSite], empty: Iterable[RawSite]
) -> dict[tuple[object, int], list[int]]:
    """Per (code, offset): the window's allocations, bytes and objects less the empty
    window's (objects 0 where not counted)."""
    out: dict[tuple[object, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for sign, rows in ((1, window), (-1, empty)):
        for code, lasti, allocs, nbytes, objects in rows:
            cell = out[code, lasti]
            cell[0] += sign * allocs
            cell[1] += sign * nbytes
            cell[2] += sign * (objects or 0)
    return out


def resolve(
    window: Sequence[RawSite],
    empty: Sequence[RawSite],
    totals: tuple[int, int],
    ops: int,
    *,
    harness: Sequence[str] = (HARNESS,),
    roots: Iterable[str] = (),
) -> tuple[AllocSite, ...]:
    """Per-op sites of `ops` calls: each (code, offset) of the window less the empty window's,
    named by file, qualified name and line; what the benchmark's frames did not make (no
    frame, perfguard's frames) is the rest of `totals` (the pass's net allocations and bytes,
    pauses' own cost already taken out) and goes to NO_FRAME."""
    roots = tuple(roots)
    counted = any(row[4] is not None for row in window)  # objects: 3.13+
    net = _net(window, empty)
    named: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for (code, lasti), (allocs, nbytes, objects) in net.items():
        if not isinstance(code, CodeType) or code.co_filename.startswith(tuple(harness)):
            continue
        if allocs <= 0 and nbytes <= 0 and objects <= 0:
            continue
        name = getattr(code, "co_qualname", code.co_name)  # 3.10 has no co_qualname
        key = (short_file(code.co_filename, roots), name, line_of(code, lasti))
        for i, value in enumerate((allocs, nbytes, objects)):
            named[key][i] += max(value, 0)
    # The rest of each total: allocations and bytes as the pass counted them; objects as the
    # rows sum them (no frame and perfguard's frames).
    all_objects = sum(cell[2] for cell in net.values())
    rest = [
        t - sum(cell[i] for cell in named.values()) for i, t in enumerate((*totals, all_objects))
    ]
    if any(value > 0 for value in rest):
        named["", NO_FRAME, 0] = [max(value, 0) for value in rest]
    sites = (
        AllocSite(
            file, line, function, allocs / ops, nbytes / ops, objects / ops if counted else None
        )
        for (file, function, line), (allocs, nbytes, objects) in named.items()
    )
    return tuple(sorted(sites, key=_order))


def _order(s: AllocSite) -> tuple[float, float, float, str, str, int]:
    """By allocs/op, then objects/op, then B/op (largest first), then by name."""
    return (-s.allocs, -(s.objects or 0.0), -s.nbytes, s.file, s.function, s.line)


def sites_pass(
    n: int,
    *,
    counter: AllocationCounter | None = None,
    collect: Callable[[], object] = gc.collect,
    harness: Sequence[str] = (HARNESS,),
    roots: Iterable[str] | None = None,
) -> Pass[SitesResult]:
    """COUNT steps (work to leave out in `with step.pause:`): an empty window, then one of `n`
    calls, recording sites; returns the sites per op. Run after the allocation pass, which
    warmed the calls up."""
    if not SUPPORTED:
        return SitesResult(note=UNSUPPORTED_NOTE)
    if counter is None:
        counter = allocation_counter()
    hooks = counter.hooks
    if hooks is None or not hasattr(hooks, "record_sites"):
        return SitesResult()  # the allocation pass's note says why
    recorder = cast(SiteHooks, hooks)
    collect()
    rows: list[list[RawSite]] = []
    recorder.record_sites(True)
    try:
        with counting(counter) as empty:
            yield Step(Kind.COUNT, 0, empty.paused())
        rows.append(recorder.sites())
        with counting(counter) as window:
            yield Step(Kind.COUNT, n, window.paused())
        rows.append(recorder.sites())
    finally:
        recorder.record_sites(False)
    raw, base = window.raw, empty.raw
    if raw is None or base is None or raw.allocs is None or base.allocs is None:
        return SitesResult(note="sites n/a: counting did not run")
    if raw.failure or base.failure:
        return SitesResult(note=f"sites n/a: {raw.failure or base.failure}")
    assert raw.bytes is not None and base.bytes is not None
    totals = (raw.allocs - base.allocs, raw.bytes - base.bytes)
    roots = sys.path if roots is None else roots
    return SitesResult(resolve(rows[1], rows[0], totals, n, harness=harness, roots=roots))


def with_sites(measurement: Measurement, result: SitesResult) -> Measurement:
    """The measurement with the pass's sites, and its note where there are none."""
    notes = measurement.notes if result.note is None else (*measurement.notes, result.note)
    return replace(measurement, sites=result.sites, notes=notes)
