"""Allocations gate exactly: one more allocation per op fails, and unchanged code passes.

Part 1, a scratch project (as pytester would make): benchmarks allocating about 800 and 1,800
objects per op are saved three times (`--perf-save`), then each call allocates one object more
and `--perf-compare` must fail both on allocations. The rule before issue 11 allowed
max(0.5 allocs, 1%): +8 and +18 allocs/op here.

Part 2 (`--examples`), A/A: `pytest examples --perf-compare -p no:cacheprovider` against the
committed .perfguard/baseline.toml with the code unchanged: no allocation or bytes failure. For
every example whose counts differ from the saved runs at all, the difference is printed.

    python benchmarks/alloc_gate.py [--examples]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from pytest_perfguard.store import baseline as storage  # noqa: E402

SUITE = """
import itertools

import pytest

EXTRA = {extra}


def work(n):
    kept = [object() for _ in itertools.repeat(None, n)]
    if EXTRA:
        kept.append(object())  # the regression: one more allocation per call
    return kept


@pytest.mark.parametrize("n", [780, 1775])
def test_build(perf, n):
    perf(work, n)
"""
FAST = ("--perf-max-time=0.05", "-q")


def pytest_run(cwd: Path, *args: str) -> tuple[int, str, dict[str, dict[str, object]]]:
    out = Path(tempfile.mkdtemp()) / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-p", "no:cacheprovider", "--perf-json", str(out)],
        cwd=cwd, capture_output=True, text=True, check=False,
    )  # fmt: skip
    document = json.loads(out.read_text()) if out.exists() else {"benchmarks": []}
    return proc.returncode, proc.stdout, {b["nodeid"]: b for b in document["benchmarks"]}


def scratch_project() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "test_alloc.py").write_text(SUITE.format(extra=False))
        for _ in range(3):
            code, out, _ = pytest_run(root, *FAST, "--perf-save")
            assert code == 0, out
        saved = storage.load(root / ".perfguard" / "baseline.toml")
        (root / "test_alloc.py").write_text(SUITE.format(extra=True))
        code, out, now = pytest_run(root, *FAST, "--perf-compare")
    print("part 1: +1 allocation per op on a scratch project (3 saved runs, then --perf-compare)")
    caught = 0
    for nodeid, entry in saved.entries.items():
        before = [r.allocs_per_op for r in entry.runs]
        comparison = now[nodeid]["comparison"]
        (allocs,) = [m for m in comparison["metrics"] if m["metric"] == "allocs"]
        failing = allocs["verdict"] == "regressed" and not allocs["advisory"]
        caught += failing
        old_rule = max(0.5, 0.01 * max(v or 0.0 for v in before))
        verdict = "FAILS" if failing else "passes"
        print(
            f"  {nodeid}: saved runs {before} allocs/op, now {allocs['current']:g}: {verdict} "
            f"(the old rule allowed +{old_rule:g})"
        )
        print(textwrap.indent(textwrap.fill("rule: " + allocs["rule"], 96), "    "))
    print(f"  pytest exit code {code}; {caught} of {len(saved.entries)} regressions caught")
    return 0 if caught == len(saved.entries) and code == 1 else 1


def examples_aa() -> int:
    baseline = storage.load(ROOT / ".perfguard" / "baseline.toml")
    code, out, now = pytest_run(ROOT, "examples", "--perf-compare")
    counts: dict[str, int] = {}
    differing = []
    for nodeid, bench in now.items():
        for m in (bench["comparison"] or {}).get("metrics", []):
            if m["metric"] in ("allocs", "bytes"):
                key = f"{m['metric']} {m['verdict']}{' (advisory)' if m['advisory'] else ''}"
                counts[key] = counts.get(key, 0) + 1
        measured = bench["measurement"]
        for field in ("allocs_per_op", "bytes_per_op"):
            seen = {getattr(r, field) for r in baseline.entries[nodeid].runs}
            value = measured[field]
            if value is not None and value not in seen:
                saved = sorted(v for v in seen if v is not None)
                # The file keeps 7 significant digits: 10,612,423 is saved as 10,612,420.
                why = "rounding" if float(f"{value:.7g}") in seen else "a different count"
                differing.append(
                    f"{nodeid}: {field} {value:.0f} now, saved {[f'{v:.0f}' for v in saved]} "
                    f"({value - saved[-1]:+.0f}: {why})"
                )
    summary = out.strip().splitlines()[-1]
    print("part 2: A/A, pytest examples --perf-compare -p no:cacheprovider (committed baseline)")
    print(f"  pytest: {summary} (exit code {code})")
    print(f"  allocation and bytes verdicts: {dict(sorted(counts.items()))}")
    print(f"  counts differing from every saved run: {len(differing)}")
    for line in differing:
        print(f"    {line}")
    failing = sum(v for k, v in counts.items() if "regressed" in k and "advisory" not in k)
    return 0 if code == 0 and failing == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", action="store_true", help="also the A/A run of examples/")
    args = parser.parse_args()
    status = scratch_project()
    if args.examples:
        status |= examples_aa()
    return status


if __name__ == "__main__":
    sys.exit(main())
