"""Concurrent savers: N real processes saving disjoint benchmarks into one baseline at once.

Each round starts the savers (tests/savers.py), waits until every one has imported perfguard
and stands at the line, then lets them go together; each makes its saves (read, merge, replace)
as fast as it can. Counts the entries that did not land, and savers that crashed. `--unlocked`
runs the same savers without the save lock (perfguard before issue 11 re-read the file too, but
held no lock): the figure's "before".

    python benchmarks/concurrent_save.py [--processes 4] [--saves 5] [--rounds 10] [--unlocked]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/savers.py

from tests import savers  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--saves", type=int, default=5, help="saves per process and round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--unlocked", action="store_true", help="no save lock (the old way)")
    args = parser.parse_args()
    lost = crashed = expected_total = 0
    started = time.perf_counter()
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory() as scratch:
            path = Path(scratch) / ".perfguard" / "baseline.toml"
            expected, found, failed = savers.concurrent_round(
                path, args.processes, args.saves, args.unlocked
            )
        crashes = failed.count("Traceback")
        lost += expected - found
        crashed += crashes
        expected_total += expected
        print(f"round {i + 1}: {found}/{expected} entries landed, {crashes} saver(s) crashed")
    mode = "WITHOUT the save lock" if args.unlocked else "with the save lock"
    print(
        f"concurrent_save ({mode}): {args.processes} processes x {args.saves} saves each, "
        f"x {args.rounds} rounds, {time.perf_counter() - started:.0f} s: "
        f"{lost} of {expected_total} entries lost, {crashed} saver(s) crashed"
    )
    return 1 if lost or crashed else 0


if __name__ == "__main__":
    sys.exit(main())
