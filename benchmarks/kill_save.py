"""Saves killed with SIGKILL at random moments: the baseline must stay whole, and the next save
must leave no temporary file behind.

A large baseline (--benchmarks entries, 5 runs each) is re-saved in a loop by a child process
(tests/savers.py: read under the lock, merge, write a temporary file, rename it over the
baseline). Most of a save is reading and merging; the temporary file exists only while the new
file is written and synced. So every other child is killed at a random moment over several
saves, and the others at a random moment (0-3 ms) after a temporary file appeared: mid-write,
where a kill leaves one behind. After each kill
the file must load (not corrupt: the old version or the new one), and after the next save in
this process no temporary file may be left, in the save directory or beside the baseline.
`--unlocked` runs the children without the lock and its clearing (the "before").

    python benchmarks/kill_save.py [--kills 50] [--benchmarks 1500] [--seed 11] [--unlocked]
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/savers.py

from pytest_perfguard.store import baseline as storage  # noqa: E402
from tests import savers  # noqa: E402


def temporary_files(folder: Path) -> list[Path]:
    return [*(folder / storage.SAVE_DIR).glob("*.tmp"), *folder.glob(".*.tmp")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--benchmarks", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--unlocked", action="store_true", help="no save lock (the old way)")
    args = parser.parse_args()
    if not hasattr(signal, "SIGKILL"):
        print("kill_save: needs POSIX signals")
        return 2
    rng = random.Random(args.seed)
    env = dict(os.environ, PERFGUARD_FIGURE_UNLOCKED="1" if args.unlocked else "")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / ".perfguard" / "baseline.toml"
        results = [savers.result(f"tests/test_big.py::test_{i}") for i in range(args.benchmarks)]
        for day in range(5):
            storage.save_results(path, results, savers.FP, now=savers.T0 + timedelta(days=day))
        size = path.stat().st_size
        start = time.perf_counter()
        storage.save_results(path, results, savers.FP, now=savers.T0 + timedelta(days=6))
        one_save = time.perf_counter() - start
        print(f"baseline: {args.benchmarks} benchmarks x 5 runs, {size / 1e6:.1f} MB; "
              f"one save here: {one_save * 1000:.0f} ms")  # fmt: skip
        corrupt = left_after_kill = left_after_next_save = mid_write = 0
        delays = []
        for k in range(args.kills):
            before = set(temporary_files(path.parent))
            child = subprocess.Popen(
                [sys.executable, "-m", "tests.savers", "loop", str(path)], cwd=ROOT, env=env
            )
            started = time.perf_counter()
            if k % 2:
                # A random moment past the child's start (import, first read), within saves.
                time.sleep(0.5 + rng.uniform(0, 4 * one_save))
            else:
                # A random moment of a write: a temporary file of this child has appeared.
                deadline = time.monotonic() + 60
                while set(temporary_files(path.parent)) <= before:
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.0005)
                time.sleep(rng.uniform(0, 0.003))
            delays.append(time.perf_counter() - started)
            child.send_signal(signal.SIGKILL)
            child.wait()
            try:
                storage.load(path)
            except storage.BaselineError as exc:
                corrupt += 1
                print(f"kill {k + 1}: CORRUPT: {exc}")
                return 1
            left = len(set(temporary_files(path.parent)) - before)
            left_after_kill += left
            mid_write += left > 0
            if not args.unlocked:
                # The next save, in this process: clears what the killed one left.
                storage.save_results(path, results[:1], savers.FP, now=savers.T0)
                left_after_next_save += len(temporary_files(path.parent))
        remaining = len(temporary_files(path.parent))
    mode = "WITHOUT the save lock" if args.unlocked else "with the save lock"
    print(f"kill_save ({mode}): {args.kills} SIGKILLs at {min(delays):.2f}-{max(delays):.2f} s "
          f"into a child re-saving the baseline in a loop")  # fmt: skip
    print(f"  corrupt baseline after a kill: {corrupt}")
    print(f"  kills that left a temporary file (killed mid-write): {mid_write}")
    print(f"  temporary files right after the kills: {left_after_kill} in all")
    if args.unlocked:
        print(f"  temporary files left at the end (nothing clears them): {remaining}")
    else:
        print(f"  temporary files left after the next save: {left_after_next_save} in all")
    return 1 if corrupt or (left_after_next_save and not args.unlocked) else 0


if __name__ == "__main__":
    sys.exit(main())
