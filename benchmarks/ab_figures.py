"""Same-job A/B figures: false failures of unchanged code, and detection of +2/+5/+10%.

Builds a scratch git repository holding a suite of 32 benchmarks of mixed kinds (pure Python,
C-heavy sort/json/regex/hash/zlib, allocation-heavy, per-call setup, perf.loop()), commits
it as the base, then makes the head: six functions slowed by +2%, +5% and +10% (a pure-Python
loop and a C sort each), the rest unchanged. Then:

- A/A: `pytest --perf-compare-ref HEAD` on the base itself, `--runs` times;
- A/B: the same with the head's changes in the working tree, `--runs` times;
- once each: a plain run of the suite (for the wall-time ratio), and the saved-baseline gate's
  smallest detectable change on the same suite (5 saves, then --perf-compare);
- with `--busy`: the same A/A and A/B runs while one busy loop per CPU runs beside them;
- with `--processes N`: the A/A and A/B runs over N process pairs (`--perf-ab-processes N`;
  the default is perfguard's);
- with `--strict`: the A/A and A/B runs with `--perf-strict`, under which time verdicts over
  one process pair count too (by default they are advisory).

    python benchmarks/ab_figures.py [--runs 20] [--busy] [--processes N] [--strict] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

LIB = """
import hashlib, json, re, zlib

def loop_sum(n):
    total = 0
    for i in range(n):
        total += i * 3 % 7
    return total

def calls(n):
    def f(x):
        return x + 1
    y = 0
    for _ in range(n):
        y = f(y)
    return y

def sort_copy(data, n):
    return sorted(data[:n])

DOC = {"items": [{"id": i, "name": f"item{i}", "tags": ["a", "b"], "price": i * 1.5}
                 for i in range(300)]}

def json_dumps(k):
    return json.dumps(DOC["items"][:k])

WORDS = " ".join(f"word{i % 97} {i}" for i in range(3000))
PATTERN = re.compile(r"word(\\d+) (\\d+)")

def regex(k):
    return PATTERN.findall(WORDS[:k])

def sha(data):
    return hashlib.sha256(data).hexdigest()

def pack(data):
    return zlib.compress(data, 6)

def tuples(n):
    return [(i, str(i)) for i in range(n)]

def mapping(n):
    return {i: [i] for i in range(n)}
"""

TESTS = """
import random
import pytest
import mylib

DATA = list(range(20000))
random.Random(1).shuffle(DATA)
BLOB = bytes(range(256)) * 256

@pytest.mark.parametrize("n", [500, 1000, 2000, 4000])
def test_loop(perf, n):
    perf(mylib.loop_sum, n)

@pytest.mark.parametrize("n", [300, 3000])
def test_calls(perf, n):
    perf(mylib.calls, n)

@pytest.mark.parametrize("n", [1000, 5000, 20000])
def test_sort(perf, n):
    perf(mylib.sort_copy, DATA, n)

@pytest.mark.parametrize("k", [30, 300])
def test_json(perf, k):
    perf(mylib.json_dumps, k)

@pytest.mark.parametrize("k", [2000, 20000])
def test_regex(perf, k):
    perf(mylib.regex, k)

@pytest.mark.parametrize("size", [1024, 65536])
def test_sha(perf, size):
    perf(mylib.sha, BLOB[:size])

@pytest.mark.parametrize("size", [4096, 65536])
def test_zlib(perf, size):
    perf(mylib.pack, BLOB[:size])

@pytest.mark.parametrize("n", [100, 2000])
def test_tuples(perf, n):
    perf(mylib.tuples, n)

@pytest.mark.parametrize("n", [100, 2000])
def test_mapping(perf, n):
    perf(mylib.mapping, n)

@pytest.mark.parametrize("n", [1000, 10000])
def test_sort_in_place(perf, n):
    perf(list.sort, setup=lambda: ((DATA[:n],), {}))

@pytest.mark.parametrize("n", [1000, 10000])
def test_loop_form(perf, n):
    for _ in perf.loop():
        with perf.paused():
            batch = DATA[:n]
        batch.reverse()

@pytest.mark.perf
def test_marker_only():
    mylib.loop_sum(1500)

# Slowed in head:
@pytest.mark.parametrize("pct", [2, 5, 10])
def test_slowed_loop(perf, pct):
    perf(mylib.loop_sum, SLOWED_LOOP[pct])

@pytest.mark.parametrize("pct", [2, 5, 10])
def test_slowed_sort(perf, pct):
    perf(mylib.sort_copy, DATA, SLOWED_SORT[pct])
"""

BASE_SIZES = (
    "SLOWED_LOOP = {2: 3000, 5: 3000, 10: 3000}\nSLOWED_SORT = {2: 8000, 5: 8000, 10: 8000}\n"
)
# Sorting is n log n: +2/+5/+10% of time needs a little less than that much more data.
HEAD_SIZES = (
    "SLOWED_LOOP = {2: 3060, 5: 3150, 10: 3300}\nSLOWED_SORT = {2: 8140, 5: 8345, 10: 8690}\n"
)
SLOWED = {f"test_slowed_{kind}[{pct}]": pct for kind in ("loop", "sort") for pct in (2, 5, 10)}


EXTRA: list[str] = []
"""pytest options added to every A/B run (--strict, --processes)."""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=b@b", *args], cwd=repo,
                   check=True, capture_output=True)  # fmt: skip


def make_repo(root: Path) -> Path:
    repo = root / "suite"
    repo.mkdir()
    (repo / "mylib.py").write_text(LIB)
    (repo / "test_suite.py").write_text(TESTS + BASE_SIZES)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "base")
    return repo


def pytest_run(repo: Path, out: Path, *args: str) -> tuple[float, dict[str, dict[str, object]]]:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--perf-json", str(out),
         "test_suite.py", *args],
        cwd=repo, capture_output=True, check=False,
    )  # fmt: skip
    took = time.perf_counter() - t0
    doc = json.loads(out.read_text())
    return took, {b["nodeid"].split("::")[1]: b for b in doc["benchmarks"]}


def time_metric(bench: dict[str, object]) -> dict[str, object] | None:
    comparison = bench.get("comparison")
    if not isinstance(comparison, dict):
        return None
    return next((m for m in comparison["metrics"] if m["metric"] == "time"), None)


def failing(benches: dict[str, dict[str, object]]) -> list[str]:
    out = []
    for name, bench in benches.items():
        comparison = bench.get("comparison")
        if isinstance(comparison, dict):
            for m in comparison["metrics"]:
                if m["verdict"] == "regressed" and not m["advisory"]:
                    out.append(f"{name}:{m['metric']}")
    return out


def busy_loop() -> None:
    while True:
        pass


@dataclass
class Series:
    caught: Counter[str] = field(default_factory=Counter)
    false: list[str] = field(default_factory=list)
    detectable: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)


def series(repo: Path, work: Path, label: str, runs: int, head: bool) -> Series:
    (repo / "test_suite.py").write_text(TESTS + (HEAD_SIZES if head else BASE_SIZES))
    out = Series()
    for i in range(runs):
        took, benches = pytest_run(
            repo, work / f"{label}-{i}.json", "--perf-compare-ref", "HEAD", *EXTRA
        )
        out.walls.append(took)
        fails = failing(benches)
        for name, bench in benches.items():
            metric = time_metric(bench)
            if metric is not None and metric.get("detectable") not in (None, "inf"):
                out.detectable.append(float(str(metric["detectable"])))
            if name in SLOWED and head and f"{name}:time" in fails:
                out.caught[name] += 1
        out.false += [f for f in fails if f.split(":")[0] not in SLOWED or not head]
        print(f"  {label} run {i + 1}: {len(fails)} failing verdicts"
              f"{': ' + ', '.join(fails) if fails else ''} ({took:.0f} s)", flush=True)  # fmt: skip
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--busy", action="store_true", help="also run beside busy loops")
    parser.add_argument("--keep", type=Path, help="keep the repository and JSON files here")
    parser.add_argument("--strict", action="store_true", help="pass --perf-strict")
    parser.add_argument("--processes", type=int, help="pass --perf-ab-processes N")
    args = parser.parse_args()
    if args.strict:
        EXTRA.append("--perf-strict")
    if args.processes is not None:
        EXTRA.append(f"--perf-ab-processes={args.processes}")
    root = args.keep or Path(tempfile.mkdtemp(prefix="perfguard-ab-"))
    root.mkdir(parents=True, exist_ok=True)
    repo = make_repo(root)
    work = root / "runs"
    work.mkdir(exist_ok=True)
    plain, benches = pytest_run(repo, work / "plain.json")
    print(f"suite of {len(benches)} benchmarks in {repo}; a plain run took {plain:.1f} s")
    modes = [("quiet", False)] + ([("busy", True)] if args.busy else [])
    for mode, busy in modes:
        loops = []
        if busy:
            loops = [multiprocessing.Process(target=busy_loop, daemon=True)
                     for _ in range(os.cpu_count() or 1)]  # fmt: skip
            for p in loops:
                p.start()
        try:
            runs = args.runs if not busy else max(5, args.runs // 2)
            print(f"{mode}: A/A, {runs} runs")
            aa = series(repo, work, f"{mode}-aa", runs, head=False)
            print(f"{mode}: A/B, {runs} runs")
            ab = series(repo, work, f"{mode}-ab", runs, head=True)
        finally:
            for p in loops:
                p.terminate()
        print(f"== {mode}")
        print(f"A/A: {len(aa.false)} false failing verdicts in {runs} runs {sorted(set(aa.false))}")
        print(f"A/B: unchanged benchmarks falsely failing: {len(ab.false)} {sorted(set(ab.false))}")
        for name in SLOWED:
            print(f"  {name:24s} caught in {ab.caught[name]}/{runs}")
        det = aa.detectable + ab.detectable
        print(
            "smallest detectable change, median over benchmarks and runs: "
            f"{statistics.median(det):.1%}"
        )
        wall = statistics.median(ab.walls)
        print(f"wall time: A/B {wall:.1f} s vs plain {plain:.1f} s: {wall / plain:.2f}x")

    # The saved-baseline gate on the same suite, for comparison (base code, 5 saves).
    (repo / "test_suite.py").write_text(TESTS + BASE_SIZES)
    for i in range(5):
        pytest_run(repo, work / f"save-{i}.json", "--perf-save")
    _, benches = pytest_run(repo, work / "compare.json", "--perf-compare")
    det = [
        float(str(m["detectable"]))
        for b in benches.values()
        if (m := time_metric(b)) is not None and m.get("detectable") not in (None, "inf")
    ]
    print(f"saved-baseline gate on the same suite: median smallest detectable "
          f"{statistics.median(det):.1%} (5 saved runs)")  # fmt: skip


if __name__ == "__main__":
    main()
