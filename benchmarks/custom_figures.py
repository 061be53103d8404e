"""Figures for custom metrics and throughput (issue 28); rerun with

    python benchmarks/custom_figures.py [--trials 10] [--ab]

1. Gate: a test reports an exact custom metric (perf.report(..., exact=True)). Each trial saves
   a fresh baseline, then compares a run whose metric rose by 1 (must fail, naming the metric)
   and an unchanged run (must pass). With --ab, the same through --perf-compare-ref in a git
   repository (the head's metric rose by 1, or not).
2. Throughput: MB/s of zlib.compress (level 1) and hashlib.sha256 on 1 MiB blocks as perfguard
   reports it (JSON mb_per_s, pytest run in this process) against the same call timed with
   timeit in this process, alternated; the ratio perfguard/timeit per pair. timeit's median of
   one-call repeats is the like-for-like figure (perfguard's rounds are as short); the median
   of long repeats (autorange's count, 0.2 s or more) is printed too: on a loaded machine every
   long repeat holds the time the process waited for a CPU, which short rounds' median skips.

Every figure here is from a shared 2-core VM under load from other sessions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

import pytest

TEST = """
import os

def work():
    return sum(range(200))

def test_metric(perf):
    perf(work)
    perf.report("misses", int(os.environ.get("MISSES", "3")), unit="misses/op", exact=True)
"""

THROUGHPUT = """
import hashlib, random, zlib

MIB = random.Random(0).randbytes(1024 * 1024)
WORDS = (b"perf guard bench mark byte line codec zlib sha op " * 30000)[: 1024 * 1024]

def test_zlib(perf):
    perf(zlib.compress, WORDS, 1, bytes=len(WORDS))

def test_sha256(perf):
    perf(lambda: hashlib.sha256(MIB).digest(), bytes=len(MIB))
"""

PYTEST = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--perf-max-time=0.1")


def pytest_run(cwd: Path, *args: str, misses: int) -> tuple[int, str]:
    env = {**os.environ, "MISSES": str(misses), "PERFGUARD_MACHINE": "figures"}
    done = subprocess.run(
        [*PYTEST, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return done.returncode, done.stdout


def stored_trial(root: Path) -> tuple[bool, bool]:
    """(raised caught, unchanged passed) against a baseline saved in this trial."""
    (root / "test_metric.py").write_text(TEST)
    rc, out = pytest_run(root, "--perf-save", misses=3)
    assert rc == 0, out
    rc_raised, out_raised = pytest_run(root, "--perf-compare", misses=4)
    caught = rc_raised == 1 and "misses regressed: 3 -> 4" in out_raised
    rc_same, out_same = pytest_run(root, "--perf-compare", misses=3)
    if rc_same != 0:
        print(out_same)
    return caught, rc_same == 0


def git(root: Path, *args: str) -> None:
    ident = ("-c", "user.name=f", "-c", "user.email=f@f")
    subprocess.run(["git", *ident, *args], cwd=root, check=True, capture_output=True)


def ab_trial(root: Path) -> tuple[bool, bool]:
    """(raised caught, unchanged passed) against the base commit measured in the same run."""
    literal = 'int(os.environ.get("MISSES", "3"))'
    (root / "test_metric.py").write_text(TEST.replace(literal, "3"))
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-qm", "base")
    ab = ("--perf-compare-ref", "HEAD", "--perf-ab-processes", "1")
    (root / "test_metric.py").write_text(TEST.replace(literal, "4"))  # head: one more
    rc_raised, out_raised = pytest_run(root, *ab, misses=4)
    caught = rc_raised == 1 and "misses regressed: 3 -> 4" in out_raised
    (root / "test_metric.py").write_text(TEST.replace(literal, "3"))
    rc_same, out_same = pytest_run(root, *ab, misses=3)
    if rc_same != 0:
        print(out_same)
    return caught, rc_same == 0


def gate(trials: int, trial: object, label: str) -> None:
    caught = passed = 0
    for _ in range(trials):
        with tempfile.TemporaryDirectory() as tmp:
            got = trial(Path(tmp))  # type: ignore[operator]
        caught += got[0]
        passed += got[1]
    print(f"{label}: exact custom metric raised by 1 caught {caught}/{trials}; ", end="")
    print(f"unchanged: {trials - passed} false failures in {trials}")


def perfguard_mb_per_s(root: Path) -> dict[str, float]:
    out = root / "r.json"
    code = pytest.main(
        [str(root / "test_tp.py"), "-q", "-p", "no:cacheprovider", f"--perf-json={out}"]
    )
    assert code == 0
    doc = json.loads(out.read_text())
    return {b["nodeid"].split("::")[1]: b["measurement"]["mb_per_s"] for b in doc["benchmarks"]}


def timeit_mb_per_s(namespace: dict[str, object], long: bool = False) -> dict[str, float]:
    """timeit's MB/s: the median of 200 repeats of one call (rounds as short as perfguard's),
    or with `long`, of 15 repeats of autorange's count (0.2 s or more each)."""
    out = {}
    for name, stmt in (
        ("test_zlib", "zlib.compress(WORDS, 1)"),
        ("test_sha256", "hashlib.sha256(MIB).digest()"),
    ):
        timer = timeit.Timer(stmt, globals=namespace)
        number, repeat = (timer.autorange()[0], 15) if long else (1, 200)
        times = timer.repeat(repeat=repeat, number=number)
        per_call = statistics.median(t / number for t in times)
        out[name] = 1024 * 1024 / per_call / 1e6
    return out


def throughput(pairs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "test_tp.py").write_text(THROUGHPUT)
        namespace: dict[str, object] = {}
        exec(THROUGHPUT, namespace)  # the same data and calls, in this process
        ratios: dict[str, list[float]] = {"test_zlib": [], "test_sha256": []}
        longs: dict[str, list[float]] = {"test_zlib": [], "test_sha256": []}
        for _ in range(pairs):
            ours = perfguard_mb_per_s(root)
            theirs = timeit_mb_per_s(namespace)
            long = timeit_mb_per_s(namespace, long=True)
            for name in ratios:
                ratios[name].append(ours[name] / theirs[name])
                longs[name].append(ours[name] / long[name])
                print(
                    f"  {name}: perfguard {ours[name]:.1f} MB/s, timeit {theirs[name]:.1f} MB/s "
                    f"(one call a repeat), {long[name]:.1f} MB/s (autorange's count a repeat)"
                )
    for name, values in ratios.items():
        shown = ", ".join(f"{r:.3f}" for r in values)
        worst = max(abs(r - 1) for r in values)
        within = sum(abs(r - 1) <= 0.05 for r in values)
        print(
            f"{name} 1 MiB: perfguard/timeit MB/s ratios {shown}; median "
            f"{statistics.median(values):.3f}; within 5%: {within}/{len(values)}; furthest from "
            f"1: {worst:.1%}"
        )
        shown = ", ".join(f"{r:.3f}" for r in longs[name])
        print(f"  against timeit with autorange's count a repeat: {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--ab", action="store_true", help="also the gate in same-job A/B")
    parser.add_argument("--no-gate", action="store_true", help="only the throughput figures")
    args = parser.parse_args()
    if not args.no_gate:
        gate(args.trials, stored_trial, "stored baseline")
    if args.ab and not args.no_gate:
        gate(args.trials, ab_trial, "A/B (--perf-compare-ref)")
    throughput(args.pairs)


if __name__ == "__main__":
    main()
