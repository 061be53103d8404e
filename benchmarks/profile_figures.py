"""Figures of the profiling pass (calls per op, "where"), printed for the README.

    python benchmarks/profile_figures.py [--pairs N]

1. The pass's cost relative to the timing pass, per benchmark of examples/ (wall time of the
   plan's steps, measured by wrapping Engine.plan in the pytest process).
2. The added wall time of the main job, `pytest examples --perf-compare -p no:cacheprovider`,
   profiling on against off, in interleaved runs (on/off order alternating).
3. calls/op of every example in 3 processes (A/A): identical or not.
4. +1 call per op: caught exactly by --perf-compare.
5. An injected regression (a helper made slower; another called twice): the top entry of the
   profile diff, in saved-baseline mode and in A/B mode (--perf-compare-ref).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# A plugin (-p) timing the plan's passes in the pytest process: the time from a step's yield to
# the plan's next request is that step's; the timing pass also holds the reference rounds.
TIMER = """
import json, os, time
from pytest_perfguard.measure import engine
from pytest_perfguard.measure.steps import Kind

_plan = engine.Engine.plan
SPENT = {"timing": 0.0, "other": 0.0, "profile": 0.0, "benchmarks": 0}

def plan(self, *args, **kwargs):
    inner = _plan(self, *args, **kwargs)
    t0 = time.perf_counter()
    phase = "timing"
    step = next(inner)
    try:
        while True:
            if step.kind is Kind.PROFILE or phase == "profile":
                if phase != "profile":
                    SPENT[phase] += time.perf_counter() - t0
                    t0, phase = time.perf_counter(), "profile"
            elif step.kind in (Kind.COUNT, Kind.PEAK) and phase == "timing":
                SPENT["timing"] += time.perf_counter() - t0
                t0, phase = time.perf_counter(), "other"
            sent = yield step
            step = inner.send(sent)
    except StopIteration as stop:
        SPENT[phase] += time.perf_counter() - t0
        SPENT["benchmarks"] += 1
        return stop.value

engine.Engine.plan = plan

def pytest_sessionfinish(session):
    with open(os.environ["PROFILE_FIGURES_OUT"], "w") as f:
        json.dump(SPENT, f)
"""


def run(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=cwd, capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    return time.perf_counter() - t0, done.stdout + done.stderr


def pass_cost(work: Path) -> None:
    (work / "pf_timer.py").write_text(TIMER)
    out = work / "spent.json"
    env = dict(os.environ, PYTHONPATH=str(work), PROFILE_FIGURES_OUT=str(out))
    run(ROOT, "examples", "-p", "pf_timer", "-q", env=env)
    spent = json.loads(out.read_text())
    print(
        f"1. passes over the {spent['benchmarks']} benchmarks of examples/ (one process, summed):"
    )
    print(f"   timing {spent['timing']:.2f} s, allocations + peak memory {spent['other']:.2f} s, "
          f"profiling {spent['profile']:.3f} s = {spent['profile'] / spent['timing']:.1%} of "
          "the timing pass")  # fmt: skip


def main_job(work: Path, pairs: int) -> None:
    base = work / "base.toml"
    run(ROOT, "examples", "--perf-save", "--perf-baseline", str(base), "-q")
    on: list[float] = []
    off: list[float] = []
    calls: list[dict[str, float]] = []
    for i in range(pairs):
        order = ("on", "off") if i % 2 == 0 else ("off", "on")
        for mode in order:
            out = work / f"{mode}{i}.json"
            args = ["examples", "--perf-compare", "--perf-baseline", str(base), "-q",
                    "--perf-json", str(out)]  # fmt: skip
            if mode == "off":
                args.append("--perf-profiling=false")
            took, _ = run(ROOT, *args)
            (on if mode == "on" else off).append(took)
            if mode == "on":
                doc = json.loads(out.read_text())
                calls.append(
                    {b["nodeid"]: b["measurement"]["calls_per_op"] for b in doc["benchmarks"]}
                )
    ratios = [a / b for a, b in zip(on, off, strict=True)]
    print("2. main job `pytest examples --perf-compare -p no:cacheprovider`, wall time:")
    print(f"   profiling on  {', '.join(f'{t:.1f}' for t in on)} s")
    print(f"   profiling off {', '.join(f'{t:.1f}' for t in off)} s")
    print(f"   on/off per pair {', '.join(f'{r:.3f}' for r in ratios)}; "
          f"median {statistics.median(ratios):.3f}")  # fmt: skip
    same = [n for n in calls[0] if len({c.get(n) for c in calls}) == 1]
    print(f"3. calls/op across {len(calls)} processes (A/A): identical for {len(same)} of "
          f"{len(calls[0])} benchmarks")  # fmt: skip
    for n in calls[0]:
        if n not in same:
            print(f"   differs: {n}: {[c.get(n) for c in calls]}")


SUITE = """
import pytest


def parse(text):
    return [int(part) for part in text.split(",")]


def total(values):
    return sum(values)


def first(values):
    return values[0]


def checked(values):
    ok = True
    for _ in range({reps}):
        for v in values:
            ok = ok and v >= 0
    return ok


TEXT = ",".join(str(i) for i in range(200))


@pytest.mark.perf
def test_pipeline():
    values = parse(TEXT)
{extra}    checked(values)
    total(values)
"""
PLUS_ONE = "    first(values)\n"
TWICE = "    total(values)\n"


def where_top(output: str) -> list[str]:
    lines = output.splitlines()
    out = []
    for title in ("own time:", "calls:"):
        at = next((i for i, line in enumerate(lines) if line.strip() == title), None)
        if at is not None:
            out.append(f"{title} {lines[at + 1].strip()}")
    return out


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=repo,
                   check=True, capture_output=True)  # fmt: skip


def regressions(work: Path) -> None:
    repo = work / "suite"
    repo.mkdir()
    test = repo / "test_pipeline.py"
    test.write_text(SUITE.format(reps=1, extra=""))
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    fast = ("--perf-max-time=0.2", "-q")
    run(repo, *fast, "--perf-save")
    test.write_text(SUITE.format(reps=1, extra=PLUS_ONE))
    _, output = run(repo, *fast, "--perf-compare")
    rule = next((ln.strip() for ln in output.splitlines() if "calls/op regressed" in ln), None)
    print(f"4. +1 call per op (first() added), --perf-compare: {rule or 'NOT caught'}")
    # A helper made slower (checked: its loop run 4 times) and another called twice (total):
    test.write_text(SUITE.format(reps=4, extra=TWICE))
    _, output = run(repo, *fast, "--perf-compare")
    print("5. injected regression (checked() made 4x slower, total() called twice), top of diff:")
    for line in where_top(output):
        print(f"   saved baseline: {line}")
    _, output = run(repo, *fast, "--perf-compare-ref", "HEAD")
    for line in where_top(output):
        print(f"   A/B (--perf-compare-ref HEAD): {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="interleaved on/off pairs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pass_cost(work)
        regressions(work)
        main_job(work, args.pairs)


if __name__ == "__main__":
    main()
