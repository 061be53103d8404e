"""The profiling pass: function calls per op and a per-function profile, by cProfile.

It runs after the timing, allocation and peak passes (never during timing) over one round's
worth of calls. cProfile is used on every Python: on 3.12+ it is built on sys.monitoring
already, so a hand-written sys.monitoring counter would cost about the same and see less.
"""

from __future__ import annotations

import cProfile
import gc
import marshal
import os
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from pytest_perfguard.measure.steps import Kind, Pass, Step
from pytest_perfguard.model import FunctionCost

__all__ = ["ProfileResult", "Profiler", "profile_pass", "short_file", "summarize"]

HARNESS = str(Path(__file__).resolve().parent.parent) + os.sep
"""perfguard's own package: its loops, pauses and generators are not the benchmark's calls."""

StatsKey = tuple[str, int, str]
RawStats = dict[StatsKey, tuple[int, int, float, float, dict[StatsKey, Any]]]
"""cProfile's `stats`: (file, line, name) -> (primitive calls, calls, own s, cumulative s,
callers)."""


class Profiler(Protocol):
    """cProfile.Profile's interface as the pass uses it; tests may pass a fake."""

    def enable(self) -> None: ...
    def disable(self) -> None: ...
    def create_stats(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ProfileResult:
    """Per-op results of a profiling pass; calls_per_op None when it did not run (see note)."""

    calls_per_op: float | None
    functions: tuple[FunctionCost, ...] = ()
    data: bytes | None = None
    """The filtered stats, marshalled as pstats writes them (pstats.Stats(path) loads them)."""
    note: str | None = None


class _Pause:
    """`with step.pause:` during the profiled calls: the profiler stops inside."""

    __slots__ = ("_profiler",)

    def __init__(self, profiler: Profiler) -> None:
        self._profiler = profiler

    def __enter__(self) -> None:
        self._profiler.disable()

    def __exit__(self, *exc: object) -> None:
        self._profiler.enable()


def _is_harness(key: StatsKey, harness: Sequence[str]) -> bool:
    file, _, name = key
    if file.startswith(tuple(harness)):
        return True
    # The profiler's own enable/disable, called by the pause and the pass.
    return file == "~" and "of '_lsprof.Profiler' objects" in name


def short_file(file: str, roots: Iterable[str]) -> str:
    """`file` relative to the longest of `roots` (sys.path entries) holding it, so the same
    function has the same name in another checkout (A/B) or on another machine."""
    if file == "~" or file.startswith("<"):
        return file
    best = ""
    for root in roots:
        prefix = root.rstrip(os.sep) + os.sep if root else ""
        if prefix and file.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return file[len(best) :].replace(os.sep, "/") if best else file


def _less(raw: RawStats, empty: RawStats) -> RawStats:
    """`raw` less the `empty` window's counts and times per function: what the driver does
    around the calls (making a step, resuming the pass) is in both and cancels exactly."""
    out: RawStats = {}
    for key, (cc, nc, tt, ct, callers) in raw.items():
        e = empty.get(key)
        if e is not None:
            cc, nc, tt, ct = cc - e[0], nc - e[1], max(tt - e[2], 0.0), max(ct - e[3], 0.0)
        if nc > 0:
            out[key] = (cc, nc, tt, ct, callers)
    return out


def summarize(
    raw: RawStats,
    ops: int,
    *,
    empty: RawStats | None = None,
    harness: Sequence[str] = (HARNESS,),
    roots: Iterable[str] = (),
) -> ProfileResult:
    """Per-op figures of `ops` calls' raw stats, less an `empty` window's, the harness's own
    functions left out (as callees and as callers)."""
    if ops <= 0:
        raise ValueError(f"ops must be positive, got {ops}")
    roots = tuple(roots)
    kept: RawStats = {}
    for key, (cc, nc, tt, ct, callers) in _less(raw, empty or {}).items():
        if _is_harness(key, harness):
            continue
        own = {k: v for k, v in callers.items() if not _is_harness(k, harness)}
        kept[key] = (cc, nc, tt, ct, own)
    functions = sorted(
        (
            FunctionCost(
                file=short_file(file, roots),
                line=line,
                function=name,
                calls_per_op=nc / ops,
                own_ns=tt * 1e9 / ops,
                cumulative_ns=ct * 1e9 / ops,
            )
            for (file, line, name), (_, nc, tt, ct, _) in kept.items()
        ),
        key=lambda f: (-f.own_ns, f.where),
    )
    calls = sum(nc for _, nc, _, _, _ in kept.values())
    return ProfileResult(calls / ops, tuple(functions), marshal.dumps(kept))


def _window(prof: Profiler, n: int) -> Pass[RawStats]:
    step = Step(Kind.PROFILE, n, _Pause(prof))  # made before enable(): not profiled
    prof.enable()  # stays on across the yield: the driver makes the calls
    try:
        yield step
    finally:
        prof.disable()
    prof.create_stats()
    stats: RawStats = getattr(prof, "stats", {})
    return stats


def profile_pass(
    n: int,
    *,
    profiler: Callable[[], Profiler] = cProfile.Profile,
    tracers: Callable[[], tuple[str, ...]] | None = None,
    collect: Callable[[], object] = gc.collect,
    harness: Sequence[str] = (HARNESS,),
    roots: Iterable[str] | None = None,
    twice: bool = True,
    threads: Callable[[], int] = threading.active_count,
) -> Pass[ProfileResult]:
    """The profiling pass: PROFILE steps whose work to leave out goes in `with step.pause:`;
    returns calls and times per op over `n` calls, less an empty window of 0 calls.

    With `twice`, two windows of `n` calls are profiled and the second is kept; where their
    calls differ, calls/op is None with a note (the profile is still kept, for "where"). So it
    is when other threads are alive (`threads()` > 1): how often the calling thread wakes to
    wait for them depends on scheduling (an A/A run of examples/test_workers.py counted 73, 81
    and 73 calls/op in three processes, each steady within its process).

    Refused when another tracer or profiler is active (`tracers()` names them): only one
    profiler can be installed, and a tracer would add its calls. Garbage is collected first, so
    that the timing pass's garbage is not freed (finalizers called) inside the window.
    """
    if tracers is None:
        from pytest_perfguard.measure.timing import active_tracers

        tracers = active_tracers
    active = tracers()
    if active:
        return ProfileResult(
            None, note=f"calls/op n/a: profile skipped, {', '.join(active)} already active"
        )
    collect()
    empty = yield from _window(profiler(), 0)
    first = None
    if twice:
        first = yield from _window(profiler(), n)
    raw = yield from _window(profiler(), n)
    roots = sys.path if roots is None else roots
    result = summarize(raw, n, empty=empty, harness=harness, roots=roots)
    if threads() > 1:
        return replace(
            result,
            calls_per_op=None,
            note="calls/op n/a: other threads are running, and the calls of the measured "
            "thread depend on how they are scheduled, so they are not gated",
        )
    if first is None:
        return result
    again = summarize(first, n, empty=empty, harness=harness, roots=roots)
    if again.calls_per_op != result.calls_per_op:
        # Threads (a pool's workers wake the caller a varying number of times), caches filled
        # on first use: a count that varies would fail the exact gate at random.
        return replace(
            result,
            calls_per_op=None,
            note=f"calls/op n/a: two profiled rounds counted {again.calls_per_op:.6g} and "
            f"{result.calls_per_op:.6g} per op (threads?), so they are not gated",
        )
    return result
