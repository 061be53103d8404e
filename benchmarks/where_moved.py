"""A function moved by an edit above it: its "where" shows no change (issue 27).

    python benchmarks/where_moved.py [--ops N]

Writes a small module to a temporary directory, profiles a benchmark of it with the profiling
pass's own summary (cProfile, per op, paths relative to the directory), saves that profile in a
baseline file and loads it back (the saved form keeps line numbers), inserts one line inside
`build_string` (which moves `count_words` down a line), profiles again and prints the "where"
diff of the two. It then lists what a diff keyed by file and line would have reported.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType

from pytest_perfguard.judge.where import diff_profiles
from pytest_perfguard.measure.profile import RawStats, summarize
from pytest_perfguard.model import BenchResult, Fingerprint, FunctionCost, Measurement
from pytest_perfguard.report.where import where_lines
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history

SOURCE = '''\
"""A small library to profile."""

WORDS = ["alpha", "beta", "gamma", "delta"] * 50


def build_string(words):
    parts = []
    for word in words:
        parts.append(word.upper())
    return " ".join(parts)


def count_words(text):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def bench():
    return count_words(build_string(WORDS))
'''
EDIT = ("    parts = []\n", "    parts = []\n    sep = ' '\n")
FP = Fingerprint("CPython", "3", "Linux", "x86_64", "cpu", 1, "0")


def load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def profile(module: ModuleType, root: Path, ops: int) -> tuple[FunctionCost, ...]:
    bench = module.bench
    for _ in range(3):
        bench()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(ops):
        bench()
    prof.disable()
    prof.create_stats()
    raw: RawStats = prof.stats  # type: ignore[attr-defined]
    here = {k: v for k, v in raw.items() if "_lsprof" not in k[2] and k[0] != __file__}
    return summarize(here, ops, roots=[str(root)]).functions


def saved(functions: tuple[FunctionCost, ...]) -> tuple[FunctionCost, ...]:
    """The profile as the baseline file keeps it: written and read back."""
    m = Measurement(1.0, 0.0, 1, 1, (1.0,), (1.0,), 1.0, 0.0, calls_per_op=1.0, profile=functions)
    doc = history.merge(None, [BenchResult("t", None, m)], FP, now=datetime.now(timezone.utc))
    profile = storage.loads(storage.dumps(doc)).entries["t"].runs[-1].profile
    assert profile is not None
    return profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ops", type=int, default=2000)
    ops = parser.parse_args().ops
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "mylib.py"
        path.write_text(SOURCE)
        base = saved(profile(load(path, "mylib_base"), root, ops))
        path.write_text(SOURCE.replace(*EDIT))
        head = profile(load(path, "mylib_head"), root, ops)
    where = diff_profiles(base, head, "before the edit")
    assert where is not None
    print(f"python {sys.version.split()[0]}, {ops} ops per profile\n")
    print("\n".join(where_lines(where)))
    print("\nfunctions of mylib.py, base line -> head line, calls per op base -> head:")
    for b in (f for f in base if f.file == "mylib.py"):
        h = next(f for f in head if (f.file, f.function) == (b.file, b.function))
        calls = f"{b.calls_per_op:g} -> {h.calls_per_op:g}"
        print(f"  {b.function}: line {b.line} -> {h.line}, {calls}")
    by_line = {(f.file, f.line, f.function) for f in base} ^ {
        (f.file, f.line, f.function) for f in head
    }
    print("\nkeyed by file and line, the diff would have named as removed or added:")
    for file, line, function in sorted(by_line):
        side = "removed" if any((f.line, f.function) == (line, function) for f in base) else "added"
        print(f"  {side} {file}:{line}({function})")
    moved = [c for c in where.by_calls if c.function == "count_words"]
    print(f"\ncount_words in the calls diff: {'yes' if moved else 'no'}")


if __name__ == "__main__":
    main()
