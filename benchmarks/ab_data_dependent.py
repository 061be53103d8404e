"""Same-job A/B counts on a benchmark whose allocations depend on its data: false failures of
unchanged code, and +1 object per call caught.

The benchmark sorts records that it shuffles (unseeded) in `perf.paused()` before each call,
so timsort allocates a varying number of blocks from call to call. A scratch git repository
holds it; then `pytest --perf-compare-ref HEAD --perf-ab-processes 2` runs `--runs` times on
the unchanged tree (A/A), and `--runs` times with the head's function allocating one more
object per call (`tag = object()`). It prints, per series, the runs with a failing count
verdict (allocs/op, B/op, objects/op or calls/op), with the counts each side read.

    python benchmarks/ab_data_dependent.py [--runs 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

LIB = """
def sort_records(records):
    {extra}return sorted(records, key=lambda r: (r[1], r[0]))
"""
TEST = """
import random

import pytest

import mylib

RECORDS = [(i, random.randrange(50)) for i in range(2000)]


@pytest.mark.perf(max_time=0.2)
def test_sort_records(perf):
    data = list(RECORDS)
    for _ in perf.loop():
        with perf.paused():
            random.shuffle(data)
        mylib.sort_records(data)
"""
COUNTS = ("allocs", "bytes", "objects", "calls")


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=repo,
                   check=True, capture_output=True)  # fmt: skip


def run(repo: Path, index: int) -> tuple[int, list[str], str]:
    """The exit status, the count verdicts that failed, and allocs/op as both sides read it."""
    out = repo / f"run-{index}.json"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--perf-compare-ref",
         "HEAD", "--perf-ab-processes", "2", "--perf-json", str(out)],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    (repo / f"run-{index}.txt").write_text(done.stdout + done.stderr)
    if not out.exists():
        raise SystemExit(
            f"run {index}: no results (exit {done.returncode}):\n{done.stdout[-3000:]}"
        )
    failing, seen = [], "allocs/op n/a"
    for bench in json.loads(out.read_text())["benchmarks"]:
        for metric in (bench.get("comparison") or {}).get("metrics", []):
            if metric["metric"] in COUNTS and metric["verdict"] == "regressed":
                failing.append(
                    f"{metric['metric']} {metric['baseline']:g} -> {metric['current']:g}"
                )
            if metric["metric"] == "allocs":
                seen = f"allocs/op {metric['baseline']:g} -> {metric['current']:g}"
    return done.returncode, failing, seen


def series(repo: Path, name: str, runs: int, start: int) -> int:
    """Runs `runs` times; how many had a failing count verdict."""
    failed = 0
    for i in range(runs):
        code, failing, seen = run(repo, start + i)
        failed += bool(failing)
        said = ", ".join(failing) or "none"
        print(f"  {name} run {i + 1}: exit {code}; {seen}; failing counts: {said}", flush=True)
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the repository, results and outputs here")
    args = parser.parse_args()
    repo = args.keep or Path(tempfile.mkdtemp(prefix="ab-data-dependent-"))
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "mylib.py").write_text(LIB.format(extra=""))
    (repo / "test_sort.py").write_text(TEST)
    git(repo, "init", "-q")
    git(repo, "add", "mylib.py", "test_sort.py")
    git(repo, "commit", "-qm", "base")
    print(f"repository: {repo}")
    aa = series(repo, "A/A", args.runs, 0)
    (repo / "mylib.py").write_text(LIB.format(extra="tag = object()\n    "))
    ab = series(repo, "+1 object per call", args.runs, args.runs)
    print(f"A/A: {aa} of {args.runs} runs failed; +1 object per call: {ab} of {args.runs} caught")


if __name__ == "__main__":
    main()
