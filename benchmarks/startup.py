"""What installing perfguard costs a pytest run that has no perf test.

Prints (1) the import time of the plugin module pytest loads, beyond pytest itself
(`python -X importtime`), with the heavy modules it pulled in, and (2) the wall time of a
one-test project run with the plugin and with `-p no:perfguard`, interleaved in random order,
as medians and their difference. Run it in the venv to measure:

    python benchmarks/startup.py [--runs 20]

To compare with an older version, install that version in another venv and run the same
script there.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.metadata import entry_points
from pathlib import Path

NEUTRAL = tempfile.gettempdir()
"""Imports run from here: from a checkout, `python -c` would import the checkout's package."""
HEAVY = ("scipy", "numpy", "_perfguard_allocount", "psutil", "pytest_perfguard.report")


def plugin_module() -> str:
    [ep] = [e for e in entry_points(group="pytest11") if e.name == "perfguard"]
    return ep.value


def import_cost(module: str) -> tuple[float, list[str]]:
    """Microseconds to import `module` after pytest is imported, and heavy modules loaded."""
    code = (
        "import sys, pytest, time\n"
        "t0 = time.perf_counter()\n"
        f"import {module}\n"
        "t1 = time.perf_counter()\n"
        "def short(m):\n"
        "    return m if m.startswith('pytest_perfguard') else m.split('.')[0]\n"
        f"print((t1 - t0) * 1e6, *sorted({{short(m) for m in sys.modules "
        f"if m.startswith({HEAVY!r})}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=NEUTRAL
    )
    first, *heavy = out.stdout.split()
    return float(first), heavy


def self_times(module: str) -> float:
    """Sum of `-X importtime` self times of perfguard's own modules, in microseconds."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import pytest; import {module}"],
        capture_output=True,
        text=True,
        check=True,
        cwd=NEUTRAL,
    )
    total = 0.0
    for line in out.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2].startswith(("pytest_perfguard", "_perfguard")):
            total += float(parts[0])
    return total


def run_wall(project: Path, *extra: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
        cwd=project,
        capture_output=True,
        check=True,
    )
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    module = plugin_module()
    costs = sorted(import_cost(module)[0] for _ in range(5))
    heavy = import_cost(module)[1]
    print(f"plugin module: {module}")
    print(f"import after pytest: median {statistics.median(costs) / 1000:.1f} ms of 5 runs")
    print(f"  perfguard's own modules (-X importtime self): {self_times(module) / 1000:.1f} ms")
    print(f"  heavy modules loaded: {', '.join(heavy) or 'none'}")

    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_one.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        with_plugin: list[float] = []
        without: list[float] = []
        for _ in range(args.runs):
            pair = [(with_plugin, ()), (without, ("-p", "no:perfguard"))]
            random.shuffle(pair)
            for sink, extra in pair:
                sink.append(run_wall(project, *extra))
    a, b = statistics.median(with_plugin), statistics.median(without)
    print(f"one-test run, {args.runs} interleaved pairs (medians):")
    print(f"  with perfguard {a:.3f} s, with -p no:perfguard {b:.3f} s, difference {a - b:+.3f} s")


if __name__ == "__main__":
    main()
