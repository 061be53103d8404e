"""Figures of the instruction pass (--perf-instructions), printed for the README.

    python benchmarks/instructions_aa.py [--runs N] [--plain-runs M] [-k EXPR] [PATH ...]

1. A/A: the examples' (or PATHs') instructions per op in N separate runs of
   `pytest --perf-instructions`: per benchmark the relative spread (max - min) / min, the
   largest of them, and their distribution. Single-threaded and multi-threaded benchmarks are
   listed apart (threads make counts depend on scheduling, as with calls/op).
2. Cost: the wall time of a run with the pass against M plain runs (`pytest PATH`), and the
   pass's own seconds as the run reports them.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
THREADED = re.compile(r"test_workers\.py|thread", re.IGNORECASE)
"""Node ids of benchmarks that start threads (examples/test_workers.py)."""
COUNTED = re.compile(r"instructions counted for (\d+) benchmarks(?:, (\d+) n/a)? in ([\d.]+) s")


def run_pytest(paths: list[str], extra: list[str], out: Path) -> tuple[float, str]:
    argv = [sys.executable, "-m", "pytest", *paths, "-q", "-p", "no:cacheprovider",
            "--perf-json", str(out), *extra]  # fmt: skip
    t0 = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.monotonic() - t0
    if done.returncode not in (0, 1):
        sys.exit(f"pytest failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr}")
    return took, done.stdout


def counts(path: Path) -> dict[str, float | None]:
    data = json.loads(path.read_text())
    return {b["nodeid"]: b["measurement"]["instructions_per_op"] for b in data["benchmarks"]}


def spread(values: list[float]) -> float:
    return (max(values) - min(values)) / min(values) if min(values) > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=[str(EXAMPLES)])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--plain-runs", type=int, default=1)
    parser.add_argument("-k", dest="keyword", default=None)
    args = parser.parse_args()
    select = ["-k", args.keyword] if args.keyword else []

    runs: list[dict[str, float | None]] = []
    walls: list[float] = []
    passes: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        plain: list[float] = []
        for i in range(max(args.runs, args.plain_runs)):
            if i < args.plain_runs:  # interleaved, so both see the same machine
                took, _ = run_pytest(args.paths, select, Path(tmp) / "plain.json")
                plain.append(took)
            if i < args.runs:
                out = Path(tmp) / f"run{i}.json"
                took, stdout = run_pytest(args.paths, [*select, "--perf-instructions"], out)
                walls.append(took)
                m = COUNTED.search(stdout)
                passes.append(float(m.group(3)) if m else float("nan"))
                runs.append(counts(out))
                print(f"run {i + 1}: {took:.1f} s wall, pass {passes[-1]:.1f} s", flush=True)

    nodeids = sorted(runs[0])
    print(f"\nA/A: instructions/op of {len(nodeids)} benchmarks in {len(runs)} runs")
    single: list[float] = []
    threaded: list[float] = []
    missing = 0
    for nodeid in nodeids:
        values = [r.get(nodeid) for r in runs]
        if any(v is None for v in values):
            missing += 1
            print(f"  n/a  {nodeid}")
            continue
        s = spread([v for v in values if v is not None])
        (threaded if THREADED.search(nodeid) else single).append(s)
        print(
            f"  {s:8.4%}  {statistics.median(v for v in values if v is not None):>14,.0f}  {nodeid}"
        )
    for name, spreads in (("single-threaded", single), ("with threads", threaded)):
        if not spreads:
            continue
        spreads.sort()
        quart = statistics.quantiles(spreads, n=4) if len(spreads) > 1 else spreads * 3
        exact = sum(1 for s in spreads if s == 0)
        print(
            f"{name}: {len(spreads)} benchmarks, largest spread {spreads[-1]:.4%}, "
            f"median {statistics.median(spreads):.4%}, quartiles {quart[0]:.4%} / "
            f"{quart[2]:.4%}, identical in every run: {exact}"
        )
    if missing:
        print(f"n/a in some run: {missing}")
    wall_s = statistics.median(walls)
    if not plain:
        print(f"\ncost: with --perf-instructions {wall_s:.1f} s (median of {len(walls)})")
        return
    plain_s = statistics.median(plain)
    print(
        f"\ncost: plain run {plain_s:.1f} s (median of {len(plain)}), with --perf-instructions "
        f"{wall_s:.1f} s (median of {len(walls)}): {wall_s / plain_s:.2f}x; the pass itself "
        f"{statistics.median(passes):.1f} s, {statistics.median(passes) / len(nodeids):.2f} s "
        "per benchmark"
    )


if __name__ == "__main__":
    main()
