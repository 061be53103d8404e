"""What pytest-benchmark's `benchmark` fixture costs over perfguard's own `perf(fn)`.

One pytest run measures the same no-op (and the same one-argument call) through both, in
pairs of tests alternating `benchmark` and `perf` so that the host's drift hits both alike,
and prints the medians of the pairs' ns/op and of their ratios. Run it in the venv:

    python benchmarks/compat_overhead.py [--pairs 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HEAD = """
def noop():
    pass

def one(x):
    pass
"""

PAIR = """
def test_{i:02d}_{args}_a(benchmark):
    benchmark({call})

def test_{i:02d}_{args}_b(perf):
    perf({call})
"""


def suite(pairs: int) -> str:
    """Pairs of tests, `benchmark` then `perf`, in collection (and run) order."""
    calls = {"noop": "noop", "one": "one, 1"}
    tests = [
        PAIR.format(i=i, args=args, call=call) for i in range(pairs) for args, call in calls.items()
    ]
    return HEAD + "".join(tests)


def run(pairs: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_cost.py").write_text(suite(pairs))
        out = root / "results.json"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:benchmark",
            "-p",
            "no:codspeed",
            "-p",
            "no:xdist",
            "--perf-max-time=0.3",
            f"--perf-json={out}",
            "test_cost.py",
        ]
        subprocess.run(command, cwd=root, check=True, capture_output=True)
        document = json.loads(out.read_text())
    medians: dict[str, list[float]] = {}
    for entry in document["benchmarks"]:
        # test_cost.py::test_I_CALL_a (benchmark) or _b (perf), in run order
        _, _, call, side = entry["nodeid"].split("::")[1].split("_")
        key = f"{'benchmark' if side == 'a' else 'perf'} {call}"
        medians.setdefault(key, []).append(entry["measurement"]["median_ns"])
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10)
    pairs = parser.parse_args().pairs
    medians = run(pairs)
    print(f"{'call':32} {'median ns/op':>12}  (median over {pairs} tests, one pytest run)")
    for call in ("noop", "one"):
        for side in ("perf", "benchmark"):
            shown = f"{side}(noop)" if call == "noop" else f"{side}(one, 1)"
            print(f"{shown:32} {statistics.median(medians[f'{side} {call}']):12.1f}")
        pairs_of = zip(medians[f"benchmark {call}"], medians[f"perf {call}"], strict=True)
        ratios = [b / p for b, p in pairs_of]
        print(
            f"{'  benchmark/perf, pairwise':32} {statistics.median(ratios):12.3f}"
            f"  (range {min(ratios):.3f}-{max(ratios):.3f})"
        )


if __name__ == "__main__":
    main()
