"""Figures of the allocation sites' "where" (issue 29), printed for the README.

    python benchmarks/sites_figures.py [--reps 5] [--cost-runs 1] [--only free-list]

1. A helper two calls below the benchmarked function allocates one extra list per call: the
   failure's "where" (its JSON) names that helper's function and line as the top allocs/op
   change, in stored mode (--perf-save, then --perf-compare) and in A/B (--perf-compare-ref
   HEAD in a scratch git repository, the change uncommitted), `--reps` times each, every
   repetition in a fresh temporary directory.
2. The same helper allocating a 64 KiB bytearray per call: named as the top B/op change
   (stored mode and A/B).
   On Python 3.13+ also: the same helper making one `tag = []` per call (a free-list list: no
   allocator call, one more object), named as the top objects/op change.
3. The sites pass's cost as a ratio to the allocation pass on the benchmarks of examples/
   (benchmarks/sites_cost.py, `--cost-runs` processes).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sites_cost  # this directory's own script

LIB = """\
def helper(n):
    out = [n, n]
{extra}    return out


def middle(n):
    return helper(n)


def bench():
    return middle(1)
"""
CHANGES = {
    "one extra list per call": ("    kept = [n, n, n]\n", "sites_by_allocs"),
    "+64 KiB bytearray per call": ("    blob = bytearray(65536)\n", "sites_by_bytes"),
}
if sys.version_info >= (3, 13):  # objects per site: the reference tracer
    CHANGES["one free-list object per call"] = ("    tag = []\n", "sites_by_objects")
NEW_LINE = 3
"""The line the change adds in helper()."""
TESTS = """
import pytest
import mylib

@pytest.mark.perf(max_time=0.1)
def test_bench():
    mylib.bench()
"""


def pytest(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )


def git(cwd: Path, *args: str) -> None:
    command = ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args]
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)


def top_change(out: Path, ranking: str) -> str:
    """The failure's top site change of `ranking`, as file:line(function), or what went wrong."""
    if not out.exists():
        return "no JSON written"
    comparison = json.loads(out.read_text())["benchmarks"][0]["comparison"]
    where = comparison and comparison["where"]
    if not where or not where[ranking]:
        return f"no {ranking} (verdict {comparison and comparison['verdict']})"
    top = where[ranking][0]
    return f"{top['file']}:{top['line']}({top['function']})"


def one(mode: str, extra: str, ranking: str) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "mylib.py").write_text(LIB.format(extra=""))
        (work / "test_bench.py").write_text(TESTS)
        out = work / "out.json"
        if mode == "stored":
            pytest(work, "--perf-save")
            (work / "mylib.py").write_text(LIB.format(extra=extra))
            pytest(work, "--perf-compare", f"--perf-json={out}")
        else:
            git(work, "init", "-q")
            git(work, "add", ".")
            git(work, "commit", "-qm", "base")
            (work / "mylib.py").write_text(LIB.format(extra=extra))
            pytest(work, "--perf-compare-ref", "HEAD", f"--perf-json={out}")
        return top_change(out, ranking)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--cost-runs", type=int, default=1)
    parser.add_argument("--only", default="", help="only the changes whose name contains this")
    args = parser.parse_args()
    want = f"mylib.py:{NEW_LINE}(helper)"
    for i, (change, (extra, ranking)) in enumerate(CHANGES.items(), 1):
        if args.only not in change:
            continue
        for mode in ("stored", "A/B"):
            tops = [one(mode, extra, ranking) for _ in range(args.reps)]
            hits = sum(t == want for t in tops)
            print(
                f"{i}. {change}, {mode}: top {ranking} change is {want} in {hits} of "
                f"{args.reps}" + ("" if hits == args.reps else f" (got {tops})")
            )
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "sc_timer.py").write_text(sites_cost.TIMER)
        for i in range(args.cost_runs):
            rows = sites_cost.one_run(work, i)
            print("3. " + sites_cost.summary(rows, i))


if __name__ == "__main__":
    main()
