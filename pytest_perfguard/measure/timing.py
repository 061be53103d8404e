"""The timing engine: warm-up, calibration and interleaved benchmark/reference rounds.

The schedule is a pure generator: it yields `Step`s (run this kind of round with n calls) and
is sent back what the round took. The benchmark's plan (`measure/plan.py`) runs the reference
rounds itself and hands the others to a driver: a bare loop over a function, or the user's own
`for _ in perf.loop()`. Clocks are parameters, so the schedule is tested with a fake clock and
never depends on real speed.
"""

from __future__ import annotations

import gc
import itertools
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass

from pytest_perfguard.measure.steps import Kind, Step
from pytest_perfguard.model import BenchSettings, Measurement

Clock = Callable[[], int]
"""Returns nanoseconds from a monotonic clock."""

TARGET_ROUND_NS = 200_000
"""Rounds are calibrated to about 200 us: long against the clock's cost, short against drift."""
MIN_ROUND_NS = 50_000
BENCH_ROUNDS_PER_REFERENCE = 3
MAX_LOOPS = 1 << 30


@dataclass(frozen=True, slots=True)
class RoundResult:
    elapsed_ns: int
    gc_collections: int = 0


Schedule = Generator[Step, RoundResult, Measurement]


def calibrate_loops(elapsed_ns: int, n: int) -> int | None:
    """The loop count for a round of about TARGET_ROUND_NS, or None to keep doubling."""
    if elapsed_ns >= TARGET_ROUND_NS or n >= MAX_LOOPS:
        return max(1, min(MAX_LOOPS, round(n * TARGET_ROUND_NS / max(elapsed_ns, 1))))
    if elapsed_ns >= MIN_ROUND_NS:
        # Close enough to extrapolate without another doubling (saves up to half the time).
        return max(1, min(MAX_LOOPS, round(n * TARGET_ROUND_NS / elapsed_ns)))
    return None


@dataclass(frozen=True, slots=True)
class Calibration:
    loops: int
    """Calls per round."""
    per_op_ns: float
    """The time per call that sized the rounds (an estimate for the passes that follow)."""
    skipped_warmup: int = 0


def calibrate(
    settings: BenchSettings,
    *,
    clock: Clock,
    deadline: int,
    first_ns: int | None = None,
) -> Generator[Step, RoundResult, Calibration]:
    """Warm-up calls, then the loop count for rounds of about TARGET_ROUND_NS.

    `first_ns` is the time of a call the caller already made (perf() makes one for its
    result); it counts as warm-up. No warm-up call starts after the deadline, except the first
    one when nothing has warmed the target up yet. Where one call alone takes MIN_ROUND_NS or
    more, the rounds are sized from the last single call rather than by another doubling. A
    discarded round at the final count follows if there is time.
    """
    last = first_ns
    skipped = 0
    for done in range(settings.warmup):
        if clock() >= deadline and (done >= 1 or first_ns is not None):
            skipped = settings.warmup - done
            break
        last = (yield Step(Kind.WARMUP, 1)).elapsed_ns
    if last is not None and last >= MIN_ROUND_NS:
        n, per_op = calibrate_loops(last, 1) or 1, float(last)
    else:
        n = 1
        while True:
            result = yield Step(Kind.WARMUP, n)
            per_op = result.elapsed_ns / n
            loops = calibrate_loops(result.elapsed_ns, n)
            if loops is not None:
                n = loops
                break
            if clock() >= deadline:
                break
            n *= 2
    if clock() < deadline:
        yield Step(Kind.WARMUP, n)  # one discarded round at the final loop count
    return Calibration(n, per_op, skipped)


def schedule(
    settings: BenchSettings,
    *,
    clock: Clock,
    reference_loops: int,
    rng: random.Random,
    deadline: int | None = None,
    first_ns: int | None = None,
    on_calibrated: Callable[[Calibration], int] | None = None,
) -> Schedule:
    """Plan one benchmark's timing pass; return its Measurement when done.

    Warm-up and calibration (`calibrate`), then blocks of BENCH_ROUNDS_PER_REFERENCE benchmark
    rounds and one reference round in random order, until at least `min_rounds` benchmark
    rounds and the deadline: `max_time` from now unless given, less what
    `on_calibrated(calibration)` returns (the ns to leave for the passes that follow). Rounds
    stop at the first round past the deadline once `min_rounds` are in; a block cut short
    still gets its reference round.
    """
    if deadline is None:
        deadline = clock() + int(settings.max_time * 1e9)
    calibration = yield from calibrate(settings, clock=clock, deadline=deadline, first_ns=first_ns)
    n = calibration.loops
    if on_calibrated is not None:
        deadline -= on_calibrated(calibration)

    samples: list[float] = []
    ratios: list[float] = []
    references: list[float] = []
    collections = 0
    block = [Kind.BENCH] * BENCH_ROUNDS_PER_REFERENCE + [Kind.REFERENCE]

    def done() -> bool:
        return len(samples) >= settings.min_rounds and clock() >= deadline

    while not done():
        rng.shuffle(block)
        block_samples: list[float] = []
        reference_ns: float | None = None
        for kind in block:
            if kind is Kind.REFERENCE:
                result = yield Step(kind, reference_loops)
                reference_ns = result.elapsed_ns / reference_loops
            elif block_samples and done():
                continue  # cut short; its reference round still runs
            else:
                result = yield Step(kind, n)
                block_samples.append(result.elapsed_ns / n)
                samples.append(block_samples[-1])
                collections += result.gc_collections
        if reference_ns:  # zero only from a fake clock
            references.append(reference_ns)
            ratios.extend(s / reference_ns for s in block_samples)

    notes = []
    if calibration.skipped_warmup:
        notes.append(
            f"max_time reached during warm-up: {calibration.skipped_warmup} warm-up calls skipped"
        )
    return summarize(samples, ratios, references, n, collections, notes)


def summarize(
    samples: list[float],
    ratios: list[float],
    references: list[float],
    loops: int,
    collections: int,
    notes: list[str],
) -> Measurement:
    """Reduce per-round figures to a Measurement (medians and a robust spread)."""
    median = statistics.median(samples)
    spread = statistics.median(abs(s - median) for s in samples)
    return Measurement(
        median_ns=median,
        spread_ns=spread,
        rounds=len(samples),
        loops=loops,
        samples_ns=tuple(samples),
        ref_ratios=tuple(ratios),
        reference_ns=statistics.median(references) if references else math.nan,
        gc_collections_per_op=collections / (len(samples) * loops),
        notes=tuple(notes),
    )


def gc_collections() -> int:
    """Collections so far, all generations (read per round, never per call)."""
    return sum(gen["collections"] for gen in gc.get_stats())


def bare_loop(call: Callable[[], object], clock: Clock) -> Callable[[int], int]:
    """A round runner: n calls in timeit's loop (itertools.repeat; no argument unpacking)."""

    # Defaults make call/clock/repeat locals of run(): the same fast loads as timeit's loop.
    def run(
        n: int,
        call: Callable[[], object] = call,
        clock: Clock = clock,
        repeat: Callable[..., Iterator[None]] = itertools.repeat,
    ) -> int:
        t0 = clock()
        for _ in repeat(None, n):
            call()
        return clock() - t0

    return run


def setup_loop(
    call: Callable[..., object],
    setup: Callable[[], tuple[tuple[object, ...], dict[str, object]]],
    teardown: Callable[..., object] | None,
    clock: Clock,
) -> Callable[[int], int]:
    """A round runner for per-call setup/teardown: only the call itself is timed.

    The clock is read around each call here (setup must precede every call), so its cost,
    about 60 ns a read pair, is included; per-call setup is meant for calls far slower than that.
    """

    def run(n: int) -> int:
        total = 0
        for _ in itertools.repeat(None, n):
            args, kwargs = setup()
            t0 = clock()
            call(*args, **kwargs)
            total += clock() - t0
            if teardown is not None:
                teardown(*args, **kwargs)
        return total

    return run


def calibrate_reference(
    reference: Callable[[], object], clock: Clock = time.perf_counter_ns
) -> int:
    """Loops for one reference round of about TARGET_ROUND_NS (warmed up like a benchmark)."""
    run = bare_loop(reference, clock)
    run(3)
    n = 1
    while True:
        loops = calibrate_loops(run(n), n)
        if loops is not None:
            return loops
        n *= 2


def loop_cost_note(median_ns: float, loop_ns: float) -> str | None:
    """A warning when the loop's own cost is over 10% of the per-op time measured."""
    if median_ns <= 0 or loop_ns / median_ns <= 0.10:
        return None
    return (
        f"too fast for the clock: the loop's own cost (~{loop_ns:.0f} ns per call of an empty "
        f"function) is {loop_ns / median_ns:.0%} of the {median_ns:.0f} ns measured; "
        "measure a larger unit of work"
    )


def _empty() -> None:
    pass


def empty_loop_ns(n: int, clock: Clock = time.perf_counter_ns) -> float:
    """The same bare loop calling an empty function: what a call costs the loop itself."""
    run = bare_loop(_empty, clock)
    return min(run(n) for _ in range(3)) / n


def active_tracers() -> tuple[str, ...]:
    """Tracers and profilers that slow every call (coverage, debuggers, profilers)."""
    found = []
    if sys.gettrace() is not None:
        found.append("sys.settrace")
    if sys.getprofile() is not None:
        found.append("sys.setprofile")
    monitoring = getattr(sys, "monitoring", None)  # 3.12+: coverage uses sys.monitoring
    if monitoring is not None:
        for tool_id in range(6):
            name = monitoring.get_tool(tool_id)
            if name is not None:
                found.append(f"sys.monitoring tool {name!r}")
    return tuple(found)
