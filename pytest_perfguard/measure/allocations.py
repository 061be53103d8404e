"""The allocation pass: exact allocations and bytes per op, counted by _perfguard_allocount,
and on Python 3.13+ objects created per op (free-list reuse included)."""

from __future__ import annotations

import gc
import importlib
import itertools
import os
import sys
import tracemalloc
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, cast

from pytest_perfguard.measure.steps import Kind, Pass, Step, drive

NO_CEXT_ENV = "PERFGUARD_NO_CEXT"


class AllocationHooks(Protocol):
    """The `_allocount` extension's interface; tests may pass a fake."""

    def start(self) -> None: ...
    def stop(self) -> tuple[int, int]: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def counts(self) -> tuple[int, int]: ...


def _objects(hooks: AllocationHooks) -> int | None:
    """Objects the last window created (3.13+ builds of the extension), else None."""
    read = getattr(hooks, "objects", None)
    return read() if read is not None else None


@dataclass(frozen=True, slots=True)
class AllocationCounter:
    """The hooks to count with, or None and the reason they cannot be used."""

    hooks: AllocationHooks | None
    reason: str | None = None


def load_hooks() -> AllocationHooks | None:
    """The compiled extension, or None when it was not built."""
    try:
        module = importlib.import_module("_perfguard_allocount")
    except ImportError:
        return None
    return cast(AllocationHooks, module)


def allocation_counter(
    *,
    environ: Mapping[str, str] = os.environ,
    is_tracing: Callable[[], bool] = tracemalloc.is_tracing,
    load: Callable[[], AllocationHooks | None] = load_hooks,
) -> AllocationCounter:
    """Whether allocations can be counted now, and if not, why (for the summary's note)."""
    if environ.get(NO_CEXT_ENV, "") not in ("", "0"):
        return AllocationCounter(None, f"{NO_CEXT_ENV}={environ[NO_CEXT_ENV]} is set")
    hooks = load()
    if hooks is None:
        return AllocationCounter(None, "C extension not built")
    if is_tracing():
        # tracemalloc's hooks would sit on ours, add their own allocations to the counts, and
        # unhook ours if it stops first: refuse rather than report wrong numbers.
        return AllocationCounter(None, "tracemalloc is tracing (it would inflate the counts)")
    return AllocationCounter(hooks)


@dataclass(frozen=True, slots=True)
class AllocationCounts:
    """Per-op results of an allocation pass. None where the extension was unavailable."""

    allocs_per_op: float | None
    bytes_per_op: float | None
    retained_blocks_per_op: float | None
    """Net change of `sys.getallocatedblocks()` per op: objects the calls kept alive. None when
    the allocator keeps no count (not pymalloc, e.g. PYTHONMALLOC=malloc)."""
    ops: int
    notes: tuple[str, ...] = ()
    objects_per_op: float | None = None
    """Objects created per op, free-list reuse included (Python 3.13+), else None."""


@dataclass(frozen=True, slots=True)
class RawCounts:
    """Totals of one counting window, before dividing by ops."""

    allocs: int | None
    bytes: int | None
    blocks: int | None
    pauses: int = 0
    failure: str | None = None
    objects: int | None = None


class _Pause:
    """`with counting.paused():` — reused, so entering it allocates the same every time."""

    __slots__ = ("_owner",)

    def __init__(self, owner: Counting) -> None:
        self._owner = owner

    def __enter__(self) -> None:
        owner = self._owner
        if owner._active and owner._hooks is not None:
            owner._hooks.pause()
            # An itertools.count, not an int attribute: a stored int above 256 would be a
            # retained block in this window and not in the empty one.
            next(owner._pauses)

    def __exit__(self, *exc: object) -> None:
        owner = self._owner
        if owner._active and owner._hooks is not None:
            owner._hooks.resume()


class Counting:
    """One counting window, usable across yields: `with counting(c) as w: ...` then
    `w.result(ops, overhead=empty)`, where `empty` is a window around zero ops on the same
    code path; subtracting it makes allocs/op exact for deterministic code."""

    __slots__ = (
        "_active",
        "_blocks",
        "_blocks_before",
        "_counter",
        "_hooks",
        "_pause",
        "_pause_cost",
        "_pauses",
        "raw",
    )

    def __init__(self, counter: AllocationCounter, blocks: Callable[[], int]) -> None:
        self._counter = counter
        self._hooks = counter.hooks
        self._blocks = blocks
        self._blocks_before = 0
        self._active = False
        self._pauses = itertools.count()
        self._pause = _Pause(self)
        self._pause_cost = (0, 0, 0)
        self.raw: RawCounts | None = None

    def paused(self) -> _Pause:
        """Allocations inside `with w.paused():` are excluded (perf.paused()). Return this
        object directly from wrappers: each use's own cost is measured once and removed."""
        return self._pause

    def _measure_pause_cost(self, hooks: AllocationHooks) -> tuple[int, int, int]:
        # Entering a `with` allocates (bound __enter__/__exit__) before pause() runs; those
        # allocations land in the counts once per use. Measure them the same way, twice so
        # the second is warm, and subtract per pause.
        cost = (0, 0, 0)
        for _ in range(2):
            self._active = True
            hooks.start()
            with self._pause:
                pass
            allocs, nbytes = hooks.stop()
            cost = (allocs, nbytes, _objects(hooks) or 0)
        self._active = False
        self._pauses = itertools.count()
        return cost

    def __enter__(self) -> Counting:
        hooks = self._hooks
        if hooks is not None:
            self._pause_cost = self._measure_pause_cost(hooks)
        self._blocks_before = self._blocks()
        if hooks is not None:
            self._active = True
            hooks.start()  # last: everything after this line counts
        return self

    def __exit__(self, *exc: object) -> None:
        hooks = self._hooks
        allocs = nbytes = objects = None
        failure = None
        # Read blocks before stop(): its result's large ints would otherwise count as retained
        # in a long window and not in the empty one. The read's own int is counted in both.
        after = self._blocks()
        blocks = after - self._blocks_before if self._blocks_before else None
        if hooks is not None and self._active:
            self._active = False
            try:
                allocs, nbytes = hooks.stop()
                objects = _objects(hooks)
            except RuntimeError as err:
                failure = str(err)
        pauses = next(self._pauses)
        if allocs is not None and nbytes is not None:
            allocs -= pauses * self._pause_cost[0]
            nbytes -= pauses * self._pause_cost[1]
        if objects is not None:
            objects -= pauses * self._pause_cost[2]
        self.raw = RawCounts(allocs, nbytes, blocks, pauses, failure, objects)

    def result(self, ops: int, overhead: Counting | None = None) -> AllocationCounts:
        """Per-op counts over `ops` calls, less the totals of the `overhead` window."""
        if ops <= 0:
            raise ValueError(f"ops must be positive, got {ops}")
        raw = self.raw
        if raw is None:
            raise RuntimeError("result() before the counting window was closed")
        base = overhead.raw if overhead is not None else None
        if overhead is not None and base is None:
            raise RuntimeError("the overhead window was never closed")
        notes: list[str] = []
        blocks = raw.blocks
        if blocks is not None and base is not None:
            blocks = None if base.blocks is None else blocks - base.blocks
        allocs = raw.allocs
        nbytes = raw.bytes
        objects = raw.objects
        failure = raw.failure or (base.failure if base else None)
        if failure is not None:
            notes.append(f"allocs/op n/a: {failure}")
            allocs = nbytes = objects = None
        elif allocs is None or nbytes is None:
            notes.append(f"allocs/op n/a: {self._counter.reason or 'counting did not run'}")
        elif base is not None and base.allocs is not None and base.bytes is not None:
            allocs -= base.allocs
            nbytes -= base.bytes
            objects = None if objects is None or base.objects is None else objects - base.objects
        if blocks is None:
            notes.append("retained blocks n/a: the allocator keeps no count (not pymalloc)")
        return AllocationCounts(
            allocs_per_op=None if allocs is None else allocs / ops,
            bytes_per_op=None if nbytes is None else nbytes / ops,
            retained_blocks_per_op=None if blocks is None else blocks / ops,
            ops=ops,
            notes=tuple(notes),
            objects_per_op=None if objects is None else objects / ops,
        )


def counting(
    counter: AllocationCounter | None = None,
    *,
    blocks: Callable[[], int] = sys.getallocatedblocks,
) -> Counting:
    """A counting window (see `Counting`); `counter` defaults to `allocation_counter()`."""
    return Counting(counter if counter is not None else allocation_counter(), blocks)


AllocationPass = Pass[AllocationCounts]


def allocation_pass(
    n: int,
    *,
    counter: AllocationCounter | None = None,
    blocks: Callable[[], int] = sys.getallocatedblocks,
    collect: Callable[[], object] = gc.collect,
) -> AllocationPass:
    """The allocation pass: COUNT steps, whose calls wrap work to leave out in
    `with step.pause:`; returns the counts per op.

    Collects garbage (else the timing pass's cyclic garbage would be freed inside the
    window), warms up with two calls (the first calls after a collection differ) and one
    uncounted window, then counts n calls less an empty window of 0 calls, so what the driver
    does around the calls is not charged to them.
    """
    if counter is None:
        counter = allocation_counter()
    idle = counting(counter, blocks=blocks)  # never entered: its pause does nothing
    collect()
    yield Step(Kind.COUNT, 1, idle.paused())
    yield Step(Kind.COUNT, 1, idle.paused())
    # One uncounted window of n calls as well: the first window in a process allocates frames
    # for the counting code itself, 3.10 allocates a code object's opcache after 1024
    # executions or loop iterations, and a benchmark can leave one-time allocations (a cache
    # entry, a table resized) to its next calls: an A/A run of the examples found one
    # benchmark off by one allocation per op without this window.
    with counting(counter, blocks=blocks) as warm:
        yield Step(Kind.COUNT, n, warm.paused())
    with counting(counter, blocks=blocks) as empty:
        yield Step(Kind.COUNT, 0, empty.paused())
    with counting(counter, blocks=blocks) as window:
        yield Step(Kind.COUNT, n, window.paused())
    return window.result(n, overhead=empty)


def count_allocations(
    run: Callable[[int], object],
    n: int,
    *,
    counter: AllocationCounter | None = None,
    blocks: Callable[[], int] = sys.getallocatedblocks,
    collect: Callable[[], object] = gc.collect,
) -> AllocationCounts:
    """The allocation pass alone over `run(k)`, which makes k calls in a bare loop."""

    def step(s: Step) -> None:
        run(s.n)

    return drive(allocation_pass(n, counter=counter, blocks=blocks, collect=collect), step)
