"""Cost of the allocation pass: hooked vs unhooked runs of the same calls, interleaved, as ratios.

Run: .venv/bin/python benchmarks/bench_allocations.py [--rounds 41] [--round-ms 2]

Each round times the same n calls plainly, between _allocount.start() and stop() (hooks
installed, counting: the target is <= 1.35x), and as a whole count_allocations pass, in random
order. The host's speed drifts by up to 2x
within seconds here, so only the median of per-round ratios is meaningful, never the absolute
times. allocs/op and B/op come from memory.count_allocations, as the plugin reports them.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import statistics
import sys
import time
from collections.abc import Callable

from pytest_perfguard.measure import allocations as memory

TARGET = 1.35


def noop() -> None:
    pass


def small_dict() -> object:
    return {"name": "x", "size": 3, "tags": ["a", "b"]}


def list_build() -> object:
    return [i * 2 for i in range(20)]


def string_join() -> object:
    return ", ".join([str(i) for i in range(8)])


def objects() -> object:
    class_ = Point
    return [class_(i, i) for i in range(10)]


class Point:
    __slots__ = ("x", "y")

    def __init__(self, x: int, y: int) -> None:
        self.x = x
        self.y = y


FUNCTIONS: tuple[Callable[[], object], ...] = (noop, small_dict, list_build, string_join, objects)


def bare_loop(fn: Callable[[], object]) -> Callable[[int], None]:
    def run(n: int) -> None:
        for _ in itertools.repeat(None, n):
            fn()

    return run


def calibrate(run: Callable[[int], None], round_ns: int) -> int:
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        run(n)
        if time.perf_counter_ns() - t0 >= round_ns:
            return n
        n *= 2


def overhead_ratios(
    run: Callable[[int], None], counter: memory.AllocationCounter, n: int, rounds: int
) -> tuple[list[float], list[float]]:
    """Per round: (hooked / plain, whole count_allocations pass / plain), in random order."""
    hooks = counter.hooks
    assert hooks is not None

    def plain() -> int:
        t0 = time.perf_counter_ns()
        run(n)
        return time.perf_counter_ns() - t0

    def hooked() -> int:
        t0 = time.perf_counter_ns()
        hooks.start()
        run(n)
        hooks.stop()
        return time.perf_counter_ns() - t0

    def whole_pass() -> int:
        t0 = time.perf_counter_ns()
        # gc.collect() left out here: its cost depends on the heap, not on the benchmark, and is
        # paid once per benchmark; main() prints it separately.
        memory.count_allocations(run, n, counter=counter, collect=int)
        return time.perf_counter_ns() - t0

    hooked_ratios, pass_ratios = [], []
    for _ in range(rounds):
        order = [plain, hooked, whole_pass]
        random.shuffle(order)
        took = {step: step() for step in order}
        hooked_ratios.append(took[hooked] / took[plain])
        pass_ratios.append(took[whole_pass] / took[plain])
    return hooked_ratios, pass_ratios


def timed_collect() -> int:
    t0 = time.perf_counter_ns()
    gc.collect()
    return time.perf_counter_ns() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--round-ms", type=float, default=2.0)
    args = parser.parse_args()

    counter = memory.allocation_counter()
    if counter.hooks is None:
        print(f"allocation counting unavailable: {counter.reason}")
        return 1
    version = sys.version.split()[0]
    print(f"Python {version}, {args.rounds} interleaved rounds of ~{args.round_ms} ms each")
    header = (
        f"{'function':<12} {'calls':>7} {'hooked':>7} {'q1..q3':>11} {'pass':>6} "
        f"{'allocs/op':>9} {'B/op':>7}"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for fn in FUNCTIONS:
        run = bare_loop(fn)
        gc.collect()
        run(1000)  # warm-up
        n = calibrate(run, int(args.round_ms * 1e6))
        ratios, pass_ratios = overhead_ratios(run, counter, n, args.rounds)
        q1, median, q3 = statistics.quantiles(ratios, n=4)
        whole = statistics.median(pass_ratios)
        worst = max(worst, median)
        counts = memory.count_allocations(run, n, counter=counter)
        print(
            f"{fn.__name__:<12} {n:>7} {median:>6.2f}x {q1:>5.2f}-{q3:<5.2f} {whole:>5.2f}x "
            f"{counts.allocs_per_op:>9.2f} {counts.bytes_per_op:>7.1f}"
        )
    verdict = "within" if worst <= TARGET else "ABOVE"
    print(f"worst median hooked/plain {worst:.2f}x: {verdict} the {TARGET}x target")
    collect_ms = statistics.median(timed_collect() for _ in range(5)) / 1e6
    print("pass = a whole count_allocations(run, n) over one plain run(n): 2 warm-up calls, an")
    print("uncounted warm window of n calls, an empty window, the counted window; plus a")
    print(f"gc.collect() per benchmark, {collect_ms:.1f} ms in this process, not included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
