"""The regression gate on the example suite, end to end, on this machine.

    python benchmarks/gate_figures.py [--saves 5] [--compares 10] [--keep DIR]

1. Saves the example suite's baseline `--saves` times (K runs per benchmark), in a copy.
2. A/A: `--compares` runs of `pytest --perf-compare` on unchanged code; counts failed tests.
3. Injects +25% time into the set lookup at size 10,000 (two integer comparisons before each
   probe: the same calls and allocations, +25-27% time by timeit) and +1 allocation per op
   into the pooled-object example, then compares once: both must fail, nothing else. The
   lookup's change, p-value and smallest detectable regression are printed.
4. Compares the injected suite once more as another machine (PERFGUARD_MACHINE set to a name
   the saves did not record): the allocation must still fail, the time only be advisory.

The saves record this machine as its default identity (or PERFGUARD_MACHINE, if set).

--keep DIR keeps the suite copy, its baseline and every run's --perf-json document there.
--inject-only DIR runs steps 3 and 4 alone on a suite kept there (on the machine that saved it).
--redecide DIR then judges those kept runs again with the installed perfguard's rules, as the
plugin does (Bonferroni over the session's benchmarks, each benchmark's own min_effect), and
prints the same report: to compare rules on the same measurements, run it once per version
(e.g. `PYTHONPATH=<a checkout of another commit> python benchmarks/gate_figures.py --redecide DIR`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

INJECTIONS = {
    "test_lookup.py": (
        "    assert perf(find, collection, keys) == present\n",
        "    if (n, name) == (10_000, 'set'):  # injected: more work per probe, the same calls\n"
        "        def find(items, keys):\n"
        "            return sum(1 for k in keys if k == k and k == k and k in items)\n"
        "    assert perf(find, collection, keys) == present\n",
    ),
    "test_pools.py": (
        "    get, put = POINTS.get, POINTS.put\n",
        "    get, put = POINTS.get, POINTS.put\n    injected = object()  # +1 allocation\n",
    ),
}


TIME_INJECTED = "[set-10000]"


def pytest(
    suite: Path, run: str, *args: str, env: dict[str, str] | None = None
) -> dict[str, object]:
    """Run the suite; return the --perf-json document (kept as run.json) plus the exit code."""
    out = suite / f"{run}.json"
    command = [sys.executable, "-m", "pytest", str(suite), "-q", "-p", "no:cacheprovider"]
    command += ["--perf-baseline", str(suite / "baseline.toml"), "--perf-json", str(out), *args]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode not in (0, 1):
        raise SystemExit(f"pytest failed to run:\n{done.stdout}\n{done.stderr}")
    document: dict[str, object] = json.loads(out.read_text())
    document["exit_code"] = done.returncode
    return document


def failing(document: dict[str, object]) -> dict[str, list[str]]:
    """nodeid -> metrics that regressed and counted."""
    found: dict[str, list[str]] = {}
    for bench in document["benchmarks"]:  # type: ignore[attr-defined]
        comparison = bench["comparison"]
        for metric in (comparison or {}).get("metrics", []):
            if metric["verdict"] == "regressed" and not metric["advisory"]:
                found.setdefault(bench["nodeid"], []).append(metric["metric"])
    return found


def busiest(document: dict[str, object]) -> str:
    """The largest share of the machine other processes took while a benchmark was timed."""
    shares = [b["measurement"].get("others_cpu") for b in document["benchmarks"]]  # type: ignore[attr-defined]
    known = [x for x in shares if x is not None]
    return f"others took up to {max(known):.0%} of the machine" if known else "load not read"


def detectable(document: dict[str, object]) -> list[float]:
    values = []
    for bench in document["benchmarks"]:  # type: ignore[attr-defined]
        for metric in (bench["comparison"] or {}).get("metrics", []):
            if metric["metric"] == "time" and metric["detectable"] is not None:
                values.append(metric["detectable"])
    return sorted(values)


def report_run(i: int, document: dict[str, object]) -> int:
    """Print one A/A run (and, for the first, the detectable sizes); return its failures."""
    failed = failing(document)
    benchmarks = len(document["benchmarks"])  # type: ignore[arg-type]
    print(
        f"  run {i + 1}: {len(failed)} of {benchmarks} failed {sorted(failed.items())} "
        f"({busiest(document)})"
    )
    if i == 0:
        values = detectable(document)
        print(
            f"  smallest detectable time regression per benchmark: median "
            f"{values[len(values) // 2]:.0%}, best {values[0]:.0%}, worst {values[-1]:.0%}"
        )
    return len(failed)


def report_injected(document: dict[str, object], where: str = "") -> None:
    print(f"injected +25% time (lookup set-10000), +1 alloc/op (pooled object){where}:")
    for nodeid, metrics in sorted(failing(document).items()):
        print(f"  failed: {nodeid}: {', '.join(metrics)}")
    for bench in document["benchmarks"]:  # type: ignore[attr-defined]
        if bench["nodeid"].endswith(TIME_INJECTED) and bench["comparison"]:
            time = bench["comparison"]["metrics"][0]
            print(
                f"  {bench['nodeid'].split('[')[1][:-1]} time: {time['verdict']}"
                f"{' (advisory)' if time['advisory'] else ''}, "
                f"change {time['change']:+.1%}, "
                f"p={time['p_value']}, smallest detectable {time['detectable']:.0%}"
            )


def redecide(kept: Path) -> None:
    """Judge the kept runs again with the installed perfguard's rules, as the plugin would."""
    from pytest_perfguard.judge.policy import Policy
    from pytest_perfguard.report.json import parse_results, results_document
    from pytest_perfguard.run.gate import Gate, GateOptions

    options = GateOptions(kept / "baseline.toml", compare=True, save=False, keep=5,
                          policy=Policy())  # fmt: skip

    def judged(path: Path) -> dict[str, object]:
        results = parse_results(path.read_text(), source=str(path))
        gate = Gate.open(options, results.fingerprint)
        family = gate.family(r.nodeid for r in results.results)
        comparisons = {r.nodeid: gate.judge(r, family) for r in results.results}
        return results_document(results.results, comparisons, results.fingerprint, {}, "")

    runs = sorted(kept.glob("compare-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    print(f"A/A: {len(runs)} kept compare runs, decided again")
    total = sum(report_run(i, judged(path)) for i, path in enumerate(runs))
    print(f"A/A total: {total} failed benchmark verdicts in {len(runs)} runs")
    if (kept / "injected.json").exists():
        report_injected(judged(kept / "injected.json"))


def inject(suite: Path) -> None:
    """Steps 3 and 4: the injected suite compared on this machine, then as another one."""
    for name, (old, new) in INJECTIONS.items():
        path = suite / name
        text = path.read_text()
        assert old in text, f"injection point not found in {name}"
        path.write_text(text.replace(old, new))
    document = pytest(suite, "injected", "--perf-compare")
    report_injected(document)
    print(f"  exit code {document['exit_code']}")
    elsewhere = {**os.environ, "PERFGUARD_MACHINE": "gate-figures-other-machine"}
    document = pytest(suite, "injected-elsewhere", "--perf-compare", env=elsewhere)
    report_injected(document, " on another machine")
    print(f"  exit code {document['exit_code']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--compares", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="keep the suite and its results here")
    parser.add_argument("--redecide", type=Path, help="judge the runs kept here again, only")
    parser.add_argument("--inject-only", type=Path, help="steps 3 and 4 on a suite kept here")
    args = parser.parse_args()
    if args.redecide:
        redecide(args.redecide)
        return
    if args.inject_only:
        for name in INJECTIONS:  # undo an earlier injection: the examples as they are
            shutil.copy(EXAMPLES / name, args.inject_only / name)
        inject(args.inject_only)
        return
    with tempfile.TemporaryDirectory() as tmp:
        suite = Path(tmp) / "examples"
        shutil.copytree(EXAMPLES, suite, ignore=shutil.ignore_patterns("__pycache__", "*.toml"))
        for i in range(args.saves):
            pytest(suite, f"save-{i + 1}", "--perf-save")
            print(f"saved run {i + 1}/{args.saves}", flush=True)

        print(f"A/A: {args.compares} compare runs of unchanged code")
        total = 0
        for i in range(args.compares):
            total += report_run(i, pytest(suite, f"compare-{i + 1}", "--perf-compare"))
        print(f"A/A total: {total} failed benchmark verdicts in {args.compares} runs")

        inject(suite)
        if args.keep:
            shutil.copytree(suite, args.keep, dirs_exist_ok=True)
            print(f"kept the suite, its baseline and every run's results in {args.keep}")


if __name__ == "__main__":
    main()
