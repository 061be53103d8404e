"""The instruction pass: callgrind windows around a benchmark's calls, inside a worker process
running under `valgrind --tool=callgrind --collect-atstart=no` (--perf-instructions).

The process cannot read callgrind's counters: each window is dumped under a label
("perfguard <index> <calls>") and the controller reads the dumps after the worker ends
(`run/instructions.py`). Instructions per op are the difference of two windows, of `calls` and
`2 * calls` calls, divided by `calls`: what the windows do besides the calls (opening and
closing, the driver's dispatch) cancels.
"""

from __future__ import annotations

import gc
import importlib
import itertools
import math
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, cast

from pytest_perfguard.measure.steps import Kind, Pass, Step, drive

__all__ = [
    "CallgrindHooks",
    "Windows",
    "call_windows",
    "instruction_pass",
    "label",
    "load_callgrind",
    "window_calls",
]

WARMUP_CALLS = 16
"""Calls before the first window: CPython 3.11+ specializes a code object's instructions after
a few executions (and backs off on misses); the 3rd call is steady in time, 16 leave margin."""
WARMUP_BUDGET_S = 30.0
"""Warm-up stops early (after at least 2 calls) once it took this long under valgrind."""
WINDOW_CALLS = 10
"""Calls in the first window (the second has twice as many). The same for every benchmark in
every run, not chosen from the clock: a count that moved with the machine's speed would change
the heap and the caches the calls start from, and so the count (an A/A run that sized windows
by time spread up to 2.9% between runs). Not fewer: counts were identical run after run with
smaller windows too, but not the same count. What the C library's malloc does once in a while
(growing or trimming the heap) then weighs more per op: sorting 500 floats read 17,260
instructions/op with 10, 10,913 with 5, 8,081 with 4 and -7,596 with 2."""
SLOW_CALL_S = 2.0
"""A warm-up call slower than this under valgrind (uninstrumented; about 10x slower again
once counted) gets windows of one and two calls instead. Far above any usual benchmark: a
threshold the machine's load can push a call across changes the windows, and so the counts
of every benchmark after it (an A/A run with 0.2 s moved counts by up to 0.9%)."""


class CallgrindHooks(Protocol):
    """The extension's callgrind functions; tests pass a fake."""

    def callgrind_state(self) -> str: ...
    def callgrind_start(self) -> None: ...
    def callgrind_stop(self, label: str, /) -> None: ...
    def callgrind_pause(self) -> None: ...
    def callgrind_resume(self) -> None: ...
    def callgrind_instrument(self, on: bool, /) -> None: ...
    def callgrind_run(self, fn: Callable[[], object], n: int, label: str, /) -> None: ...


def load_callgrind() -> CallgrindHooks | None:
    """The compiled extension when it has the callgrind functions, else None."""
    try:
        module = importlib.import_module("_perfguard_allocount")
    except ImportError:
        return None
    if not hasattr(module, "callgrind_state"):
        return None
    return cast(CallgrindHooks, module)


def label(index: int, calls: int) -> str:
    """The dump label of one window: the benchmark's index in the worker and its calls."""
    return f"perfguard {index} {calls}"


def window_calls(per_call_s: float) -> int:
    """Calls in the first window: WINDOW_CALLS, or 1 for a call slower than SLOW_CALL_S."""
    return 1 if per_call_s > SLOW_CALL_S and math.isfinite(per_call_s) else WINDOW_CALLS


@dataclass(frozen=True, slots=True)
class Windows:
    """What one benchmark's pass dumped: windows of `calls` and `2 * calls` calls."""

    index: int
    calls: int
    warmup: int
    threads: int = 1
    """Python threads alive before or after the windows, or 1 + those the calls started, at
    most: above 1, the count depends on how the threads were scheduled (callgrind counts
    every thread)."""


class _Pause:
    """`with pause:` inside a window: callgrind's collection off (per-call setup, teardown,
    perf.paused()); outside a window it does nothing."""

    __slots__ = ("_hooks",)

    def __init__(self, hooks: CallgrindHooks) -> None:
        self._hooks = hooks

    def __enter__(self) -> None:
        self._hooks.callgrind_pause()

    def __exit__(self, *exc: object) -> None:
        self._hooks.callgrind_resume()


class _ThreadWatch:
    """Threads alive, and threads the calls start (a thread started and joined inside one call
    is never seen alive from here): threading's trace hook runs first in each new thread."""

    __slots__ = ("_prev", "alive", "started")

    def __init__(self, alive: Callable[[], int]) -> None:
        self._prev = threading.gettrace()
        self.started = 0
        self.alive = alive()
        threading.settrace(self._hook)

    def _hook(self, frame: object, event: str, arg: object) -> None:
        self.started += 1  # in the new thread: an int add under the GIL, once per thread
        sys.settrace(None)  # and no tracing there after this

    def close(self, alive: Callable[[], int]) -> int:
        threading.settrace(self._prev)
        return max(self.alive, alive(), 1 + self.started)


class _Counting:
    """`with` it around both windows: garbage collected before them and off during them (a
    collection inside one window and not the other would be charged to the calls), the
    threads watched, callgrind's instrumentation on. After the block, `threads` is what
    Windows.threads reports."""

    __slots__ = ("_alive", "_gc_was", "_hooks", "_watch", "threads")

    def __init__(
        self, hooks: CallgrindHooks, collect: Callable[[], object], threads: Callable[[], int]
    ) -> None:
        self._hooks = hooks
        self._alive = threads
        collect()
        self._gc_was = gc.isenabled()
        gc.disable()
        self._watch = _ThreadWatch(threads)
        self.threads = 1

    def __enter__(self) -> None:
        self._hooks.callgrind_instrument(True)

    def __exit__(self, *exc: object) -> None:
        self._hooks.callgrind_instrument(False)
        self.threads = self._watch.close(self._alive)
        if self._gc_was:
            gc.enable()


def _warm_up(
    warmup: int,
    pause: _Pause,
    clock: Callable[[], float],
    threads: Callable[[], int] = lambda: 1,
) -> Pass[tuple[int, float]]:
    """Warm-up calls one at a time, up to `warmup` or the time budget: (calls, s per call).
    Other threads alive after a call end it: that benchmark gets no count."""
    done = 0
    start = clock()
    while done < warmup:
        yield Step(Kind.COUNT, 1, pause)
        done += 1
        if (done >= 2 and clock() - start > WARMUP_BUDGET_S) or threads() > 1:
            break
    return done, (clock() - start) / max(done, 1)


def instruction_pass(
    hooks: CallgrindHooks,
    index: int,
    *,
    warmup: int = WARMUP_CALLS,
    clock: Callable[[], float] = time.monotonic,
    collect: Callable[[], object] = gc.collect,
    threads: Callable[[], int] = threading.active_count,
) -> Pass[Windows]:
    """COUNT steps for any driver (per-call setup, perf.loop()): warm-up, then two windows
    that this pass opens and closes around the steps; `with step.pause:` is not counted."""
    pause = _Pause(hooks)
    done, per_call = yield from _warm_up(warmup, pause, clock, threads)
    alive = threads()
    if alive > 1:  # the count would be n/a (see Windows.threads): no windows, they cost most
        return Windows(index, 0, done, alive)
    calls = window_calls(per_call)
    counting = _Counting(hooks, collect, threads)
    with counting:
        for n in (calls, 2 * calls):
            hooks.callgrind_start()
            try:
                yield Step(Kind.COUNT, n, pause)
            finally:  # a call that raised still closes its window
                hooks.callgrind_stop(label(index, n))
    return Windows(index, calls, done, counting.threads)


def call_windows(
    hooks: CallgrindHooks,
    call: Callable[[], object],
    index: int,
    *,
    warmup: int = WARMUP_CALLS,
    clock: Callable[[], float] = time.monotonic,
    collect: Callable[[], object] = gc.collect,
    threads: Callable[[], int] = threading.active_count,
) -> Windows:
    """A plain call: warm-up in Python, then both windows around the extension's C loop."""

    def run(step: Step) -> None:
        for _ in itertools.repeat(None, step.n):
            call()

    done, per_call = drive(_warm_up(warmup, _Pause(hooks), clock), run)
    calls = window_calls(per_call)
    counting = _Counting(hooks, collect, threads)
    with counting:
        for n in (calls, 2 * calls):
            hooks.callgrind_run(call, n, label(index, n))
    return Windows(index, calls, done, counting.threads)
