"""Where the instruction pass's time goes, and what the pass costs beside a plain run.

    python benchmarks/instructions_cost.py [--before REV] [--runs N] [-k EXPR] [PATH ...]

In one invocation, interleaved N times so that every variant sees the same machine:
  - `pytest PATH` (plain),
  - `pytest PATH --perf-instructions` with this tree's perfguard (after),
  - with --before REV: the same with REV's perfguard (a git worktree of REV on PYTHONPATH,
    this tree's compiled extension copied beside it).
Then the pass alone, in this tree, broken down from its worker's progress file (events are
time-stamped): start-up (valgrind, Python and pytest under valgrind, collection: until the
first benchmark starts), per benchmark its fixtures and warm-up (until counting starts), its
counting windows, and the rest (teardown, the session's end, writing the dumps).
Figures are wall-clock seconds on whatever machine runs it; say how loaded it was.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pytest_perfguard.run import instructions as ins  # noqa: E402
from pytest_perfguard.worker.process import WorkerExit, run_worker  # noqa: E402


def timed(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.monotonic()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    took = time.monotonic() - t0
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stdout[-3000:]}")
    return took


def old_tree(rev: str, into: Path) -> Path:
    tree = into / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(tree), rev],
                   check=True)  # fmt: skip
    for so in ROOT.glob("_perfguard_allocount*.so"):
        shutil.copy(so, tree / so.name)
    return tree


def breakdown(paths: list[str], select: list[str]) -> None:
    """The pass alone in this tree, its worker's events read back."""
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", *paths, *select, "--collect-only", "-q", "--perf-only",
         "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    nodeids = [line for line in listed.splitlines() if "::" in line]
    args = [*paths, *select, "-p", "no:cacheprovider", "-p", "no:xdist", "--perf-only", "-q"]
    starts: list[float] = []
    events: list[dict[str, object]] = []

    def run(argv: list[str], **kw: object) -> WorkerExit:
        starts.append(time.monotonic())
        exit = run_worker(argv, **kw)  # type: ignore[arg-type]
        progress = kw["progress"]
        assert isinstance(progress, Path)
        events.extend(json.loads(line) for line in progress.read_text().splitlines() if line)
        events.append({"event": "exit", "t": starts[-1] + exit.seconds})
        return exit

    valgrind = ins.find_valgrind()
    counts = ins.count_instructions(nodeids, args, cwd=ROOT, valgrind=valgrind, run=run)
    t0 = starts[0]
    first = next(float(e["t"]) for e in events if e["event"] == "start")  # type: ignore[arg-type]
    warm: list[float] = []
    windows: list[float] = []
    by: dict[int, dict[str, float]] = {}
    for e in events:
        if e["event"] in ("start", "counting", "windows"):
            by.setdefault(int(e["index"]), {})[str(e["event"])] = float(e["t"])  # type: ignore[call-overload,arg-type]
    for marks in by.values():
        if {"start", "counting", "windows"} <= marks.keys():
            warm.append(marks["counting"] - marks["start"])
            windows.append(marks["windows"] - marks["counting"])
    total = float(events[-1]["t"]) - t0  # type: ignore[arg-type]
    startup = first - t0
    rest = total - startup - sum(warm) - sum(windows)
    print(f"\nthe pass alone: {len(nodeids)} benchmarks, {len(counts.per_op)} counted, "
          f"{counts.workers} worker(s), {total:.1f} s")  # fmt: skip
    for name, s in (("start-up (valgrind, import, collection)", startup),
                    ("fixtures and warm-up calls", sum(warm)),
                    ("counting windows (measured calls, dumps)", sum(windows)),
                    ("the rest (teardown, session end)", rest)):  # fmt: skip
        print(f"  {name:44} {s:7.1f} s  {s / total:6.1%}")
    if warm:
        print(f"  per benchmark: warm-up median {statistics.median(warm):.2f} s (max "
              f"{max(warm):.2f}), windows median {statistics.median(windows):.2f} s (max "
              f"{max(windows):.2f})")  # fmt: skip
        slow = sorted(by.items(), key=lambda kv: -(kv[1].get("windows", 0) - kv[1]["start"]))
        names = dict(enumerate(nodeids))
        for i, marks in slow[:5]:
            if "windows" in marks:
                print(f"    {marks['windows'] - marks['start']:6.2f} s  {names[i]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", default=["examples"])
    parser.add_argument("--before", default=None, help="a revision to compare the cost with")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("-k", dest="keyword", default=None)
    args = parser.parse_args()
    select = ["-k", args.keyword] if args.keyword else []
    base = [sys.executable, "-m", "pytest", *args.paths, *select, "-q", "-p", "no:cacheprovider"]
    env = dict(os.environ)
    walls: dict[str, list[float]] = {"plain": [], "after": [], "before": []}
    with tempfile.TemporaryDirectory(prefix="perfguard-cost-") as tmp:
        before = old_tree(args.before, Path(tmp)) if args.before else None
        try:
            for i in range(args.runs):
                walls["plain"].append(timed(base, env))
                walls["after"].append(timed([*base, "--perf-instructions"], env))
                if before is not None:
                    old = {**env, "PYTHONPATH": str(before)}
                    walls["before"].append(timed([*base, "--perf-instructions"], old))
                print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in walls.items()
                                                   if v), flush=True)  # fmt: skip
        finally:
            if before is not None:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(before)], check=False)  # fmt: skip
    plain = statistics.median(walls["plain"])
    print(f"\nwall time, median of {args.runs}: plain run {plain:.1f} s")
    for name in ("before", "after"):
        if walls[name]:
            s = statistics.median(walls[name])
            label = f"--perf-instructions ({name}{': ' + args.before if name == 'before' else ''})"
            print(f"  {label:44} {s:7.1f} s  {s / plain:5.2f}x the plain run")
    breakdown(args.paths, select)


if __name__ == "__main__":
    main()
