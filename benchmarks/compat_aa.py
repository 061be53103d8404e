"""A/A gate check of a pytest-benchmark suite run through perfguard: false failures.

Runs an unchanged suite `--saves` times with `--benchmark-autosave`, then `--compares` times
with `--benchmark-compare --benchmark-compare-fail=mean:10%` (perfguard's gate decides), into a
fresh storage directory, and prints how many benchmark tests failed in each compare run. The
code does not change between runs, so every failure is a false one. Run it in the suite's
environment, from the suite's directory:

    python /path/to/benchmarks/compat_aa.py [--saves 5] [--compares 5] -- testing/benchmark.py

Arguments after `--` go to pytest (e.g. `-p no:benchmark` where pytest-benchmark is installed).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time

OUTCOME = re.compile(r"(\d+) (passed|failed|error|errors)\b")


def outcomes(output: str) -> dict[str, int]:
    found: dict[str, int] = {}
    lines = [line for line in output.splitlines() if " in " in line and "=" in line]
    for number, kind in OUTCOME.findall(lines[-1] if lines else ""):
        found[kind.rstrip("s") if kind == "errors" else kind] = int(number)
    return found


def busy(output: str) -> int:
    """Benchmarks whose time verdict was advisory: other processes took over 25% of the
    machine while they were timed (the summary notes them)."""
    for line in output.splitlines():
        if line.startswith("note: ") and "other processes took over" in line:
            who = line[len("note: ") :].split(":")[0]
            return int(who.split()[0]) if who.endswith(" benchmarks") else 1
    return 0


def run(args: list[str]) -> tuple[dict[str, int], float, str]:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
    )
    return outcomes(done.stdout), time.perf_counter() - start, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--compares", type=int, default=5)
    parser.add_argument("pytest_args", nargs="*")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as storage:
        common = [*options.pytest_args, f"--benchmark-storage={storage}"]
        for i in range(options.saves):
            result, took, output = run([*common, "--benchmark-autosave"])
            print(f"save {i + 1}: {result} in {took:.0f} s", flush=True)
            if result.get("failed") or result.get("error"):
                print(output[-3000:])
        false = []
        for i in range(options.compares):
            args = [*common, "--benchmark-compare", "--benchmark-compare-fail=mean:10%"]
            result, took, output = run(args)
            failed = result.get("failed", 0)
            false.append(failed)
            names = [line.split()[1] for line in output.splitlines() if line.startswith("FAILED")]
            print(
                f"compare {i + 1}: {result} in {took:.0f} s; failed: {names}; time advisory "
                f"(machine busy) for {busy(output)}",
                flush=True,
            )
    total = result.get("passed", 0) + result.get("failed", 0)
    print(
        f"A/A: {sum(false)} false failures in {options.compares} compare runs "
        f"({total} benchmark tests per run), after {options.saves} saves"
    )


if __name__ == "__main__":
    main()
