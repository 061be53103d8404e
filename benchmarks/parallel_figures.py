"""Thread scaling figures of perf.parallel, on this machine.

    python benchmarks/parallel_figures.py [--runs 10] [--compares 10] [--max-time 1.0]
                                          [--op sha256|sleep] [--gate-only] [--strict]
                                          [--saves 3]

1. Efficiency at 2 threads (ops/s at 2 / (2 x ops/s at 1)), `--runs` measurements of a
   threads=[1, 2] sweep each, in this process: a pure-Python (GIL-bound) checksum, expected
   near 0.5, and hashlib.sha256 on 1 MiB blocks (the GIL released), expected near 1.0 on an
   idle 2-core machine. Each run prints the share of the machine other processes took while it
   was timed: a busy second core lowers sha256's efficiency toward 0.5, whatever the code.
2. The efficiency gate against saved runs (stored mode, not same-job A/B): a test file hashing
   1 MiB blocks in a threads=[1, 2] sweep, each thread holding a lock around the hash. Saved
   `--saves` times with its own lock per thread (no contention); then `--compares` runs of
   `pytest --perf-compare` with one global lock (the head's change: the threads serialize),
   alternating with `--compares` runs of the unchanged file. A head run counts as caught when
   the test fails with "efficiency at 2 threads regressed" (not advisory); an unchanged run as
   a false failure when the test fails at all. The per-thread and the global lock run the same
   code: the same calls and allocations per op, only the contention differs.
   `--op sleep` holds the lock around a 1 ms sleep instead (no CPU needed: it scales to 2
   threads even while other processes keep the cores busy), to show the gate on a loaded
   machine; `--gate-only` skips part 1. A verdict is advisory while other processes take over
   25% of the machine (a busy core lowers efficiency as a lock does); `--strict` compares with
   `--perf-strict`, under which it fails anyway.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from pytest_perfguard.judge.efficiency import sweep_estimates
from pytest_perfguard.measure.engine import Engine
from pytest_perfguard.measure.parallel import measure_parallel, python_build
from pytest_perfguard.model import BenchSettings

BLOCK = bytes(range(256)) * 4096  # 1 MiB


def checksum(data: bytes = BLOCK) -> int:
    total = 0
    for byte in data[:20_000]:
        total = (total * 31 + byte) & 0xFFFFFFFF
    return total


def sha256(data: bytes = BLOCK) -> bytes:
    return hashlib.sha256(data).digest()


def efficiencies(fn: object, runs: int, max_time: float) -> list[tuple[float, float | None]]:
    settings = BenchSettings(max_time=max_time, allocations=False, memory=False, profile=False)
    engine = Engine()
    out = []
    for _ in range(runs):
        m = measure_parallel(engine, settings, (1, 2), lambda: fn)  # type: ignore[arg-type,return-value]
        out.append((sweep_estimates(m)[-1].efficiency, m.others_cpu))
    return out


TEST_FILE = """
import hashlib
import os
import threading
import time

BLOCK = bytes(range(256)) * 4096  # 1 MiB
SHARED = threading.Lock()


def locked_hash(lock, data):
    with lock:
        return hashlib.sha256(data).digest()


def locked_sleep(lock, data):
    with lock:
        time.sleep(0.001)
        return data[:1]


def one_lock():
    # Unchanged: a lock of each thread's own. Head (GLOBAL=1): one lock for all threads.
    lock = SHARED if os.environ.get("GLOBAL") else threading.Lock()
    return (lock, BLOCK), {}


def test_op(perf):
    perf.parallel(locked_{op}, threads=[1, 2], setup=one_lock)
"""


def pytest_run(where: Path, *args: str, head: bool = False) -> tuple[int, str]:
    env = dict(os.environ)
    env.pop("GLOBAL", None)
    if head:
        env["GLOBAL"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode, done.stdout


def gate(compares: int, op: str, strict: bool, saves: int) -> None:
    compare = ("--perf-compare", "--perf-strict") if strict else ("--perf-compare",)
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        (where / "test_gate.py").write_text(
            TEST_FILE.replace("{op}", "hash" if op == "sha256" else op)
        )
        for _ in range(saves):
            code, out = pytest_run(where, "--perf-save")
            if code != 0:
                raise SystemExit(f"saving failed:\n{out}")
        caught = advisory = false = 0
        for i in range(compares):
            code, out = pytest_run(where, *compare, head=True)
            line = next((x for x in out.splitlines() if "efficiency at 2 threads" in x), "")
            if code == 1 and "efficiency at 2 threads regressed:" in out:
                caught += 1
            elif "regressed (advisory)" in line:
                advisory += 1
            print(f"  head run {i + 1}: exit {code}: {line.strip() or 'efficiency unchanged'}")
            code, out = pytest_run(where, *compare)
            line = next((x for x in out.splitlines() if "efficiency at 2 threads" in x), "")
            false += code != 0
            print(f"  unchanged run {i + 1}: exit {code}: {line.strip() or 'efficiency unchanged'}")
        print(
            f"{op}: global lock caught by the efficiency gate: {caught}/{compares} "
            f"(advisory, machine busy: {advisory}); unchanged failed: {false}/{compares}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--compares", type=int, default=10)
    parser.add_argument("--max-time", type=float, default=1.0)
    parser.add_argument("--op", choices=("sha256", "sleep"), default="sha256")
    parser.add_argument("--gate-only", action="store_true")
    parser.add_argument("--strict", action="store_true")
    parser.add_argument("--saves", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]} ({python_build()} build), {os.cpu_count()} CPUs")
    parts = (("pure-Python checksum", checksum), ("sha256, 1 MiB blocks", sha256))
    for name, fn in () if args.gate_only else parts:
        found = efficiencies(fn, args.runs, args.max_time)
        values = [e for e, _ in found]
        shares = ", ".join("n/a" if o is None else f"{o:.0%}" for _, o in found)
        print(
            f"{name}: efficiency at 2 threads over {len(values)} runs: median "
            f"{statistics.median(values):.2f}, range {min(values):.2f}-{max(values):.2f} "
            f"[{', '.join(f'{e:.2f}' for e in values)}]; other processes' share: {shares}"
        )
    gate(args.compares, args.op, args.strict, args.saves)


if __name__ == "__main__":
    main()
