"""The timing engine's own figures, measured side by side in one run.

    python benchmarks/bench_timing.py [--pairs N] [--noop-only] [--busy K]

1. No-op function: the ns/op perfguard reports vs what `timeit` measures, alternating in the
   same process: its best of 5 (what `python -m timeit` reports) and, like for like with
   perfguard's median, its median of 5.
2. A/A: the same function measured twice in a row, N times: how far apart the two medians are
   (raw ns/op and reference ratio).
3. Wall time of a suite of 10 trivial perf tests with default settings (a pytest subprocess).

--noop-only measures 1. alone; --busy K runs K busy loops (other processes) meanwhile, to see
how load moves the figures.
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

from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.model import BenchSettings, Measurement


def noop() -> None:
    pass


def small_work() -> int:
    return sum(i * i for i in range(40))


def perfguard(engine: Engine, fn: object) -> Measurement:
    assert callable(fn)
    fn()  # the first call, as perf() makes it
    return engine.measure_call(fn, BenchSettings(memory=False, allocations=False))


def timeit_ns(fn: object) -> tuple[float, float]:
    """timeit's five repeats of autorange's number: (best, median) ns per call."""
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    number, _ = timer.autorange()
    times = [t / number * 1e9 for t in timer.repeat(5, number)]
    return min(times), statistics.median(times)


def noop_vs_timeit(engine: Engine, pairs: int) -> None:
    ours, best, middle = [], [], []
    for _ in range(pairs):
        ours.append(perfguard(engine, noop).median_ns)
        b, m = timeit_ns(noop)
        best.append(b)
        middle.append(m)
    print("1. no-op function, ns/op (pairs measured alternately in one process)")
    print(f"   perfguard median of rounds:  {statistics.median(ours):6.1f} ns")
    print(f"   timeit best of 5:            {statistics.median(best):6.1f} ns")
    print(f"   timeit median of 5:          {statistics.median(middle):6.1f} ns")
    for name, theirs in (("best of 5", best), ("median of 5", middle)):
        ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
        print(
            f"   ratio perfguard/timeit {name}: median {statistics.median(ratios):.3f}, "
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
    parser.add_argument("--noop-only", action="store_true", help="measure the no-op alone")
    parser.add_argument("--busy", type=int, default=0, metavar="K", help="K busy loops meanwhile")
    args = parser.parse_args()
    loops = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    try:
        if loops:
            print(f"({args.busy} busy loops running in other processes)")
        engine = Engine()
        noop_vs_timeit(engine, args.pairs)
        if not args.noop_only:
            a_a(engine, args.pairs)
            suite_wall_time()
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


if __name__ == "__main__":
    main()
