"""pytest-perfguard next to pytest-benchmark and timeit, side by side in one run.

    python benchmarks/compare_peers.py [--quick] [--noop-reps 5] [--suite-reps 3]
                                       [--aa-runs 5] [--compares 10]

Needs pytest-benchmark (`pip install -e '.[bench]'`). Every figure comes from a fresh process
(a pytest subprocess per run, timeit in a `python -c` subprocess) on the same generated
functions; the tools alternate run by run, since this shared machine's speed drifts by up to 2x
within seconds. Each pytest run disables the other plugin (`-p no:benchmark` /
`-p no:perfguard`) and otherwise uses the tool's defaults.

1. No-op ns/op as each tool reports it: perfguard `perf(noop)` (median_ns from --perf-json),
   pytest-benchmark `benchmark(noop)` (the median from --benchmark-json), timeit best of 5.
2. Wall time of a suite of 10 trivial parametrized benchmarks (pytest startup included).
3. A/A spread: the same small suite (pure-Python and C-heavy) run repeatedly by each tool;
   max/min - 1 of each benchmark's reported median.
4. A/A false failures on 10 benchmarks of unchanged code: pytest-benchmark saves one baseline
   (--benchmark-autosave) and compares with --benchmark-compare-fail=mean:10%; perfguard saves
   5 runs (--perf-save, its baseline keeps 5) and compares with --perf-compare. Counts the
   benchmarks each compare run fails.

Everything runs in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PERFGUARD = "perfguard"
BENCHMARK = "pytest-benchmark"
TOOLS = (PERFGUARD, BENCHMARK)
TIMEOUT_S = 900

WORKLOADS = """
import json
import random

DATA = list(range(10_000))
random.Random(42).shuffle(DATA)
OTHER = set(range(0, 20_000, 3))
WORDS = [f"w{i % 100}" for i in range(1_000)]
TEXT = " ".join(WORDS)
DOC = {"items": [{"id": i, "name": f"n{i}", "tags": ["a", "b"]} for i in range(50)]}


def noop():
    pass


def py_arith():  # pure Python: arithmetic and a loop
    total = 0
    for i in range(300):
        total += i * i % 7
    return total


def fib(n=14):  # pure Python: calls
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def count_words():  # pure Python: dict work
    counts = {}
    for word in WORDS:
        counts[word] = counts.get(word, 0) + 1
    return counts


def list_comp():
    return [x * 2 for x in range(1_000)]


def dict_build():
    return {i: str(i) for i in range(500)}


def sort_10k():  # C-heavy: timsort of 10k shuffled ints
    return sorted(DATA)


def set_ops():  # C-heavy
    return len(set(DATA) & OTHER)


def str_join():
    return ",".join(map(str, range(500)))


def str_split():
    return TEXT.split()


def json_roundtrip():
    return json.loads(json.dumps(DOC))
"""

TEST_PERFGUARD = """
import pytest

import workloads


@pytest.mark.parametrize("name", {names!r})
def test_bench(perf, name):
    perf(getattr(workloads, name))
"""

TEST_BENCHMARK = """
import pytest

import workloads


@pytest.mark.parametrize("name", {names!r})
def test_bench(benchmark, name):
    benchmark(getattr(workloads, name))
"""

TRIVIAL_PERFGUARD = """
import pytest


@pytest.mark.parametrize("i", range(10))
def test_trivial(perf, i):
    perf(len, "abc")
"""

TRIVIAL_BENCHMARK = """
import pytest


@pytest.mark.parametrize("i", range(10))
def test_trivial(benchmark, i):
    benchmark(len, "abc")
"""

TIMEIT = (
    "import timeit, workloads\n"
    "timer = timeit.Timer(workloads.noop)\n"
    "number, _ = timer.autorange()\n"
    "print(min(timer.repeat(5, number)) / number * 1e9)\n"
)

AA_NAMES = ("py_arith", "sort_10k")
GATE_NAMES = (
    "py_arith",
    "fib",
    "count_words",
    "list_comp",
    "dict_build",
    "sort_10k",
    "set_ops",
    "str_join",
    "str_split",
    "json_roundtrip",
)
REGRESSED = re.compile(r"^\s+(\S+) \(.*\) - Field '(\w+)' has failed", re.MULTILINE)


@dataclass
class Run:
    """One pytest (or python) subprocess."""

    tool: str
    code: int
    wall_s: float
    stdout: str
    stderr: str
    medians_ns: dict[str, float] = field(default_factory=dict)  # param id -> reported median
    extra: dict[str, float] = field(default_factory=dict)  # pb: mean; perfguard: ref ratio
    failed: dict[str, list[str]] = field(default_factory=dict)  # param id -> failed metrics


class Suite:
    """A directory with workloads.py, one test file per tool and a pytest.ini."""

    def __init__(self, root: Path, name: str, perfguard_test: str, benchmark_test: str) -> None:
        self.dir = root / name
        self.dir.mkdir()
        (self.dir / "pytest.ini").write_text("[pytest]\n")
        (self.dir / "workloads.py").write_text(WORKLOADS)
        (self.dir / "test_perfguard.py").write_text(perfguard_test)
        (self.dir / "test_benchmark.py").write_text(benchmark_test)
        self.runs = 0

    def pytest(self, tool: str, *args: str, ok: Sequence[int] = (0,), results: bool = True) -> Run:
        """Run one tool's test file; with `results`, read its JSON output into the Run."""
        self.runs += 1
        path = self.dir / f"results-{self.runs}.json"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        if tool == PERFGUARD:
            command += ["-p", "no:benchmark", "test_perfguard.py"]
            command += ["--perf-json", str(path)] if results else []
        else:
            command += ["-p", "no:perfguard", "test_benchmark.py"]
            command += ["--benchmark-storage", (self.dir / "storage").as_uri()]
            command += ["--benchmark-json", str(path)] if results else []
        run = self._run(tool, [*command, *args], ok)
        if not results:
            return run
        document = json.loads(path.read_text())
        path.unlink()
        if tool == PERFGUARD:
            read_perfguard(run, document)
        else:
            read_benchmark(run, document)
        return run

    def timeit(self) -> Run:
        run = self._run("timeit", [sys.executable, "-c", TIMEIT], (0,))
        run.medians_ns["noop"] = float(run.stdout.strip())
        return run

    def _run(self, tool: str, command: list[str], ok: Sequence[int]) -> Run:
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        env.pop("PYTEST_ADDOPTS", None)
        start = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=self.dir,
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=TIMEOUT_S,
        )
        wall = time.perf_counter() - start
        if done.returncode not in ok:
            raise SystemExit(
                f"{tool} run failed with exit code {done.returncode} (expected {list(ok)}):\n"
                f"$ {shlex.join(command)}  (in {self.dir})\n{done.stdout[-4000:]}\n"
                f"{done.stderr[-4000:]}"
            )
        return Run(tool, done.returncode, wall, done.stdout, done.stderr)


def param(nodeid: str) -> str:
    return nodeid[nodeid.index("[") + 1 : -1] if "[" in nodeid else nodeid.rsplit(":", 1)[-1]


def read_perfguard(run: Run, document: dict[str, object]) -> None:
    for bench in document["benchmarks"]:  # type: ignore[attr-defined]
        key = param(bench["nodeid"])
        measurement = bench["measurement"]
        run.medians_ns[key] = measurement["median_ns"]
        if measurement.get("ref_ratios"):
            run.extra[key] = statistics.median(measurement["ref_ratios"])
        for metric in (bench["comparison"] or {}).get("metrics", []):
            if metric["verdict"] == "regressed" and not metric["advisory"]:
                run.failed.setdefault(key, []).append(metric["metric"])
    if run.code != (1 if run.failed else 0):
        raise SystemExit(
            f"perfguard exit code {run.code} does not match its {len(run.failed)} regressed "
            f"benchmarks:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
        )


def read_benchmark(run: Run, document: dict[str, object]) -> None:
    for bench in document["benchmarks"]:  # type: ignore[attr-defined]
        key = param(bench["fullname"])
        run.medians_ns[key] = bench["stats"]["median"] * 1e9
        run.extra[key] = bench["stats"]["mean"] * 1e9
    for nodeid, metric in REGRESSED.findall(run.stdout + run.stderr):
        run.failed.setdefault(param(nodeid), []).append(metric)
    if run.code != (1 if run.failed else 0):
        raise SystemExit(
            f"pytest-benchmark exit code {run.code} does not match its {len(run.failed)} "
            f"regressed benchmarks:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
        )


def alternating(i: int) -> tuple[str, str]:
    """Swap which tool goes first every other repetition."""
    return TOOLS if i % 2 == 0 else TOOLS[::-1]


def spread(values: Sequence[float]) -> float:
    return max(values) / min(values) - 1


def noop_figures(root: Path, reps: int) -> dict[str, tuple[float, float]]:
    suite = Suite(
        root,
        "noop",
        TEST_PERFGUARD.format(names=["noop"]),
        TEST_BENCHMARK.format(names=["noop"]),
    )
    figures: dict[str, list[float]] = {PERFGUARD: [], BENCHMARK: [], "timeit": []}
    print(f"1. no-op function, reported ns/op ({reps} alternations, each a fresh process)")
    for i in range(reps):
        for tool in ("timeit", *alternating(i)):
            run = suite.timeit() if tool == "timeit" else suite.pytest(tool)
            figures[tool].append(run.medians_ns["noop"])
        print(
            f"   rep {i + 1}: timeit {figures['timeit'][-1]:6.1f}  perfguard "
            f"{figures[PERFGUARD][-1]:6.1f}  pytest-benchmark {figures[BENCHMARK][-1]:6.1f}",
            flush=True,
        )
    result = {}
    for tool in (PERFGUARD, BENCHMARK, "timeit"):
        ratios = [a / b for a, b in zip(figures[tool], figures["timeit"], strict=True)]
        result[tool] = (statistics.median(figures[tool]), statistics.median(ratios))
        print(
            f"   {tool:<17} median {result[tool][0]:6.1f} ns, ratio to timeit: median "
            f"{result[tool][1]:.2f} (range {min(ratios):.2f}-{max(ratios):.2f})"
        )
    return result


def suite_wall_times(root: Path, reps: int) -> dict[str, float]:
    suite = Suite(root, "trivial", TRIVIAL_PERFGUARD, TRIVIAL_BENCHMARK)
    walls: dict[str, list[float]] = {PERFGUARD: [], BENCHMARK: []}
    print(f"2. wall time of 10 trivial benchmarks, default settings ({reps} alternations)")
    for i in range(reps):
        for tool in alternating(i):
            run = suite.pytest(tool, results=False)  # no JSON: each tool as it comes
            if not re.search(r"\b10 passed\b", run.stdout):
                raise SystemExit(f"{tool}: expected 10 passed tests:\n{run.stdout[-4000:]}")
            walls[tool].append(run.wall_s)
        print(
            f"   rep {i + 1}: perfguard {walls[PERFGUARD][-1]:5.1f} s  "
            f"pytest-benchmark {walls[BENCHMARK][-1]:5.1f} s",
            flush=True,
        )
    result = {tool: statistics.median(walls[tool]) for tool in TOOLS}
    print(
        f"   median: perfguard {result[PERFGUARD]:.1f} s, pytest-benchmark "
        f"{result[BENCHMARK]:.1f} s (ratio {result[BENCHMARK] / result[PERFGUARD]:.2f})"
    )
    return result


def aa_spread(root: Path, runs: int) -> dict[str, dict[str, float]]:
    names = list(AA_NAMES)
    suite = Suite(
        root, "aa", TEST_PERFGUARD.format(names=names), TEST_BENCHMARK.format(names=names)
    )
    medians: dict[str, dict[str, list[float]]] = {t: {n: [] for n in names} for t in TOOLS}
    extra: dict[str, dict[str, list[float]]] = {t: {n: [] for n in names} for t in TOOLS}
    print(f"3. A/A: the same suite ({', '.join(names)}) run {runs} times by each tool, alternating")
    for i in range(runs):
        for tool in alternating(i):
            run = suite.pytest(tool)
            for name in names:
                medians[tool][name].append(run.medians_ns[name])
                if name in run.extra:
                    extra[tool][name].append(run.extra[name])
        print(
            f"   run {i + 1}: "
            + "  ".join(
                f"{tool} {name} {medians[tool][name][-1]:,.0f} ns"
                for tool in TOOLS
                for name in names
            ),
            flush=True,
        )
    result: dict[str, dict[str, float]] = {}
    labels = {
        PERFGUARD: "perfguard, reference-corrected (ref ratio; its gate tests both)",
        BENCHMARK: "pytest-benchmark, mean (what mean:10% compares)",
    }
    print("   max/min - 1 of the reported median per benchmark:")
    for tool in TOOLS:
        result[tool] = {name: spread(medians[tool][name]) for name in names}
        row = ", ".join(f"{name} {result[tool][name]:.1%}" for name in names)
        print(f"     {tool:<17} {row}")
    print("   for reference:")
    for tool in TOOLS:
        if all(len(extra[tool][name]) == runs for name in names):
            row = ", ".join(f"{name} {spread(extra[tool][name]):.1%}" for name in names)
            print(f"     {labels[tool]}: {row}")
    return result


def false_failures(root: Path, saves: int, compares: int) -> dict[str, list[int]]:
    names = list(GATE_NAMES)
    suite = Suite(
        root, "gate", TEST_PERFGUARD.format(names=names), TEST_BENCHMARK.format(names=names)
    )
    baseline = ["--perf-baseline", str(suite.dir / "baseline.toml")]
    print(
        f"4. A/A false failures: {len(names)} benchmarks of unchanged code; baselines: "
        f"pytest-benchmark 1 autosaved run, perfguard {saves} saved runs"
    )
    for i in range(saves):
        if i == saves // 2:
            suite.pytest(BENCHMARK, "--benchmark-autosave")
        suite.pytest(PERFGUARD, "--perf-save", *baseline)
    counts: dict[str, list[int]] = {PERFGUARD: [], BENCHMARK: []}
    for i in range(compares):
        line = []
        for tool in alternating(i):
            if tool == PERFGUARD:
                run = suite.pytest(PERFGUARD, "--perf-compare", *baseline, ok=(0, 1))
            else:
                run = suite.pytest(
                    BENCHMARK,
                    "--benchmark-compare",
                    "--benchmark-compare-fail=mean:10%",
                    ok=(0, 1),
                )
            if len(run.medians_ns) != len(names):
                raise SystemExit(f"{tool} measured {len(run.medians_ns)} of {len(names)}")
            counts[tool].append(len(run.failed))
            detail = ", ".join(
                f"{name} ({'+'.join(metrics)})" for name, metrics in sorted(run.failed.items())
            )
            line.append(
                f"{tool} {len(run.failed)}/{len(names)} failed" + (f": {detail}" if detail else "")
            )
        print(f"   run {i + 1}: " + "; ".join(line), flush=True)
    for tool in TOOLS:
        total = sum(counts[tool])
        runs_failing = sum(count > 0 for count in counts[tool])
        print(
            f"   {tool:<17} {total / compares:.1f} failed benchmarks per run "
            f"({total} of {compares * len(names)} verdicts; {runs_failing} of {compares} runs red)"
        )
    return counts


def elapsed(since: float) -> float:
    now = time.perf_counter()
    print(f"   ({now - since:.0f} s)", flush=True)
    return now


def environment() -> None:
    versions = ", ".join(
        f"{name} {importlib.metadata.version(name)}"
        for name in ("pytest", "perfguard", "pytest-benchmark")
    )
    spec = importlib.util.find_spec("pytest_perfguard")
    where = Path(spec.origin).parent.parent if spec and spec.origin else Path.cwd()
    git = subprocess.run(
        ["git", "-C", str(where), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    commit = f"commit {git.stdout.strip()}" if git.returncode == 0 else "not a git checkout"
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {platform.python_version()}, {versions}")
    print(f"pytest_perfguard imported from {where} ({commit})")
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load}")


def table(
    noop: dict[str, tuple[float, float]],
    walls: dict[str, float],
    spreads: dict[str, dict[str, float]],
    failures: dict[str, list[int]],
    reps: tuple[int, int, int, int],
    total_s: float,
) -> list[str]:
    """The closing table (tests/test_readme.py checks the README's copy against it)."""
    lines = [
        f"{'tool':<17} {'no-op ns/op':>11} {'vs timeit':>9} {'10-bench suite':>14}  "
        f"{'A/A median spread':<32} {'A/A false failures/run':>22}"
    ]
    for tool in (PERFGUARD, BENCHMARK, "timeit"):
        ns, ratio = noop[tool]
        if tool == "timeit":
            lines.append(f"{tool:<17} {ns:>11.1f} {ratio:>8.2f}x {'-':>14}  {'-':<32} {'-':>22}")
            continue
        aa = ", ".join(f"{name} {value:.1%}" for name, value in spreads[tool].items())
        runs = failures[tool]
        ff = f"{sum(runs) / len(runs):.1f} of {len(GATE_NAMES)} ({sum(runs)} in {len(runs)})"
        lines.append(
            f"{tool:<17} {ns:>11.1f} {ratio:>8.2f}x {walls[tool]:>12.1f} s  {aa:<32} {ff:>22}"
        )
    noop_reps, suite_reps, aa_runs, compares = reps
    return [
        *lines,
        f"(no-op: median of {noop_reps}; suite: median of {suite_reps}; spread over {aa_runs} "
        f"runs; false failures over {compares} compare runs; total {total_s:.0f} s)",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (~5 minutes)")
    parser.add_argument("--noop-reps", type=int, help="no-op alternations (default 5, quick 3)")
    parser.add_argument("--suite-reps", type=int, help="suite alternations (default 3, quick 2)")
    parser.add_argument("--aa-runs", type=int, help="A/A spread runs per tool (default 5, quick 3)")
    parser.add_argument("--compares", type=int, help="A/A compare runs (default 10, quick 3)")
    args = parser.parse_args()
    quick = args.quick
    noop_reps = args.noop_reps or (3 if quick else 5)
    suite_reps = args.suite_reps or (2 if quick else 3)
    aa_runs = args.aa_runs or (3 if quick else 5)
    compares = args.compares or (3 if quick else 10)
    saves = 5  # perfguard's baseline keeps 5 runs by default
    for module, package in (("pytest_benchmark", "pytest-benchmark"), ("pytest_perfguard", "")):
        if importlib.util.find_spec(module) is None:
            hint = "pip install -e '.[bench]'" if package else "pip install -e ."
            raise SystemExit(f"{module} is not installed in {sys.executable}: {hint}")

    start = time.perf_counter()
    environment()
    with tempfile.TemporaryDirectory(prefix="compare_peers-") as tmp:
        root = Path(tmp)
        section = time.perf_counter()
        noop = noop_figures(root, noop_reps)
        section = elapsed(section)
        walls = suite_wall_times(root, suite_reps)
        section = elapsed(section)
        spreads = aa_spread(root, aa_runs)
        section = elapsed(section)
        failures = false_failures(root, saves, compares)
        section = elapsed(section)

    print()
    reps = (noop_reps, suite_reps, aa_runs, compares)
    print("\n".join(table(noop, walls, spreads, failures, reps, time.perf_counter() - start)))
    python = os.path.relpath(sys.executable)
    python = sys.executable if python.startswith("..") else python
    print(f"command: {shlex.join([python, *sys.argv])}")


if __name__ == "__main__":
    main()
