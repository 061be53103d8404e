"""The benchmark plan: its steps in order, what it counts, and that plans keep their own state."""

from __future__ import annotations

import gc
import itertools

from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.measure.steps import Kind, Step
from pytest_perfguard.model import BenchSettings, Measurement
from tests.fakes import FakeClock

QUICK = BenchSettings(max_time=0.005, min_rounds=3, warmup=0)


def engine(clock: FakeClock, reference_ns: int = 100_000) -> Engine:
    def reference() -> None:
        gc.collect()  # must not be charged to the benchmark
        clock.advance(reference_ns)

    return Engine(clock=clock, reference=reference, load_probe=lambda: None)


def run_plan(eng: Engine, settings: BenchSettings, op_ns: int) -> tuple[list[Step], Measurement]:
    """Drive a plan by hand, recording its steps; each timed call 'takes' op_ns."""
    clock = eng.clock
    assert isinstance(clock, FakeClock)
    steps = []
    plan = eng.plan(settings)
    step = next(plan)
    while True:
        steps.append(step)
        elapsed = None
        if step.timed:
            clock.advance(op_ns * step.n)
            elapsed = op_ns * step.n
        try:
            step = plan.send(elapsed)
        except StopIteration as stop:
            return steps, stop.value


def test_steps_come_timed_then_counted_then_one_peak_call() -> None:
    steps, m = run_plan(engine(FakeClock()), QUICK, op_ns=100)
    kinds = [s.kind for s in steps]
    first_count = kinds.index(Kind.COUNT)
    assert set(kinds[:first_count]) <= {Kind.WARMUP, Kind.BENCH}
    assert Kind.REFERENCE not in kinds  # the plan runs reference rounds itself
    assert kinds[-1] is Kind.PEAK and steps[-1].n == 1
    counted = [s.n for s in steps if s.kind is Kind.COUNT]
    assert counted == [1, 1, m.loops, 0, m.loops]  # warm-up, warm window, empty, measured
    assert m.median_ns == 100.0
    assert m.allocs_per_op is not None or any("allocs/op n/a" in n for n in m.notes)


def test_passes_switched_off_are_not_planned() -> None:
    settings = BenchSettings(max_time=0.005, min_rounds=3, warmup=0, memory=False)
    steps, _ = run_plan(engine(FakeClock()), settings, op_ns=100)
    assert Kind.PEAK not in {s.kind for s in steps}
    settings = BenchSettings(max_time=0.005, min_rounds=3, warmup=0, allocations=False)
    steps, _ = run_plan(engine(FakeClock()), settings, op_ns=100)
    assert Kind.COUNT not in {s.kind for s in steps}


def test_gc_collections_are_counted_around_benchmark_rounds_only() -> None:
    clock = FakeClock()
    plan = engine(clock).plan(BenchSettings(max_time=0.005, min_rounds=3, warmup=0))
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
