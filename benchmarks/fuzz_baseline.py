"""Fuzz the baseline loader and everything that reads a baseline: count tracebacks (goal 0).

Mutates the golden file (tests/golden/baseline_v1.toml) and the examples' committed baseline
(.perfguard/baseline.toml) with tests/mutations.py (bit flips, impossible numbers, huge
strings, deep nesting, lost lines, truncation, junk), seeded, and sends each file through:

- `storage.load` (what `pytest --perf-compare` and `--perf-save` read first),
- the plugin's gate: `Gate.open` and `Gate.judge` for every benchmark the file holds,
- `verdict.compare_baselines` both ways against the unmutated file,
- `perfguard show FILE`, `perfguard compare FILE SEED`, `perfguard compare SEED FILE` and
  `perfguard merge SEED FILE` through `pytest_perfguard.cli.main`.

A traceback is any exception other than BaselineError from the loader or the gate, any
exception from the verdict or a command, or a command error that is not one `perfguard: error:`
line with exit 2. Then the pathological files of issue 11 are timed alone.

    python benchmarks/fuzz_baseline.py [--files 10000] [--seed 11]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/mutations.py

from pytest_perfguard.cli import main  # noqa: E402
from pytest_perfguard.judge.policy import Policy  # noqa: E402
from pytest_perfguard.judge.verdict import compare_baselines  # noqa: E402
from pytest_perfguard.model import Baseline, BenchResult, BenchSettings, Measurement  # noqa: E402
from pytest_perfguard.run.gate import Gate, GateOptions  # noqa: E402
from pytest_perfguard.store import baseline as storage  # noqa: E402
from tests.mutations import MUTATIONS, invariant_violations  # noqa: E402

SEEDS = {
    "golden": ROOT / "tests" / "golden" / "baseline_v1.toml",
    "examples": ROOT / ".perfguard" / "baseline.toml",
}


def results_of(baseline: Baseline) -> list[BenchResult]:
    out = []
    for entry in baseline.entries.values():
        r = entry.runs[-1]
        reference = r.reference_ns or (50.0 if r.ref_ratios else math.nan)
        m = Measurement(r.median_ns, 0.0, r.rounds, r.loops, r.samples_ns or (r.median_ns,),
                        r.ref_ratios or (), reference, 0.0, r.allocs_per_op, r.bytes_per_op,
                        None, r.peak_memory_bytes)  # fmt: skip
        out.append(BenchResult(entry.nodeid, entry.group, m, BenchSettings()))
    return out


def cli(*argv: object) -> str | None:
    """None if the command behaved; else what went wrong."""
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main([str(a) for a in argv])
    except BaseException:
        return traceback.format_exc()
    text = err.getvalue()
    if status == 2 and text.startswith("perfguard: error: ") and text.count("\n") == 1:
        return None
    if status in (0, 1) and not text:
        return None
    return f"exit {status}, stderr {text[:300]!r}"


def fuzz_one(path: Path, seed_path: Path, seed: Baseline, out: Path) -> tuple[str, list[str]]:
    """('loaded' | 'refused', problems)."""
    problems: list[str] = []
    try:
        loaded = storage.load(path)
    except storage.BaselineError as exc:
        if "\n" in str(exc):
            problems.append(f"multi-line error: {str(exc)[:200]!r}")
        loaded = None
    except BaseException:
        problems.append("loader: " + traceback.format_exc())
        loaded = None
    if loaded is not None:
        problems += [f"invariant: {v}" for v in invariant_violations(loaded)]
    try:
        assert seed.fingerprint is not None
        gate = Gate.open(GateOptions(path, True, False, 5, Policy()), seed.fingerprint)
        family = gate.family(gate.baseline.entries if gate.baseline else ())
        for result in results_of(seed):
            gate.judge(result, family)
    except storage.BaselineError:
        pass
    except BaseException:
        problems.append("gate: " + traceback.format_exc())
    if loaded is not None:
        try:
            compare_baselines(loaded, seed, Policy())
            compare_baselines(seed, loaded, Policy())
        except BaseException:
            problems.append("verdict: " + traceback.format_exc())
    for argv in (
        ("show", path),
        ("compare", path, seed_path),
        ("compare", seed_path, path),
        ("merge", seed_path, path, "-o", out, "--force"),
    ):
        if (problem := cli(*argv)) is not None:
            problems.append(f"perfguard {argv[0]}: {problem}")
    return ("loaded" if loaded is not None else "refused"), problems


def time_rejection(path: Path) -> tuple[float, str]:
    """Seconds storage.load takes on the file, and what it said."""
    start = time.perf_counter()
    try:
        storage.load(path)
        said = "loaded?!"
    except storage.BaselineError as exc:
        said = str(exc).replace(str(path), "FILE")[:100]
    return time.perf_counter() - start, said


M = storage.MAX_FILE_BYTES
PATHOLOGICAL = {
    "arrays nested 100,000 deep": lambda: "x = " + "[" * 100_000 + "]" * 100_000,
    "inline tables nested 100,000 deep": lambda: "x = " + "{a=" * 100_000,
    "dotted key of 100,000 parts": lambda: "a" + ".a" * 100_000 + " = 1",
    'quoted dotted key of 100,000 parts ("a"."a"...)': lambda: '"a"' + '."a"' * 100_000 + " = 1",
    "an integer of 5,000 digits": lambda: "x = " + "9" * 5000,
    "20 MiB + 1 byte": lambda: "#" * (M + 1),
    "20 MiB of [],[],... without schema_version": lambda: "x = [" + "[]," * (M // 3 - 4) + "]",
    # The worst within the limit: dense TOML behind a valid head must be parsed to be refused.
    "20 MiB of [],[],... after schema_version = 1": lambda: (
        "schema_version = 1\nx = [" + "[]," * (M // 3 - 10) + "]"
    ),
    '20 MiB of "","",... after schema_version = 1': lambda: (
        "schema_version = 1\nx = [" + '"",' * (M // 3 - 10) + "]"
    ),
    "20 MiB of 15-part table headers after schema_version = 1": lambda: (
        "schema_version = 1\n" + "".join(f"[{'t.' * 14}n{i}]\n" for i in range(M // 40))
    ),
}


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    seeds = {name: (path, path.read_bytes(), storage.load(path)) for name, path in SEEDS.items()}
    outcomes: Counter[str] = Counter()
    used: Counter[str] = Counter()
    tracebacks: list[tuple[int, str, list[str]]] = []
    slowest = (0.0, -1, "")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        path, out = Path(scratch) / "baseline.toml", Path(scratch) / "merged.toml"
        for i in range(args.files):
            name = "golden" if i % 2 == 0 else "examples"
            seed_path, data, seed = seeds[name]
            applied = []
            for _ in range(rng.randint(1, 3)):
                mutation = rng.choice(MUTATIONS)
                applied.append(mutation.__name__.strip("_"))
                data = mutation(data, rng)
            used.update(applied)
            path.write_bytes(data)
            start = time.perf_counter()
            try:
                storage.load(path)
            except BaseException:
                took = time.perf_counter() - start
                if took > slowest[0]:
                    slowest = (took, i, f"{name}: {' + '.join(applied)}, {len(data):,} bytes")
            outcome, problems = fuzz_one(path, seed_path, seed, out)
            outcomes[outcome] += 1
            if problems:
                tracebacks.append((i, f"{name}: {' + '.join(applied)}", problems))
    elapsed = time.perf_counter() - started
    print(f"fuzz_baseline: {args.files:,} mutated baseline files (seed {args.seed}), "
          f"{elapsed:.0f} s")  # fmt: skip
    print(f"  loaded (valid after mutation): {outcomes['loaded']:,}")
    print(f"  refused with a one-line BaselineError: {outcomes['refused']:,}")
    print(f"  mutations applied: {', '.join(f'{k} {v}' for k, v in sorted(used.items()))}")
    print("  paths: storage.load, Gate.open + Gate.judge, verdict.compare_baselines (both ways),")
    print("         perfguard show / compare (both ways) / merge via cli.main")
    print(f"  files with a traceback or a malformed error: {len(tracebacks)}")
    for i, what, problems in tracebacks[:5]:
        print(f"    file {i} ({what}):")
        for problem in problems[:2]:
            print("      " + problem.strip().replace("\n", "\n      ")[-1500:])
    took, index, what = slowest
    print(f"  slowest rejection by the loader: {took * 1000:.1f} ms (file {index}: {what})")
    print("pathological files, storage.load alone:")
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "baseline.toml"
        for label, make in PATHOLOGICAL.items():
            path.write_text(make(), encoding="utf-8")
            took, said = time_rejection(path)
            print(f"  {label}: {took * 1000:,.0f} ms: {said}")
    return 1 if tracebacks else 0


if __name__ == "__main__":
    sys.exit(main_())
