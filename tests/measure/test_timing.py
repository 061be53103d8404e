"""The schedule, calibration and round runners, driven by a fake clock."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

import pytest

from pytest_perfguard.measure.steps import Kind, Step
from pytest_perfguard.measure.timing import (
    TARGET_ROUND_NS,
    RoundResult,
    active_tracers,
    bare_loop,
    calibrate_loops,
    loop_cost_note,
    schedule,
    setup_loop,
)
from pytest_perfguard.model import BenchSettings, Measurement
from tests.fakes import FakeClock


def run_schedule(
    settings: BenchSettings,
    bench_ns_per_op: Callable[[int], float],
    reference_ns_per_op: float = 1000.0,
    reference_loops: int = 100,
) -> tuple[list[Step], Measurement]:
    """Drive a schedule with a fake clock; the k-th benchmark round takes bench_ns_per_op(k)."""
    clock = FakeClock()
    sched = schedule(settings, clock=clock, reference_loops=reference_loops, rng=random.Random(1))
    requests = []
    request = next(sched)
    bench_rounds = 0
    while True:
        requests.append(request)
        if request.kind is Kind.REFERENCE:
            elapsed = int(reference_ns_per_op * request.n)
        else:
            elapsed = int(bench_ns_per_op(bench_rounds) * request.n)
            bench_rounds += 1
        clock.advance(elapsed)
        try:
            request = sched.send(RoundResult(elapsed, gc_collections=1))
        except StopIteration as stop:
            return requests, stop.value


def test_calibration_doubles_until_a_round_is_near_the_target() -> None:
    assert calibrate_loops(elapsed_ns=1_000, n=1) is None  # far too short: double
    assert calibrate_loops(elapsed_ns=TARGET_ROUND_NS // 2, n=64) == 128  # extrapolate
    assert calibrate_loops(elapsed_ns=TARGET_ROUND_NS * 4, n=1) == 1  # slow call: one per round
    assert calibrate_loops(elapsed_ns=TARGET_ROUND_NS * 2, n=8) == 4


def test_warmup_calls_then_calibration_then_one_discarded_round() -> None:
    requests, measurement = run_schedule(
        BenchSettings(max_time=0.05, warmup=3, min_rounds=5), lambda k: 100.0
    )
    warmups = [r for r in requests if r.kind is Kind.WARMUP]
    assert [r.n for r in warmups[:3]] == [1, 1, 1]
    # 100 ns calls: doubling 1, 2, 4, ... until a round is >= 50 us, then n for 200 us.
    loops = TARGET_ROUND_NS // 100
    assert warmups[-1] == Step(Kind.WARMUP, loops)  # the discarded round at the final n
    assert all(r.n == loops for r in requests if r.kind is Kind.BENCH)
    assert measurement.loops == loops
    first_bench = next(i for i, r in enumerate(requests) if r.kind is not Kind.WARMUP)
    assert all(r.kind is not Kind.WARMUP for r in requests[first_bench:])


def test_rounds_are_interleaved_three_benchmark_rounds_per_reference_round() -> None:
    requests, measurement = run_schedule(BenchSettings(max_time=0.05), lambda k: 100.0)
    measured = [r for r in requests if r.kind is not Kind.WARMUP]
    blocks = [measured[i : i + 4] for i in range(0, len(measured), 4)]
    assert all(sum(r.kind is Kind.REFERENCE for r in block) == 1 for block in blocks)
    positions = {[r.kind for r in block].index(Kind.REFERENCE) for block in blocks}
    assert len(positions) > 1, "the reference round's place in a block must vary (random order)"
    assert measurement.rounds == 3 * len(blocks)


def test_ratios_divide_each_round_by_its_blocks_reference() -> None:
    _, measurement = run_schedule(
        BenchSettings(max_time=0.02), lambda k: 300.0, reference_ns_per_op=1500.0
    )
    assert measurement.median_ns == 300.0
    assert measurement.reference_ns == 1500.0
    assert set(measurement.ref_ratios) == {0.2}


def test_median_and_spread_resist_outliers() -> None:
    # Every 10th round is 10x slower (a noisy neighbour): the median must not move.
    _, measurement = run_schedule(
        BenchSettings(max_time=0.05), lambda k: 1000.0 if k % 10 == 9 else 100.0
    )
    assert measurement.median_ns == 100.0
    assert measurement.spread_ns == 0.0


def test_deadline_counts_warmup_and_calibration() -> None:
    settings = BenchSettings(max_time=0.01, min_rounds=1)
    requests, _ = run_schedule(settings, lambda k: 100.0)
    total = sum(r.n * (1000.0 if r.kind is Kind.REFERENCE else 100.0) for r in requests)
    # Stops at the first block boundary after the deadline: at most one block of overrun.
    assert 0.01e9 <= total <= 0.01e9 + 3 * TARGET_ROUND_NS + 100 * 1000


def test_a_function_slower_than_the_budget_gets_exactly_min_rounds() -> None:
    requests, measurement = run_schedule(
        BenchSettings(max_time=0.1, min_rounds=5, warmup=3), lambda k: 0.08e9
    )
    assert measurement.rounds == 5  # a block past the deadline is cut short
    assert measurement.loops == 1
    warmup_calls = [r for r in requests if r.kind is Kind.WARMUP]
    # Two warm-up calls (the second already past the deadline: nothing had warmed up before),
    # the rounds sized from the last one: no doubling, no discarded round.
    assert [r.n for r in warmup_calls] == [1, 1]
    assert measurement.notes == ("max_time reached during warm-up: 1 warm-up calls skipped",)
    # Every block keeps its reference round, the cut one included.
    assert sum(r.kind is Kind.REFERENCE for r in requests) == 2


def test_a_fast_function_within_budget_has_no_notes() -> None:
    _, measurement = run_schedule(BenchSettings(max_time=0.02), lambda k: 100.0)
    assert measurement.notes == ()
    assert measurement.rounds >= 5


def test_gc_collections_are_counted_per_op_over_benchmark_rounds_only() -> None:
    _, measurement = run_schedule(BenchSettings(max_time=0.02), lambda k: 100.0)
    m = measurement
    # run_schedule reports one collection per round, reference rounds included; only
    # benchmark rounds count.
    assert m.gc_collections_per_op == pytest.approx(1 / m.loops)


def test_bare_loop_times_only_the_calls_and_reads_the_clock_twice_per_round() -> None:
    clock = FakeClock()
    reads = []

    def counting_clock() -> int:
        reads.append(1)
        return clock()

    run = bare_loop(lambda: clock.advance(7), counting_clock)
    assert run(1000) == 7000
    assert len(reads) == 2


def test_setup_loop_excludes_setup_and_teardown() -> None:
    clock = FakeClock()
    calls: list[str] = []

    def setup() -> tuple[tuple[object, ...], dict[str, object]]:
        clock.advance(1_000_000)
        calls.append("setup")
        return (5,), {"k": 1}

    def fn(x: int, k: int) -> None:
        assert (x, k) == (5, 1)
        clock.advance(300)
        calls.append("call")

    def teardown(x: int, k: int) -> None:
        clock.advance(2_000_000)
        calls.append("teardown")

    run = setup_loop(fn, setup, teardown, clock)
    assert run(4) == 4 * 300
    assert calls == ["setup", "call", "teardown"] * 4


def test_loop_cost_note_only_when_the_loop_is_over_ten_percent() -> None:
    assert loop_cost_note(median_ns=1000.0, loop_ns=50.0) is None
    note = loop_cost_note(median_ns=100.0, loop_ns=40.0)
    assert note is not None and "40%" in note and "too fast for the clock" in note


def test_active_tracers_sees_settrace() -> None:
    previous = sys.gettrace()
    try:
        sys.settrace(lambda *a: None)
        assert "sys.settrace" in active_tracers()
    finally:
        sys.settrace(previous)
