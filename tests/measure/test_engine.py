"""The benchmark plan: its steps in order, what it counts, and that plans keep their own state."""

from __future__ import annotations

import gc
import itertools

import pytest

from pytest_perfguard.measure.engine import Engine, Warmth, count_calls
from pytest_perfguard.measure.steps import Kind, Step
from pytest_perfguard.measure.timing import MIN_ROUND_NS, calibrate
from pytest_perfguard.model import BenchSettings, Measurement
from tests.fakes import FakeClock

QUICK = BenchSettings(max_time=0.005, min_rounds=3, warmup=0)


def engine(clock: FakeClock, reference_ns: int = 100_000, collect: bool = False) -> Engine:
    def reference() -> None:
        if collect:
            gc.collect()  # must not be charged to the benchmark
        clock.advance(reference_ns)

    return Engine(clock=clock, reference=reference, load_probe=lambda: None)


def run_plan(
    eng: Engine,
    settings: BenchSettings,
    op_ns: int,
    *,
    first: bool = False,
    keep: list[object] | None = None,
) -> tuple[list[Step], Measurement]:
    """Drive a plan by hand, recording its steps; every call 'takes' op_ns of the fake clock.
    `first`: a first call was made before the plan, as perf() does. `keep`: each call keeps
    a few new containers alive there (an allocating benchmark)."""
    clock = eng.clock
    assert isinstance(clock, FakeClock)
    steps = []
    started = clock()
    if first:
        clock.advance(op_ns)
    plan = eng.plan(settings, started_ns=started, first_ns=op_ns if first else None)
    step = next(plan)
    while True:
        steps.append(step)
        if keep is not None:
            keep.extend([] for _ in range(20 * step.n))
        clock.advance(op_ns * step.n)
        try:
            step = plan.send(op_ns * step.n if step.timed else None)
        except StopIteration as stop:
            return steps, stop.value


def test_steps_come_timed_then_counted_then_one_peak_call_then_profiled() -> None:
    steps, m = run_plan(engine(FakeClock()), QUICK, op_ns=100)
    kinds = [s.kind for s in steps]
    first_count = kinds.index(Kind.COUNT)
    assert set(kinds[:first_count]) <= {Kind.WARMUP, Kind.BENCH}
    assert Kind.REFERENCE not in kinds  # the plan runs reference rounds itself
    assert kinds[-4] is Kind.PEAK and steps[-4].n == 1
    profiled = [(s.kind, s.n) for s in steps[-3:]]  # empty, checking, kept
    assert profiled == [(Kind.PROFILE, 0), (Kind.PROFILE, m.loops), (Kind.PROFILE, m.loops)]
    counted = [s.n for s in steps if s.kind is Kind.COUNT]
    # warm-up, warm window, empty, measured; then the sites pass's empty and measured windows
    assert counted == [1, 1, m.loops, 0, m.loops, 0, m.loops]
    assert m.median_ns == 100.0
    assert m.allocs_per_op is not None or any("allocs/op n/a" in n for n in m.notes)


def test_a_warm_up_that_allocates_gets_a_full_collection_before_its_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    collected: list[int] = []
    real = gc.collect

    def collect(generation: int = 2) -> int:
        collected.append(generation)
        return real(generation)

    monkeypatch.setattr(gc, "collect", collect)
    run_plan(engine(FakeClock()), QUICK, op_ns=100)
    # Young generations only: before timing, counting, recording sites and profiling.
    assert collected == [1, 1, 1, 1]
    collected.clear()
    run_plan(engine(FakeClock()), QUICK, op_ns=100, keep=[])  # keeps containers alive
    # And a full one before its rounds, before counting and before profiling (the sites pass
    # follows the counting pass's full collection: young garbage only is left for it).
    assert collected == [1, 2, 2, 1, 2]


@pytest.mark.parametrize("op_ns", [100, 20_000, 1_000_000])
def test_max_time_bounds_the_whole_benchmark(op_ns: int) -> None:
    settings = BenchSettings(max_time=0.05)
    clock = FakeClock()
    eng = engine(clock)
    run_plan(eng, settings, op_ns=op_ns)
    start = clock()
    _, m = run_plan(eng, settings, op_ns=op_ns, first=True)
    took = clock() - start
    assert took <= 0.05e9 + 20e6, f"took {took / 1e6:.1f} ms"
    assert not any("slower than the time budget" in n for n in m.notes)


def test_a_call_slower_than_max_time_makes_min_rounds_and_the_later_passes_calls() -> None:
    settings = BenchSettings(max_time=0.5, min_rounds=5)
    eng = engine(FakeClock())
    steps, m = run_plan(eng, settings, op_ns=3_000_000_000, first=True)
    calls = {kind: sum(s.n for s in steps if s.kind is kind) for kind in Kind}
    assert calls[Kind.WARMUP] == 0  # the first call warmed up and sized the rounds
    assert calls[Kind.BENCH] == 5 and m.rounds == 5 and m.loops == 1
    # Allocations: 2 warm-up calls, a warm window, the counted window (exact counts need the
    # warm-up), the sites window; peak memory: one call. 12 calls, the first included.
    assert calls[Kind.COUNT] == 5 and calls[Kind.PEAK] == 1
    note = next(n for n in m.notes if "slower than the time budget" in n)
    assert "took 39 s (max_time=0.5 s) for min_rounds=5 rounds of 1 call" in note


def test_passes_switched_off_are_not_planned() -> None:
    settings = BenchSettings(max_time=0.005, min_rounds=3, warmup=0, memory=False)
    steps, _ = run_plan(engine(FakeClock()), settings, op_ns=100)
    assert Kind.PEAK not in {s.kind for s in steps}
    settings = BenchSettings(max_time=0.005, min_rounds=3, warmup=0, allocations=False)
    steps, _ = run_plan(engine(FakeClock()), settings, op_ns=100)
    assert Kind.COUNT not in {s.kind for s in steps}


def test_gc_collections_are_counted_around_benchmark_rounds_only() -> None:
    clock = FakeClock()
    plan = engine(clock, collect=True).plan(BenchSettings(max_time=0.005, min_rounds=3, warmup=0))
    step = next(plan)
    while True:
        elapsed = None
        if step.timed:
            gc.collect()  # one collection per round of the benchmark
            clock.advance(100 * step.n)
            elapsed = 100 * step.n
        try:
            step = plan.send(elapsed)
        except StopIteration as stop:
            m: Measurement = stop.value
            break
    assert abs(m.gc_collections_per_op * m.loops - 1.0) < 0.01


def test_two_plans_driven_in_lockstep_keep_their_own_state() -> None:
    # What an A/B driver does: one round of each in turn, on one engine. (Allocation counting
    # hooks the process's allocator, so only one plan per process may count at a time.)
    clock = FakeClock()
    eng = engine(clock)
    settings = BenchSettings(
        max_time=0.005, min_rounds=3, warmup=0, memory=False, allocations=False
    )
    plans = {100: eng.plan(settings), 300: eng.plan(settings)}
    steps = {op: next(plan) for op, plan in plans.items()}
    done: dict[int, Measurement] = {}
    for op in itertools.cycle(list(plans)):
        if len(done) == len(plans):
            break
        if op in done:
            continue
        step = steps[op]
        elapsed = None
        if step.timed:
            clock.advance(op * step.n)
            elapsed = op * step.n
        try:
            steps[op] = plans[op].send(elapsed)
        except StopIteration as stop:
            done[op] = stop.value
    assert done[100].median_ns == 100.0
    assert done[300].median_ns == 300.0


def test_an_ab_overrun_names_the_paired_rounds_not_min_rounds() -> None:
    from pytest_perfguard.measure.outcome import with_overrun
    from pytest_perfguard.measure.timing import summarize

    measurement = summarize([1000.0] * 5, [], [], 7, 0, [])
    settings = BenchSettings(max_time=0.5, min_rounds=5)
    assert with_overrun(measurement, settings, 1.0, 2).notes == ()  # within 2 x max_time
    alone = with_overrun(measurement, settings, 1.2, 1).notes
    assert alone == (
        "slower than the time budget: took 1.2 s (max_time=0.5 s) for min_rounds=5 rounds of "
        "7 calls",
    )
    (paired,) = with_overrun(measurement, settings, 1.2, 2).notes
    assert paired == (
        "slower than the time budget: took 1.2 s (max_time=0.5 s per side) for rounds paired "
        "with the base side, every worker's warm-up and calibration included"
    )


def test_a_calibration_with_nothing_left_to_run_ends_the_pass() -> None:
    # A/B's own-rounds fallback after the paired rounds: a slow first call and the deadline
    # already passed leave calibration no step to ask for. The pass must end with its
    # value; it raised "generator raised StopIteration" (a real cattrs benchmark did this).
    clock = FakeClock()
    slow_first = 10 * MIN_ROUND_NS
    timed = engine(clock).run_timed(
        calibrate(BenchSettings(), clock=clock, deadline=clock(), first_ns=slow_first), Warmth()
    )
    with pytest.raises(StopIteration) as done:
        next(timed)
    assert done.value.value.loops == 1
    assert done.value.value.per_op_ns == slow_first


@pytest.mark.parametrize(
    ("loops", "per_op_ns", "sides", "calls"),
    [
        (1, 600_000.0, 1, 1),  # alone: a round's calls, as the saved runs record
        (1, 600_000.0, 2, 27),  # paired: two windows of 27 calls at 1.5x fit in 50 ms
        (1, 10.0, 2, 32),  # fast: at least 32, no more
        (1000, 10.0, 2, 1000),  # a round already has more
        (1, 100_000_000.0, 2, 1),  # a call slower than the budget: one
    ],
)
def test_a_paired_allocation_pass_counts_enough_calls_to_average(
    loops: int, per_op_ns: float, sides: int, calls: int
) -> None:
    assert count_calls(loops, per_op_ns, sides) == calls
