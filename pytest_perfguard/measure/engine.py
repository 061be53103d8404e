"""One benchmark's passes as one plan: timing first (no hooks), then allocations, then peak
memory; and the drivers that run a plan over a function."""

from __future__ import annotations

import gc
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import final

from pytest_perfguard.measure import load
from pytest_perfguard.measure.allocations import AllocationCounts, allocation_pass
from pytest_perfguard.measure.peak import PeakMemory, PeakTracker
from pytest_perfguard.measure.reference import reference_unit
from pytest_perfguard.measure.steps import Kind, Pass, Step, drive
from pytest_perfguard.measure.timing import (
    Clock,
    RoundResult,
    active_tracers,
    bare_loop,
    calibrate_reference,
    empty_loop_ns,
    gc_collections,
    loop_cost_note,
    schedule,
    setup_loop,
)
from pytest_perfguard.model import BUSY_SHARE, BenchSettings, Measurement

__all__ = ["LOOP_COST_CHECK_NS", "Engine", "Plan", "Prepare"]

LOOP_COST_CHECK_NS = 2_000
"""Below this per-op time the loop's own cost is measured in the same run and compared."""

Prepare = Callable[[], tuple[tuple[object, ...], dict[str, object]]]
Plan = Pass[Measurement]


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

    def plan(self, settings: BenchSettings, *, loop_check: bool = False) -> Plan:
        """Every pass of one benchmark, as steps for a driver (see `measure.steps`).

        Timed steps (WARMUP, BENCH) come first, interleaved by the schedule with reference
        rounds that the plan runs itself; then the allocation pass's COUNT steps, then one PEAK
        step. With `loop_check`, a fast benchmark's loop cost is measured in the same run (for
        drivers that run the bare loop of `bare_loop`).
        """
        gc.collect()  # garbage of earlier tests is not collected inside timed rounds
        load_start = self._load_probe()
        sched = schedule(
            settings, clock=self.clock, reference_loops=self.reference_loops(), rng=self._rng
        )
        request = next(sched)
        while True:
            if request.kind is Kind.REFERENCE:
                result = RoundResult(self.run_reference(request.n))
            else:
                before = gc_collections()
                elapsed = yield request
                assert elapsed is not None, "a timed step must be sent its elapsed ns"
                result = RoundResult(elapsed, gc_collections() - before)
            try:
                request = sched.send(result)
            except StopIteration as stop:
                measurement: Measurement = stop.value
                break
        loop_ns = None
        if loop_check and measurement.median_ns < LOOP_COST_CHECK_NS:
            loop_ns = empty_loop_ns(measurement.loops, self.clock)
        others = load.others_share(load_start, self._load_probe())
        measurement = _finish_timing(measurement, loop_ns, others)

        if settings.allocations:
            counts = yield from allocation_pass(measurement.loops)
            measurement = _with_allocations(measurement, counts)
        if settings.memory:
            tracker = PeakTracker()
            tracker.start()
            yield Step(Kind.PEAK, 1, tracker.paused())
            measurement = _with_peak(measurement, tracker.finish())
        return measurement

    def measure_call(self, call: Callable[[], object], settings: BenchSettings) -> Measurement:
        """All passes over `call()` in timeit's bare loop."""
        timed = bare_loop(call, self.clock)

        def run(step: Step) -> int | None:
            if step.timed:
                return timed(step.n)
            for _ in itertools.repeat(None, step.n):
                call()
            return None

        return drive(self.plan(settings, loop_check=True), run)

    def measure_prepared(
        self,
        fn: Callable[..., object],
        prepare: Prepare,
        teardown: Callable[..., object] | None,
        settings: BenchSettings,
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

        return drive(self.plan(settings), run)


def _finish_timing(
    measurement: Measurement, loop_ns: float | None, others: float | None
) -> Measurement:
    """What every timing pass adds: the other processes' share of the machine meanwhile, and
    notes for that, for active tracers, and for a loop too fast for the clock."""
    notes = list(measurement.notes)
    if others is not None and others > BUSY_SHARE:
        # One wording for all, so the summary groups them; the share is in the verdict.
        notes.append(
            f"other processes took over {BUSY_SHARE:.0%} of the machine's CPU time while "
            "this was timed: time figures unreliable, time verdicts advisory"
        )
    tracers = active_tracers()
    if tracers:
        notes.append(f"a tracer/profiler is active ({', '.join(tracers)}): figures inflated")
    if loop_ns is not None:
        note = loop_cost_note(measurement.median_ns, loop_ns)
        if note:
            notes.append(note)
    return replace(measurement, notes=tuple(notes), others_cpu=others, tracers=tracers)


def _with_allocations(measurement: Measurement, counts: AllocationCounts) -> Measurement:
    return replace(
        measurement,
        allocs_per_op=counts.allocs_per_op,
        bytes_per_op=counts.bytes_per_op,
        retained_blocks_per_op=counts.retained_blocks_per_op,
        notes=measurement.notes + counts.notes,
    )


def _with_peak(measurement: Measurement, peak: PeakMemory) -> Measurement:
    return replace(
        measurement,
        peak_memory_bytes=peak.bytes,
        peak_memory_exact=peak.exact,
        notes=measurement.notes + ((peak.note,) if peak.note else ()),
    )
