"""`perf.parallel`: one operation measured on N threads at once (Go's b.RunParallel), and a
sweep of thread counts whose rounds interleave, so each count's speedup and efficiency against
one thread come from rounds measured side by side."""

from __future__ import annotations

import functools
import itertools
import os
import random
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, cast

from pytest_perfguard.measure.engine import Engine, TimingPass
from pytest_perfguard.measure.steps import Step, drive
from pytest_perfguard.measure.timing import Clock
from pytest_perfguard.model import BenchSettings, Measurement, ThreadRounds

__all__ = [
    "ONE_THREAD_NOTE",
    "ParallelUsage",
    "default_threads",
    "measure_parallel",
    "prepare",
    "python_build",
    "thread_counts",
]

ONE_THREAD_NOTE = (
    "perf.parallel: allocations, calls and peak memory are counted on one thread running "
    "alone (per op, exact there); what the threads add by contending is not counted"
)
UNSWEPT_NOTE = (
    "perf.parallel: no rounds of this sweep ran in this process (paired with another revision, "
    "workers time them): efficiency not measured"
)
MAX_THREADS = 1024

Setup = Callable[[], Any] | None


class ParallelUsage(ValueError):
    """perf.parallel() was given something it cannot measure (the message says what)."""


def default_threads() -> int:
    """The CPUs this process may run on (its affinity where the OS tells), else all CPUs."""
    affinity = getattr(os, "sched_getaffinity", None)
    if affinity is not None:
        return len(affinity(0))
    return os.cpu_count() or 1


def python_build(is_gil_enabled: Callable[[], bool] | None = None) -> str:
    """ "GIL" or "free-threaded": the build whose threads the figures are of."""
    check = is_gil_enabled or getattr(sys, "_is_gil_enabled", None)
    return "GIL" if check is None or check() else "free-threaded"


def _count(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParallelUsage(f"{what} must be a whole number of threads, got {value!r}")
    if value < 1:
        raise ParallelUsage(f"{what} must be at least 1, got {value!r}")
    if value > MAX_THREADS:
        raise ParallelUsage(f"{what} must be at most {MAX_THREADS}, got {value!r}")
    return value


def thread_counts(threads: object, default: Callable[[], int] = default_threads) -> tuple[int, ...]:
    """The thread counts to measure, validated: one count, or a sweep starting at 1 in
    increasing order. ParallelUsage saying what is wrong."""
    if threads is None:
        return (default(),)
    if isinstance(threads, (list, tuple)):
        if not threads:
            raise ParallelUsage("threads=[] is an empty sweep: give the thread counts, e.g. [1, 2]")
        counts = tuple(_count(t, f"threads={list(threads)!r}: each count") for t in threads)
        if counts[0] != 1:
            raise ParallelUsage(
                f"threads={list(counts)!r}: a sweep must start at 1, since its efficiency is "
                "measured against one thread (ops/s at N / (N x ops/s at 1)); write "
                f"threads={[1, *counts]!r}"
            )
        if any(b <= a for a, b in itertools.pairwise(counts)):
            raise ParallelUsage(f"threads={list(counts)!r}: counts must increase, each once")
        return counts
    return (_count(threads, "threads"),)


def bound_call(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], setup: Setup
) -> Callable[[], Callable[[], Any]]:
    """What each thread runs once, untimed, to get its call: `setup()` (None: reuse the
    arguments, or `(args, kwargs)`) bound to `fn`."""

    def make() -> Callable[[], Any]:
        got = setup() if setup is not None else None
        if got is None:
            a, k = args, kwargs
        elif (
            isinstance(got, tuple)
            and len(got) == 2
            and isinstance(got[0], tuple)
            and isinstance(got[1], dict)
        ):
            a, k = got
        else:
            raise ParallelUsage(f"setup must return None or (args_tuple, kwargs_dict), got {got!r}")
        return functools.partial(fn, *a, **k) if a or k else fn

    return make


def prepare(
    fn: object, args: tuple[Any, ...], kwargs: dict[str, Any], threads: object, setup: object
) -> tuple[tuple[int, ...], Callable[[], Callable[[], Any]]]:
    """The thread counts and each thread's call maker, or ParallelUsage saying what is wrong."""
    for role, value in (("the function to measure", fn), ("setup", setup)):
        if value is not None and not callable(value):
            raise ParallelUsage(f"{role} must be callable, got {value!r}")
    counts = thread_counts(threads)
    return counts, bound_call(cast(Callable[..., Any], fn), args, kwargs, cast(Setup, setup))


class Gang:
    """`threads` threads kept for a whole measurement, each with its own call (made by its own
    setup, in that thread), released together by a barrier for each round. Each is named
    "perfguard-<threads>-<index>"."""

    def __init__(self, threads: int, make: Callable[[], Callable[[], Any]]) -> None:
        self.threads = threads
        self._start = threading.Barrier(threads + 1)
        self._end = threading.Barrier(threads + 1)
        self._n = 0
        self._stop = False
        self._errors: list[BaseException] = []
        self._workers = [
            threading.Thread(
                target=self._work, args=(make,), daemon=True, name=f"perfguard-{threads}-{i}"
            )
            for i in range(threads)
        ]
        for worker in self._workers:
            worker.start()
        self._end.wait()  # every thread's setup done
        self._raise()

    def _work(self, make: Callable[[], Callable[[], Any]]) -> None:
        call: Callable[[], Any] | None = None
        try:
            call = make()
        except BaseException as exc:
            self._errors.append(exc)
        self._end.wait()
        while True:
            self._start.wait()
            if self._stop:
                return
            if call is not None:
                try:
                    for _ in itertools.repeat(None, self._n):
                        call()
                except BaseException as exc:
                    self._errors.append(exc)
            self._end.wait()

    def _raise(self) -> None:
        if self._errors:
            self.close()
            raise self._errors[0]

    def run(self, n: int, clock: Clock) -> int:
        """Wall ns for every thread to make n calls, from their common start."""
        self._n = n
        # Read before the release: after it, the GIL may keep this thread waiting.
        t0 = clock()
        self._start.wait()
        self._end.wait()
        elapsed = clock() - t0
        self._raise()
        return elapsed

    def close(self) -> None:
        if self._stop:
            return
        self._stop = True
        self._start.wait()
        for worker in self._workers:
            worker.join()


class SweepDriver:
    """Runs a plan's steps: each timed step on every thread count (in a fresh random order),
    keeping each count's per-thread time per op of measured rounds; the plan is sent the
    largest count's time. Untimed passes run on the calling thread alone."""

    def __init__(
        self,
        counts: Sequence[int],
        make: Callable[[], Callable[[], Any]],
        clock: Clock,
        rng: random.Random,
    ) -> None:
        self.counts = tuple(counts)
        self.rounds: dict[int, list[float]] = {k: [] for k in self.counts}
        self._clock = clock
        self._rng = rng
        self._solo = make()
        self._gangs: list[Gang] = []
        try:
            for k in self.counts:
                self._gangs.append(Gang(k, make))
        except BaseException:
            self.close()
            raise

    def __call__(self, step: Step) -> int | None:
        if not step.timed:
            # The passes after timing run alone: the threads go first, so a pass that checks
            # for other threads (the profile) finds none.
            self.close()
            for _ in itertools.repeat(None, step.n):
                self._solo()
            return None
        order = list(self._gangs)
        self._rng.shuffle(order)
        times = {gang.threads: gang.run(step.n, self._clock) for gang in order}
        # The step's own enum: a session that re-imported the engine (pytester) has another.
        if step.kind is type(step.kind).BENCH:
            for k, elapsed in times.items():
                self.rounds[k].append(elapsed / step.n)
        return times[self.counts[-1]]

    def close(self) -> None:
        for gang in self._gangs:
            gang.close()


def measure_parallel(
    engine: Engine,
    settings: BenchSettings,
    counts: Sequence[int],
    make: Callable[[], Callable[[], Any]],
    *,
    started_ns: int | None = None,
    timing: TimingPass | None = None,
    rng: random.Random | None = None,
    build: str | None = None,
) -> Measurement:
    """Every pass of a parallel benchmark: its time per op is the largest count's, per thread
    (ops/s = threads x 1e9 / time per op); a sweep keeps each count's rounds."""
    driver = SweepDriver(counts, make, engine.clock, rng or random.Random())
    try:
        plan = engine.plan(settings, started_ns=started_ns, timing=timing)
        measured = drive(plan, driver)
    finally:
        driver.close()
    sweep = tuple(ThreadRounds(k, tuple(driver.rounds[k])) for k in driver.counts)
    notes = measured.notes
    if not all(t.samples_ns for t in sweep):  # another process ran the rounds (A/B workers)
        if len(sweep) > 1:
            notes = (*notes, UNSWEPT_NOTE)
        sweep = ()
    if settings.allocations or settings.memory or settings.profile:
        notes = (*notes, ONE_THREAD_NOTE)
    return replace(
        measured,
        threads=driver.counts[-1],
        sweep=sweep if len(sweep) > 1 else (),
        python_build=build or python_build(),
        notes=notes,
    )
