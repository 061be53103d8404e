"""What each pass adds to a benchmark's Measurement: its figures, and the notes that qualify
them (a busy machine, a tracer, a loop too fast for the clock, an overrun budget)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pytest_perfguard.measure.allocations import AllocationCounts
from pytest_perfguard.measure.peak import PeakMemory
from pytest_perfguard.measure.profile import ProfileResult
from pytest_perfguard.measure.timing import active_tracers, loop_cost_note
from pytest_perfguard.metrics import COUNT_METRICS
from pytest_perfguard.model import BUSY_SHARE, BenchSettings, Measurement

__all__ = ["finish_timing", "with_allocations", "with_overrun", "with_peak", "with_profile"]

BUDGET_SLACK = (0.10, 0.020)
"""A benchmark may exceed max_time by the larger of 10% and 20 ms before it is noted."""


def finish_timing(
    measurement: Measurement, loop_ns: float | None, others: float | None
) -> Measurement:
    """What every timing pass adds: the other processes' share of the machine meanwhile, and
    notes for that, for active tracers, and for a loop too fast for the clock."""
    notes = list(measurement.notes)
    if others is not None and others > BUSY_SHARE:
        # One wording for all, so the summary groups them; the share is in the verdict, and
        # whether that verdict is advisory is the verdict's to say (not in A/B, not strict).
        notes.append(
            f"other processes took over {BUSY_SHARE:.0%} of the machine's CPU time while "
            "this was timed: time figures less reliable"
        )
    tracers = active_tracers()
    if tracers:
        notes.append(f"a tracer/profiler is active ({', '.join(tracers)}): figures inflated")
    if loop_ns is not None:
        note = loop_cost_note(measurement.median_ns, loop_ns)
        if note:
            notes.append(note)
    return replace(measurement, notes=tuple(notes), others_cpu=others, tracers=tracers)


def with_overrun(
    measurement: Measurement, settings: BenchSettings, took_s: float, sides: int
) -> Measurement:
    """A note when the whole benchmark took longer than max_time allows (per side of an A/B
    pairing): min_rounds of a slow function, passes slower than estimated, or in A/B the
    workers' warm-ups and the pairs of rounds every process pair must run."""
    budget = settings.max_time * sides
    limit = budget + max(BUDGET_SLACK[0] * budget, BUDGET_SLACK[1])
    if took_s <= limit:
        return measurement
    loops = measurement.loops
    took = f"slower than the time budget: took {took_s:.3g} s (max_time={settings.max_time:g} s"
    if sides > 1:  # the workers' set-ups, warm-ups and the stop rule's minimum, not min_rounds
        note = f"{took} per side) for rounds paired with the base side, every worker's warm-up "
        note += "and calibration included"
    else:
        calls = f"{loops} call{'s' if loops > 1 else ''}"
        note = f"{took}) for min_rounds={settings.min_rounds} rounds of {calls}"
    return replace(measurement, notes=(*measurement.notes, note))


def _counted(result: AllocationCounts | ProfileResult) -> dict[str, Any]:
    """The counts a pass measured, by the Measurement attribute each fills: a pass's result
    names its per-op counts as their specs' fields do."""
    return {
        spec.field: getattr(result, spec.field)
        for spec in COUNT_METRICS
        if hasattr(result, spec.field)
    }


def with_allocations(measurement: Measurement, counts: AllocationCounts) -> Measurement:
    return replace(
        measurement,
        **_counted(counts),
        retained_blocks_per_op=counts.retained_blocks_per_op,
        notes=measurement.notes + counts.notes,
    )


def with_profile(measurement: Measurement, profiled: ProfileResult) -> Measurement:
    return replace(
        measurement,
        **_counted(profiled),
        profile=profiled.functions,
        profile_data=profiled.data,
        notes=measurement.notes + ((profiled.note,) if profiled.note else ()),
    )


def with_peak(measurement: Measurement, peak: PeakMemory) -> Measurement:
    return replace(
        measurement,
        peak_memory_bytes=peak.bytes,
        peak_memory_exact=peak.exact,
        notes=measurement.notes + ((peak.note,) if peak.note else ()),
    )
