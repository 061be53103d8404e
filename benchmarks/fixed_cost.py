"""What a benchmark costs beyond its `max_time`, and what a suite of cheap benchmarks costs.

1. Fixed cost: `Engine().measure_call` over a trivial call with max_time=0.05 s and every
   pass, 20 times in a fresh process: wall time per benchmark minus max_time (median). Once in
   a bare process, once in one that first keeps 2 million small objects alive (a large
   application's heap: a full garbage collection walks all of it).
2. Suite: `pytest --perf-max-time=0.05` over N trivial benchmarks (default 1,000): wall time.

    python benchmarks/fixed_cost.py [--suite 1000]

Runs with whichever pytest-perfguard the interpreter has installed, so an older version is
measured by running this script with that version's interpreter.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = """
import gc, statistics, sys, time
try:
    from pytest_perfguard.measure.engine import Engine
except ImportError:  # versions before the measure/ layout
    from pytest_perfguard.engine import Engine
from pytest_perfguard.model import BenchSettings

heap = [[i] for i in range(int(sys.argv[1]))]  # long-lived lists: always tracked
engine, settings = Engine(), BenchSettings(max_time=0.05)
engine.measure_call(int, settings)  # the session's one-time costs: reference calibration
costs = []
for _ in range(20):
    t0 = time.perf_counter()
    engine.measure_call(int, settings)
    costs.append(time.perf_counter() - t0 - settings.max_time)
t0 = time.perf_counter()
gc.collect()
full = time.perf_counter() - t0
print(f"{statistics.median(costs) * 1e3:.1f} {min(costs) * 1e3:.1f} {max(costs) * 1e3:.1f} "
      f"{full * 1e3:.0f} {len(gc.get_objects())}")
"""


def fixed_cost(objects: int) -> str:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(objects)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),
    )
    median, low, high, full, tracked = out.stdout.split()
    return (
        f"median {median} ms (range {low}-{high}) beyond max_time; "
        f"{int(tracked):,} tracked objects, one full collection {full} ms"
    )


def suite(n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "test_many.py").write_text(
            "import pytest\n\n"
            f"@pytest.mark.parametrize('i', range({n}))\n"
            "def test_trivial(perf, i):\n"
            "    perf(int, '1')\n"
        )
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             "--perf-max-time=0.05", "test_many.py"],
            cwd=tmp,
            capture_output=True,
            check=True,
        )  # fmt: skip
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=int, default=1000, help="benchmarks in the suite run")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, max_time 0.05 s, all passes")
    print(f"fixed cost, bare process:     {fixed_cost(0)}")
    print(f"fixed cost, 2M-object heap:   {fixed_cost(2_000_000)}")
    if args.suite:
        took = suite(args.suite)
        print(f"{args.suite} trivial benchmarks at --perf-max-time=0.05: {took:.1f} s "
              f"({took / args.suite * 1e3:.0f} ms each)")  # fmt: skip


if __name__ == "__main__":
    main()
