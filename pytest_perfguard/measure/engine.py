"""One benchmark's passes as one plan: timing first (no hooks), then allocations, then peak
memory, then the profile; and the drivers that run a plan over a function."""

from __future__ import annotations

import gc
import itertools
import random
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Protocol, TypeVar, final

from pytest_perfguard.measure import load
from pytest_perfguard.measure.allocations import allocation_pass
from pytest_perfguard.measure.outcome import (
    finish_timing,
    with_allocations,
    with_overrun,
    with_peak,
    with_profile,
)
from pytest_perfguard.measure.peak import PeakTracker
from pytest_perfguard.measure.profile import profile_pass
from pytest_perfguard.measure.reference import reference_unit
from pytest_perfguard.measure.sites import SITES_COST, sites_pass, with_sites
from pytest_perfguard.measure.steps import Kind, Pass, Step, drive
from pytest_perfguard.measure.timing import (
    Calibration,
    Clock,
    RoundResult,
    bare_loop,
    calibrate_reference,
    empty_loop_ns,
    gc_collections,
    schedule,
    setup_loop,
)
from pytest_perfguard.model import BenchSettings, Measurement

__all__ = [
    "LOOP_COST_CHECK_NS",
    "Engine",
    "Plan",
    "Prepare",
    "TimingPass",
    "Warmth",
]

LOOP_COST_CHECK_NS = 2_000
"""Below this per-op time the loop's own cost is measured in the same run and compared."""
YOUNG_GROWTH = 8
"""Net new containers over a warm-up round above which a benchmark counts as allocating."""
HOOKED_COST = 1.5
"""A counted call's cost relative to a timed one, with margin (measured 1.01-1.33x)."""
PROFILED_COST = 4.0
"""A profiled call's cost relative to a timed one, with margin (cProfile: about 2-3x for
call-heavy code, benchmarks/profile_figures.py)."""
EMPTY_CALL_NS = 60
PAIRED_COUNT_CALLS = 32
"""Paired with another process (A/B: one count a side, no saved runs to show its spread), the
allocation pass counts at least this many calls, so that allocations that depend on the data
(a sort of shuffled input: 7 or 8 blocks a call) average out, while one more per call stays
a whole allocation per op (benchmarks/ab_data_dependent.py)..."""
PAIRED_COUNT_BUDGET_NS = 50_000_000
"""...as far as its two windows of them fit in this time."""
REST_FIXED_NS = 1_000_000
"""The load probe, the allocation windows' own work, the peak pass's procfs reads."""

Prepare = Callable[[], tuple[tuple[object, ...], dict[str, object]]]
Plan = Pass[Measurement]
T = TypeVar("T")


@dataclass
class Warmth:
    """What the warm-up showed about garbage: one per plan."""

    allocates: bool = False
    """Warm-up rounds made containers or set off collections."""
    full_collect_ns: int | None = None
    """The full collection before the measured rounds took this long (None: none ran)."""


def count_calls(loops: int, per_op_ns: float, sides: int) -> int:
    """Calls in each window of the allocation pass: a round's, and paired with another
    process, at least PAIRED_COUNT_CALLS within PAIRED_COUNT_BUDGET_NS."""
    if sides == 1:
        return loops
    fit = int(PAIRED_COUNT_BUDGET_NS / (2 * HOOKED_COST * max(per_op_ns, 1.0)))
    return max(loops, min(PAIRED_COUNT_CALLS, fit))


class TimingPass(Protocol):
    """The measured rounds of a plan: given the engine, the settings, the deadline, the first
    call's time and the plan's Warmth, a pass returning the timing Measurement."""

    sides: int
    """Processes whose rounds it pairs, each with its own `max_time` (1: this one alone)."""

    def __call__(
        self,
        engine: Engine,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
    ) -> Pass[Measurement]: ...


@final
class Engine:
    """What every benchmark of a session shares: the clock, the reference, the random order.

    It holds no state of any one benchmark: each plan keeps its own, so plans can be driven
    side by side.
    """

    def __init__(
        self,
        clock: Clock = time.perf_counter_ns,
        reference: Callable[[], object] = reference_unit,
        rng: random.Random | None = None,
        load_probe: load.Probe = load.read,
    ) -> None:
        self.clock = clock
        self._reference = reference
        self._reference_loops: int | None = None
        self._rng = rng or random.Random()
        self._load_probe = load_probe

    def reference_loops(self) -> int:
        """Calibrated once per session, on first use."""
        if self._reference_loops is None:
            self._reference_loops = calibrate_reference(self._reference, self.clock)
        return self._reference_loops

    def run_reference(self, n: int) -> int:
        return bare_loop(self._reference, self.clock)(n)

    def plan(
        self,
        settings: BenchSettings,
        *,
        loop_check: bool = False,
        started_ns: int | None = None,
        first_ns: int | None = None,
        timing: TimingPass | None = None,
    ) -> Plan:
        """Every pass of one benchmark, as steps for a driver (see `measure.steps`).

        Timed steps (WARMUP, BENCH) come first, interleaved by the schedule with reference
        rounds that the plan runs itself; then the allocation pass's COUNT steps, then one PEAK
        step, then the profiling pass's two PROFILE steps. `max_time` bounds them all, from
        `started_ns` (when the caller made a first call already, taking `first_ns`): the timing
        pass ends early enough for the passes after it.
        With `loop_check`, a fast benchmark's loop cost is measured in the same run (for
        drivers that run the bare loop of `bare_loop`). `timing` replaces the timing pass's
        measured rounds (same-job A/B pairs them with another process's).

        Garbage: only the young generations are collected before the timing pass, which costs
        the same whatever the size of the process's heap. A benchmark whose warm-up allocated
        containers gets a full collection too, right before its measured rounds: older garbage
        is then not collected inside them. One that did not cannot set off a full collection
        in its rounds. The allocation pass collects the same way.
        """
        start = self.clock() if started_ns is None else started_ns
        deadline = start + int(settings.max_time * 1e9)
        gc.collect(1)
        load_start = self._load_probe()
        warmth = Warmth()
        if timing is None:
            measurement = yield from self._timing(settings, deadline, first_ns, warmth, loop_check)
        else:
            measurement = yield from timing(self, settings, deadline, first_ns, warmth)
        loop_ns = None
        if loop_check and measurement.median_ns < LOOP_COST_CHECK_NS:
            loop_ns = empty_loop_ns(measurement.loops, self.clock)
        others = load.others_share(load_start, self._load_probe())
        measurement = finish_timing(measurement, loop_ns, others)

        # Collected as before the timing pass: a full collection for every benchmark would walk
        # the whole heap each time (~30 ms per benchmark in a pytest process).
        collect = _collect_young if warmth.full_collect_ns is None else gc.collect
        sides = 1 if timing is None else timing.sides
        if settings.allocations:
            calls = count_calls(measurement.loops, measurement.median_ns, sides)
            counts = yield from allocation_pass(calls, collect=collect)
            measurement = with_allocations(measurement, counts)
            if settings.profile:  # where they are made, for "where" (young garbage only left)
                sites = yield from sites_pass(calls, collect=_collect_young)
                measurement = with_sites(measurement, sites)
        if settings.memory:
            tracker = PeakTracker()
            tracker.start()
            yield Step(Kind.PEAK, 1, tracker.paused())
            measurement = with_peak(measurement, tracker.finish())
        if settings.profile:
            # The second window checks the count is steady; a benchmark past its deadline (a
            # call slower than max_time) is spared it.
            twice = self.clock() < deadline
            profiled = yield from profile_pass(measurement.loops, collect=collect, twice=twice)
            measurement = with_profile(measurement, profiled)
        took = (self.clock() - start) / 1e9
        return with_overrun(measurement, settings, took, sides)

    def _timing(
        self,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
        loop_check: bool,
    ) -> Pass[Measurement]:
        def calibrated(cal: Calibration) -> int:
            self.settle(warmth)
            return self._rest_ns(settings, cal, loop_check, warmth.full_collect_ns)

        sched = schedule(
            settings,
            clock=self.clock,
            reference_loops=self.reference_loops(),
            rng=self._rng,
            deadline=deadline,
            first_ns=first_ns,
            on_calibrated=calibrated,
        )
        return (yield from self.run_timed(sched, warmth))

    def run_timed(self, sched: Generator[Step, RoundResult, T], warmth: Warmth) -> Pass[T]:
        """Run a timing generator's steps: reference rounds here, the others by the driver;
        collections are counted around each round, and warm-up rounds that allocate noted.
        A generator with nothing to run (calibration after a slow first call past the
        deadline) ends the pass at once with its value."""
        try:
            request = next(sched)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        while True:
            if request.kind is Kind.REFERENCE:
                result = RoundResult(self.run_reference(request.n))
            else:
                before, young = gc_collections(), gc.get_count()[0]
                elapsed = yield request
                if elapsed is None:
                    raise TypeError("a timed step must be sent its elapsed ns")
                result = RoundResult(elapsed, gc_collections() - before)
                if request.kind is Kind.WARMUP:
                    grew = gc.get_count()[0] - young
                    warmth.allocates |= result.gc_collections > 0 or grew > YOUNG_GROWTH
            try:
                request = sched.send(result)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]

    def settle(self, warmth: Warmth) -> None:
        """Between calibration and the measured rounds: a full collection for a benchmark
        whose warm-up allocated (once), timed for the passes after."""
        if warmth.allocates and warmth.full_collect_ns is None:
            t0 = self.clock()
            gc.collect()
            warmth.full_collect_ns = self.clock() - t0

    def _rest_ns(
        self,
        settings: BenchSettings,
        cal: Calibration,
        loop_check: bool,
        full_collect_ns: int | None,
    ) -> int:
        """Estimated ns the passes after the timing pass take, from the calibration (and the
        full collection's time where there was one): what the timing pass leaves them."""
        calls = 0.0
        rest = REST_FIXED_NS
        if settings.allocations:  # 2 warm-up calls and 2 windows of `loops` calls
            calls += (2 + 2 * cal.loops) * HOOKED_COST
            calls += cal.loops * SITES_COST if settings.profile else 0  # the sites pass
            if full_collect_ns is not None:  # it collects fully again
                rest += full_collect_ns
        if settings.memory:
            calls += 1
        if settings.profile:  # two windows of `loops` calls
            calls += 2 * cal.loops * PROFILED_COST
            if full_collect_ns is not None:  # it collects fully again
                rest += full_collect_ns
        if loop_check and cal.per_op_ns < LOOP_COST_CHECK_NS:
            rest += 3 * cal.loops * EMPTY_CALL_NS
        return int(rest + calls * cal.per_op_ns)

    def measure_call(
        self,
        call: Callable[[], object],
        settings: BenchSettings,
        started_ns: int | None = None,
        first_ns: int | None = None,
        timing: TimingPass | None = None,
    ) -> Measurement:
        """All passes over `call()` in timeit's bare loop (after a first call, if one was
        made, that started at `started_ns` and took `first_ns`)."""
        timed = bare_loop(call, self.clock)

        def run(step: Step) -> int | None:
            if step.timed:
                return timed(step.n)
            for _ in itertools.repeat(None, step.n):
                call()
            return None

        plan = self.plan(
            settings, loop_check=True, started_ns=started_ns, first_ns=first_ns, timing=timing
        )
        return drive(plan, run)

    def measure_prepared(
        self,
        fn: Callable[..., object],
        prepare: Prepare,
        teardown: Callable[..., object] | None,
        settings: BenchSettings,
        started_ns: int | None = None,
        first_ns: int | None = None,
        timing: TimingPass | None = None,
    ) -> Measurement:
        """All passes over `fn(*args, **kwargs)` with untimed, uncounted per-call setup."""
        timed = setup_loop(fn, prepare, teardown, self.clock)

        def run(step: Step) -> int | None:
            if step.timed:
                return timed(step.n)
            pause = step.pause
            for _ in itertools.repeat(None, step.n):
                with pause:
                    args, kwargs = prepare()
                fn(*args, **kwargs)
                if teardown is not None:
                    with pause:
                        teardown(*args, **kwargs)
            return None

        plan = self.plan(settings, started_ns=started_ns, first_ns=first_ns, timing=timing)
        return drive(plan, run)


def _collect_young() -> None:
    gc.collect(1)
