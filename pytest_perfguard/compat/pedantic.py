"""`benchmark.pedantic(...)` with rounds or iterations given: exactly that many calls, timed.

The target may be expensive or have side effects, so nothing calls it more often than asked:
`warmup_rounds` untimed rounds, then `rounds` timed rounds of `iterations` calls each, with the
engine's clock read around each round and rounds of the reference workload in between (they
call the reference, never the target). The allocation pass would need calls of its own and is
skipped; peak memory is taken during the last round, outside its clock reads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from pytest_perfguard.measure import load
from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.measure.outcome import finish_timing
from pytest_perfguard.measure.peak import PeakTracker
from pytest_perfguard.measure.timing import (
    BENCH_ROUNDS_PER_REFERENCE,
    MIN_ROUND_NS,
    gc_collections,
    summarize,
)
from pytest_perfguard.model import Measurement

__all__ = ["Arguments", "Exact", "measure_exact"]

Arguments = Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]
"""Makes one round's (args, kwargs): runs the user's setup, if any."""


@dataclass(frozen=True, slots=True)
class Exact:
    """The calls the user asked for."""

    rounds: int
    iterations: int
    warmup_rounds: int = 0
    memory: bool = True


def _round(
    target: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    iterations: int,
    clock: Callable[[], int],
) -> tuple[int, Any]:
    """(elapsed ns, last result) of `iterations` calls; the clock is read around the loop."""
    result = None
    if iterations == 1:
        t0 = clock()
        result = target(*args, **kwargs)
        return clock() - t0, result
    t0 = clock()
    for _ in itertools.repeat(None, iterations):
        result = target(*args, **kwargs)
    return clock() - t0, result


def measure_exact(
    engine: Engine,
    target: Callable[..., Any],
    arguments: Arguments,
    teardown: Callable[..., object] | None,
    exact: Exact,
    *,
    peak: Callable[[], PeakTracker] = PeakTracker,
    probe: load.Probe = load.read,
) -> tuple[Any, Measurement]:
    """Run the rounds; return the last call's result and the measurement."""
    clock = engine.clock
    for _ in range(exact.warmup_rounds):
        args, kwargs = arguments()
        _round(target, args, kwargs, exact.iterations, clock)
        if teardown is not None:
            teardown(*args, **kwargs)

    reference_loops = engine.reference_loops()
    samples: list[float] = []
    ratios: list[float] = []
    references: list[float] = []
    collections = 0
    block: list[float] = []
    tracker = None
    peak_memory = None
    start = probe()
    result: Any = None
    for number in range(exact.rounds):
        args, kwargs = arguments()
        last = number == exact.rounds - 1
        if last and exact.memory:
            tracker = peak()
            tracker.start()
        before = gc_collections()
        elapsed, result = _round(target, args, kwargs, exact.iterations, clock)
        collections += gc_collections() - before
        peak_memory = tracker.finish() if tracker is not None and last else None
        if teardown is not None:
            teardown(*args, **kwargs)
        block.append(elapsed / exact.iterations)
        if len(block) == BENCH_ROUNDS_PER_REFERENCE or last:
            reference_ns = engine.run_reference(reference_loops) / reference_loops
            samples.extend(block)
            if reference_ns:  # zero only from a fake clock
                references.append(reference_ns)
                ratios.extend(s / reference_ns for s in block)
            block = []
    others = load.others_share(start, probe())

    calls = exact.rounds * exact.iterations
    notes = [
        f"from {calls} call{'s' if calls > 1 else ''}: pedantic(rounds={exact.rounds}, "
        f"iterations={exact.iterations}) honoured exactly; allocs/op not counted (the "
        "allocation pass needs calls of its own)"
        + ("; peak memory during the last round" if exact.memory else "")
    ]
    measurement = summarize(samples, ratios, references, exact.iterations, collections, notes)
    if measurement.median_ns * exact.iterations < MIN_ROUND_NS:
        notes.append(
            f"rounds of {exact.iterations} call{'s' if exact.iterations > 1 else ''} under "
            f"{MIN_ROUND_NS // 1000} us: the clock's own cost (~60 ns a read pair) weighs in; "
            "give more iterations"
        )
    measurement = finish_timing(replace(measurement, notes=tuple(notes)), None, others)
    if peak_memory is not None:
        measurement = replace(
            measurement,
            peak_memory_bytes=peak_memory.bytes,
            peak_memory_exact=peak_memory.exact,
            notes=measurement.notes + ((peak_memory.note,) if peak_memory.note else ()),
        )
    return result, measurement
