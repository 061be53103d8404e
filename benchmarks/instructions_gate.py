"""The instruction-count gate against a stored baseline: false failures of unchanged code, and a
+1% CPU-only slowdown caught, each over `--runs` separate runs.

A scratch directory holds four benchmarks (a pure-Python loop, a sort, JSON, a regex) over a
small library. The baseline is saved once with `--perf-instructions`, under another machine's
name (PERFGUARD_MACHINE), so that time is advisory and only counts gate, as on a hosted
runner. Then `pytest --perf-compare --perf-instructions` runs `--runs` times on the unchanged
library, and `--runs` times with the loop doing 1% more iterations (no allocation, no extra
call: only instructions change). Printed: per run, the benchmarks whose instructions/op
failed, and the loop's change.

    python benchmarks/instructions_gate.py [--runs 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LIB = """
import json, re

WORDS = re.compile(r"[a-z]+")

def loop_sum(n):
    total = 0
    for i in range(n * {percent} // 100):
        total += i * 3 % 7
    return total

def sort_copy(data):
    return sorted(data)

def json_round(doc):
    return json.loads(json.dumps(doc))

def words(text):
    return WORDS.findall(text)
"""
TESTS = """
import random

import pytest

import mylib

DATA = [random.Random(1).random() for _ in range(500)]
DOC = {"a": list(range(50)), "b": {"c": "d" * 20}}
TEXT = "the quick brown fox jumps over the lazy dog " * 20

@pytest.mark.perf
def test_loop():
    mylib.loop_sum(2000)

def test_sort(perf):
    perf(mylib.sort_copy, DATA)

def test_json(perf):
    perf(mylib.json_round, DOC)

def test_words(perf):
    perf(mylib.words, TEXT)
"""


def run(root: Path, args: list[str], env: dict[str, str], out: Path) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "--perf-instructions", "--perf-json", str(out), *args]  # fmt: skip
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    return done.returncode, done.stdout


def failed(out: Path) -> tuple[list[str], float | None]:
    """Benchmarks whose instructions/op regressed, and test_loop's change."""
    names, loop = [], None
    for bench in json.loads(out.read_text())["benchmarks"]:
        for metric in (bench.get("comparison") or {}).get("metrics", []):
            if metric["metric"] != "instructions":
                continue
            if metric["verdict"] == "regressed":
                names.append(bench["nodeid"].split("::")[-1])
            if bench["nodeid"].endswith("test_loop"):
                loop = metric["change"]
    return names, loop


def series(root: Path, env: dict[str, str], name: str, runs: int) -> int:
    """`runs` compared runs; how many had an instructions/op failure."""
    caught = 0
    for i in range(runs):
        out = root / f"{name}-{i}.json"
        code, text = run(root, ["--perf-compare"], env, out)
        if not out.exists():
            sys.exit(f"{name} run {i + 1}: no results (exit {code}):\n{text[-3000:]}")
        names, loop = failed(out)
        caught += bool(names)
        change = "n/a" if loop is None else f"{loop:+.3%}"
        print(f"  {name} run {i + 1}: exit {code}; test_loop {change}; "
              f"instructions failed: {', '.join(names) or 'none'}", flush=True)  # fmt: skip
    return caught


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="keep the suite and results here")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="instructions-gate-"))
    root.mkdir(parents=True, exist_ok=True)
    (root / "mylib.py").write_text(LIB.format(percent=100))
    (root / "test_suite.py").write_text(TESTS)
    env = {**os.environ, "PYTHONPATH": str(root), "PERFGUARD_MACHINE": "where-it-was-saved"}
    code, text = run(root, ["--perf-save"], env, root / "saved.json")
    if code != 0:
        sys.exit(f"the save failed (exit {code}):\n{text[-3000:]}")
    env["PERFGUARD_MACHINE"] = "a-fresh-runner"
    print(f"suite in {root}; baseline saved with instruction counts")
    aa = series(root, env, "unchanged", args.runs)
    (root / "mylib.py").write_text(LIB.format(percent=101))
    slow = series(root, env, "+1% loop", args.runs)
    print(f"unchanged: {aa} of {args.runs} runs failed on instructions; "
          f"+1% loop: caught in {slow} of {args.runs}")  # fmt: skip


if __name__ == "__main__":
    main()
