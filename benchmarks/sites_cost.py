"""Cost of the sites pass against the allocation pass, on the benchmarks of examples/.

    python benchmarks/sites_cost.py [--runs N]

Runs `pytest examples` with a plugin (-p) that wraps the engine's allocation pass and sites
pass and times each from its first step to its result (the driver's calls included), per
benchmark. Prints both passes' summed time, their ratio, and the ratio's median and largest
over the benchmarks, for each of `--runs` processes. The goal is a ratio of at most 2.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ("-p", "no:cacheprovider", "-p", "sc_timer")

TIMER = """
import json, os, time
from pytest_perfguard.measure import engine

SPENT = []
_current = {}


def timed(name, make):
    def wrapper(*args, **kwargs):
        inner = make(*args, **kwargs)
        t0 = time.perf_counter()
        try:
            return (yield from inner)
        finally:
            _current[name] = _current.get(name, 0.0) + time.perf_counter() - t0
    return wrapper


engine.allocation_pass = timed("allocations", engine.allocation_pass)
engine.sites_pass = timed("sites", engine.sites_pass)


def pytest_runtest_logfinish(nodeid, location):
    if "allocations" in _current and "sites" in _current:
        SPENT.append((nodeid, _current["allocations"], _current["sites"]))
    _current.clear()


def pytest_sessionfinish(session):
    with open(os.environ["SITES_COST_OUT"], "w") as f:
        json.dump(SPENT, f)
"""


def one_run(work: Path, i: int) -> list[tuple[str, float, float]]:
    out = work / f"spent{i}.json"
    env = dict(os.environ, PYTHONPATH=str(work), SITES_COST_OUT=str(out))
    subprocess.run(
        [sys.executable, "-m", "pytest", "examples", "-q", *PLUGINS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    return [tuple(row) for row in json.loads(out.read_text())]  # type: ignore[misc]


def summary(rows: list[tuple[str, float, float]], i: int) -> str:
    """One run's line: both passes summed, their ratio, and per benchmark."""
    allocs = sum(a for _, a, _ in rows)
    sites = sum(s for _, _, s in rows)
    ratios = [s / a for _, a, s in rows if a > 0]
    worst = max(rows, key=lambda r: r[2] / r[1] if r[1] else 0.0)
    return (
        f"run {i + 1}: {len(rows)} benchmarks; allocation pass {allocs:.3f} s, sites "
        f"pass {sites:.3f} s, sites/allocations {sites / allocs:.2f}x summed; per "
        f"benchmark median {statistics.median(ratios):.2f}x, largest "
        f"{max(ratios):.2f}x ({worst[0]}: allocation pass {worst[1] * 1e3:.2f} ms, sites pass "
        f"{worst[2] * 1e3:.2f} ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "sc_timer.py").write_text(TIMER)
        for i in range(args.runs):
            print(summary(one_run(work, i), i))


if __name__ == "__main__":
    main()
