"""The fixed cost of same-job A/B: a one-benchmark suite run plain and with
`--perf-compare-ref HEAD` over 1, 8 and 16 process pairs, interleaved, `--runs` times each.

What it shows is the cost of starting and stopping the worker sessions (two per process
pair), which a suite pays once. With `--other DIR` (a second checkout of perfguard, e.g.
`git worktree add /tmp/before HEAD~3`), every run is made twice, once with that checkout first
on PYTHONPATH, side by side with this one: how a change moved the cost. Then, once per number
of process pairs, the memory of the run: the largest sum over the pytest processes (the
controlling one and its workers) of their proportional set size (PSS: shared pages divided
among the processes sharing them), sampled every 50 ms.

    python benchmarks/ab_cost.py [--runs 5] [--processes 1 8 16] [--other DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

TEST = """
import pytest

@pytest.mark.perf(max_time=0.1)
def test_sum():
    sum(range(100))
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=repo,
                   check=True, capture_output=True)  # fmt: skip


def pytest_command(args: list[str]) -> list[str]:
    return [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]


def timed(repo: Path, args: list[str], pythonpath: str | None) -> float:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    t0 = time.perf_counter()
    done = subprocess.run(pytest_command(args), cwd=repo, env=env, capture_output=True, text=True)
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"pytest {' '.join(args)} failed:\n{done.stdout[-2000:]}")
    return took


def peak_memory(repo: Path, args: list[str], pythonpath: str | None) -> float:
    """The largest total PSS, in MiB, of a pytest run and all its descendant processes."""
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    run = subprocess.Popen(
        pytest_command(args), cwd=repo, env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    top, peak = psutil.Process(run.pid), 0
    while run.poll() is None:
        total = 0
        try:
            for proc in (top, *top.children(recursive=True)):
                total += proc.memory_full_info().pss
        except psutil.Error:  # a process ended while sampled: this sample is incomplete
            continue
        peak = max(peak, total)
        time.sleep(0.05)
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 8, 16])
    parser.add_argument("--other", type=Path, help="another perfguard checkout, side by side")
    args = parser.parse_args()
    repo = Path(tempfile.mkdtemp(prefix="ab-cost-"))
    (repo / "test_one.py").write_text(TEST)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    versions: dict[str, str | None] = {"this": None}
    if args.other is not None:
        versions = {"other": str(args.other.resolve()), "this": None}
    cases = {"plain": [], **{f"A/B x{k}": ["--perf-compare-ref", "HEAD", "--perf-ab-processes",
                                          str(k)] for k in args.processes}}  # fmt: skip
    took: dict[tuple[str, str], list[float]] = {}
    for _ in range(args.runs):  # interleaved: drift touches every case alike
        for case, extra in cases.items():
            for version, path in versions.items():
                took.setdefault((case, version), []).append(timed(repo, extra, path))
    print(f"one-benchmark suite, median wall time of {args.runs} interleaved runs:")
    for case in cases:
        line = "  ".join(
            f"{version} {statistics.median(took[case, version]):.2f} s" for version in versions
        )
        print(f"  {case:10s} {line}")
    print("peak memory of the run (PSS summed over pytest and its workers):")
    for case, extra in cases.items():
        line = "  ".join(
            f"{version} {peak_memory(repo, extra, path):.0f} MiB"
            for version, path in versions.items()
        )
        print(f"  {case:10s} {line}")


if __name__ == "__main__":
    main()
