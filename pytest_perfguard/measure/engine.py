"""Run a benchmark's passes: timing first (no hooks), then allocations, then peak memory."""

from __future__ import annotations

import gc
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import final

from pytest_perfguard.measure import load
from pytest_perfguard.measure.allocations import (
    AllocationCounts,
    PauseFactory,
    count_allocations_pausable,
)
from pytest_perfguard.measure.peak import PeakMemory, peak_memory
from pytest_perfguard.measure.reference import reference_unit
from pytest_perfguard.measure.timing import (
    Clock,
    Schedule,
    active_tracers,
    bare_loop,
    calibrate_reference,
    drive,
    empty_loop_ns,
    loop_cost_note,
    schedule,
    setup_loop,
)
from pytest_perfguard.model import BUSY_SHARE, BenchSettings, Measurement

LOOP_COST_CHECK_NS = 2_000
"""Below this per-op time the loop's own cost is measured in the same run and compared."""

Prepare = Callable[[], tuple[tuple[object, ...], dict[str, object]]]


@final
class Engine:
    """What every benchmark of a session shares: the clock, the reference, the random order."""

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
        self._load_start: load.CpuTimes | None = None

    def reference_loops(self) -> int:
        """Calibrated once per session, on first use."""
        if self._reference_loops is None:
            self._reference_loops = calibrate_reference(self._reference, self.clock)
        return self._reference_loops

    def run_reference(self, n: int) -> int:
        return bare_loop(self._reference, self.clock)(n)

    def schedule(self, settings: BenchSettings) -> Schedule:
        """The timing pass's schedule; the pass runs from here to finish()."""
        gc.collect()
        self._load_start = self._load_probe()
        return schedule(
            settings, clock=self.clock, reference_loops=self.reference_loops(), rng=self._rng
        )

    def measure_call(self, call: Callable[[], object], settings: BenchSettings) -> Measurement:
        """All passes over `call()` in timeit's bare loop."""
        timed = drive(self.schedule(settings), bare_loop(call, self.clock), self.run_reference)
        loop_ns = None
        if timed.median_ns < LOOP_COST_CHECK_NS:
            loop_ns = empty_loop_ns(timed.loops, self.clock)
        measurement = self.finish(timed, loop_ns)

        def run(k: int, paused: PauseFactory) -> None:
            for _ in itertools.repeat(None, k):
                call()

        return memory_passes(measurement, settings, run, lambda: peak_memory(call))

    def measure_prepared(
        self,
        fn: Callable[..., object],
        prepare: Prepare,
        teardown: Callable[..., object] | None,
        settings: BenchSettings,
    ) -> Measurement:
        """All passes over `fn(*args, **kwargs)` with untimed, uncounted per-call setup."""
        timer = setup_loop(fn, prepare, teardown, self.clock)
        measurement = self.finish(drive(self.schedule(settings), timer, self.run_reference), None)

        def run(k: int, paused: PauseFactory) -> None:
            for _ in itertools.repeat(None, k):
                with paused():
                    args, kwargs = prepare()
                fn(*args, **kwargs)
                if teardown is not None:
                    with paused():
                        teardown(*args, **kwargs)

        def peak() -> PeakMemory:
            args, kwargs = prepare()
            try:
                return peak_memory(lambda: fn(*args, **kwargs))
            finally:
                if teardown is not None:
                    teardown(*args, **kwargs)

        return memory_passes(measurement, settings, run, peak)

    def finish(self, measurement: Measurement, loop_ns: float | None) -> Measurement:
        """End the timing pass. Add what every measurement needs: the other processes' share
        of the machine meanwhile, and notes for that, active tracers, too fast for the clock."""
        others = load.others_share(self._load_start, self._load_probe())
        self._load_start = None
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


def memory_passes(
    measurement: Measurement,
    settings: BenchSettings,
    run: Callable[[int, PauseFactory], object],
    peak: Callable[[], PeakMemory],
) -> Measurement:
    """The allocation pass over one round's worth of calls, then one call's peak memory."""
    if settings.allocations:
        measurement = with_allocations(
            measurement, count_allocations_pausable(run, measurement.loops)
        )
    if settings.memory:
        measurement = with_peak(measurement, peak())
    return measurement


def with_allocations(measurement: Measurement, counts: AllocationCounts) -> Measurement:
    return replace(
        measurement,
        allocs_per_op=counts.allocs_per_op,
        bytes_per_op=counts.bytes_per_op,
        retained_blocks_per_op=counts.retained_blocks_per_op,
        notes=measurement.notes + counts.notes,
    )


def with_peak(measurement: Measurement, peak: PeakMemory) -> Measurement:
    return replace(
        measurement,
        peak_memory_bytes=peak.bytes,
        peak_memory_exact=peak.exact,
        notes=measurement.notes + ((peak.note,) if peak.note else ()),
    )
