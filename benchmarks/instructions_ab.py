"""Do instruction counts depend on where the code lives? The same small suite (the gate's four
benchmarks of benchmarks/instructions_gate.py, and a second test after the first) is counted
in two directories of different paths, with the worker's allocator as perfguard leaves it
(pymalloc, CPython's default) and with PYTHONMALLOC=malloc, side by side in one run.

    python benchmarks/instructions_ab.py

Printed: per allocator and benchmark, the count in each directory and their difference. The
same code in another checkout (a CI runner's path, or the base tree of --perf-compare-ref)
should count the same: that is what a count compared across machines assumes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from instructions_gate import LIB, TESTS

MALLOC = """
from pytest_perfguard.run import instr_env

instr_env.WORKER_VARIABLES["PYTHONMALLOC"] = "malloc"
"""
"""A plugin for the controlling session: the worker gets the C library's malloc."""


def counts(root: Path, plugin: list[str]) -> dict[str, float]:
    out = root / "out.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(root.parent)])}
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        *plugin,
        "--perf-instructions",
        "--perf-max-time",
        "0.02",
        "--perf-json",
        str(out),
    ]
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    if not out.exists():
        sys.exit(f"no results in {root} (exit {done.returncode}):\n{done.stdout[-3000:]}")
    return {
        b["nodeid"].split("::")[-1]: b["measurement"]["instructions_per_op"]
        for b in json.loads(out.read_text())["benchmarks"]
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="perfguard-instr-ab-") as tmp:
        (Path(tmp) / "use_malloc.py").write_text(MALLOC)
        dirs = [Path(tmp) / "a", Path(tmp) / ("a-checkout-at-a-much-longer-path-" + "x" * 40)]
        for d in dirs:
            d.mkdir()
            (d / "mylib.py").write_text(LIB.format(percent=100))
            (d / "test_suite.py").write_text(TESTS)
        for name, plugin in (("pymalloc (perfguard's)", []), ("malloc", ["-p", "use_malloc"])):
            short, long = (counts(d, plugin) for d in dirs)
            print(f"PYTHONMALLOC={name}: instructions/op in two directories")
            for test in short:
                a, b = short[test], long[test]
                print(f"  {test:12} {a:>14,.1f} {b:>14,.1f}  {(b - a) / a:+.4%}")


if __name__ == "__main__":
    main()
