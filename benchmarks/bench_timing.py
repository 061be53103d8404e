"""The timing engine's own figures, measured side by side in one run.

    python benchmarks/bench_timing.py [--pairs N]

1. No-op function: the ns/op perfguard reports vs what `timeit` measures (best of 5, as
   `python -m timeit` reports), alternating in the same process.
2. A/A: the same function measured twice in a row, N times: how far apart the two medians are
   (raw ns/op and reference ratio).
3. Wall time of a suite of 10 trivial perf tests with default settings (a pytest subprocess).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

from pytest_perfguard.engine import Engine
from pytest_perfguard.model import BenchSettings, Measurement


def noop() -> None:
    pass


def small_work() -> int:
    return sum(i * i for i in range(40))


def perfguard(engine: Engine, fn: object) -> Measurement:
    assert callable(fn)
    fn()  # the first call, as perf() makes it
    return engine.measure_call(fn, BenchSettings(memory=False, allocations=False))


def timeit_ns(fn: object) -> float:
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    number, _ = timer.autorange()
    return min(timer.repeat(5, number)) / number * 1e9


def noop_vs_timeit(engine: Engine, pairs: int) -> None:
    ours, theirs = [], []
    for _ in range(pairs):
        ours.append(perfguard(engine, noop).median_ns)
        theirs.append(timeit_ns(noop))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print("1. no-op function, ns/op (pairs measured alternately in one process)")
    print(f"   perfguard median of medians: {statistics.median(ours):6.1f} ns")
    print(f"   timeit best-of-5, median:    {statistics.median(theirs):6.1f} ns")
    print(
        f"   ratio perfguard/timeit: median {statistics.median(ratios):.3f}, "
        f"range {min(ratios):.3f}-{max(ratios):.3f} (target <= 1.1)"
    )


def a_a(engine: Engine, pairs: int) -> None:
    raw, ref = [], []
    for _ in range(pairs):
        first, second = perfguard(engine, small_work), perfguard(engine, small_work)
        raw.append(abs(first.median_ns / second.median_ns - 1))
        assert first.ref_ratio and second.ref_ratio
        ref.append(abs(first.ref_ratio / second.ref_ratio - 1))
    print(f"2. A/A: the same function measured twice in a row, {pairs} pairs")
    print(
        f"   |median A / median B - 1|: median {statistics.median(raw):.2%}, "
        f"max {max(raw):.2%}, within 1%: {sum(r <= 0.01 for r in raw)}/{pairs}"
    )
    print(
        f"   |ref ratio A / ref ratio B - 1|: median {statistics.median(ref):.2%}, "
        f"max {max(ref):.2%}, within 1%: {sum(r <= 0.01 for r in ref)}/{pairs}"
    )


SUITE = """
import pytest

@pytest.mark.parametrize("i", range(10))
def test_trivial(perf, i):
    perf(len, "abc")
"""


def suite_wall_time() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_suite.py").write_text(SUITE)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", tmp]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
    assert done.returncode == 0, done.stdout + done.stderr
    print("3. a suite of 10 trivial perf tests, default settings (pytest subprocess)")
    print(f"   wall time: {wall:.1f} s (target < 10 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    args = parser.parse_args()
    engine = Engine()
    noop_vs_timeit(engine, args.pairs)
    a_a(engine, args.pairs)
    suite_wall_time()


if __name__ == "__main__":
    main()
