"""Are the verdicts printed for the examples the same at two revisions? Same inputs, two codes.

    python benchmarks/verdict_diff.py [REV_A] [REV_B] [--results JSON] [--baseline TOML] [--full]

REV_A defaults to `main`, REV_B to the working tree (`WORKTREE`; uncommitted changes included).
The examples are measured ONCE, by the working tree (`pytest examples --perf-json`; or reuse
`--results`), so no verdict can differ by the machine's speed. A second results file is derived
from it deterministically: every third benchmark 1.5x slower and allocating 10% more. Each
revision's own `perfguard compare` (a `git worktree` checkout of it on PYTHONPATH) then judges
both files against the same baseline (default: the working tree's .perfguard/baseline.toml),
as given and with --strict (time gates across machines). From each output the verdict lines
are kept: each table row's benchmark and verdict column, every other line (rules, notes, the
summary) as printed, and the exit status; `--full` diffs the whole output instead. Prints
"identical" and exits 0, or prints the differences, says whether any benchmark's verdict itself
differs (or only other printed lines), and exits 1.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKTREE = "WORKTREE"


def git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()


def checkout(rev: str, scratch: Path) -> Path:
    """A directory holding `rev`'s code: the working tree itself, or a detached worktree."""
    if rev == WORKTREE:
        return ROOT
    where = scratch / f"rev-{git('rev-parse', '--short', rev)}"
    if not where.exists():
        git("worktree", "add", "--detach", "-q", str(where), rev)
    return where


def run_python(code: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python ARGS` importing pytest_perfguard from `code` (checked, not assumed)."""
    env = dict(os.environ, PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1")
    where = subprocess.run(
        [sys.executable, "-c", "import pytest_perfguard as p; print(p.__file__)"],
        env=env, cwd=cwd, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    if not Path(where).is_relative_to(code):
        raise SystemExit(f"verdict_diff: pytest_perfguard comes from {where}, not from {code}")
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True,
                          text=True, check=False)  # fmt: skip


def slowed(results: Path, out: Path) -> Path:
    """Every third benchmark 1.5x slower (all its time figures) and allocating 10% more."""
    document = json.loads(results.read_text())
    for bench in document["benchmarks"][::3]:
        m = bench["measurement"]
        for key in ("median_ns", "spread_ns"):
            m[key] *= 1.5
        for key in ("samples_ns", "ref_ratios"):
            m[key] = [value * 1.5 for value in m[key] or []] or m[key]
        for key in ("allocs_per_op", "bytes_per_op"):
            if m.get(key) is not None:
                m[key] *= 1.1
    out.write_text(json.dumps(document))
    return out


def verdict_lines(output: str) -> list[str]:
    """Each table row as `benchmark: verdict`; every other line as printed."""
    lines, columns = [], None
    for line in output.splitlines():
        if line.startswith("benchmark ") and " verdict " in line:
            columns = (line.index("baseline"), line.index(" verdict ") + 1, line.find(" detects"))
            continue
        if columns and "::" in line[: columns[0]] and len(line) > columns[1]:
            end = columns[2] if columns[2] > 0 else None
            lines.append(f"{line[: columns[0]].strip()}: {line[columns[1] : end].strip()}")
        else:
            columns = None  # the table ended
            lines.append(line.rstrip())
    return lines


def is_row(line: str) -> bool:
    """A table row's `benchmark: verdict` (rule sections and notes are indented)."""
    return "::" in line and not line.startswith(" ")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev_a", nargs="?", default="main")
    parser.add_argument("rev_b", nargs="?", default=WORKTREE)
    parser.add_argument("--results", type=Path, help="a --perf-json file to reuse (no measuring)")
    parser.add_argument("--baseline", type=Path, default=ROOT / ".perfguard" / "baseline.toml")
    parser.add_argument("--full", action="store_true", help="diff the whole output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="verdict_diff-") as tmp:
        scratch = Path(tmp)
        try:
            base = Path(shutil.copy(args.baseline.resolve(), scratch / "base.toml"))
            results = scratch / "results.json"
            if args.results:
                shutil.copy(args.results, results)
            else:
                print("measuring the examples once (the working tree's code) ...", flush=True)
                pytest = ["-m", "pytest", "examples", "-q", "-p", "no:cacheprovider"]
                done = run_python(ROOT, *pytest, f"--perf-json={results}", cwd=ROOT)
                if not results.exists():
                    print(done.stdout[-3000:], done.stderr[-3000:])
                    return 2
            inputs = {
                "as measured": results,
                "every third slowed": slowed(results, scratch / "slow.json"),
            }
            benchmarks = len(json.loads(results.read_text())["benchmarks"])
            differences = compared = rows_differ = 0
            for flags in ([], ["--strict"]):
                for label, new in inputs.items():
                    printed = {}
                    for rev in (args.rev_a, args.rev_b):
                        code = checkout(rev, scratch)
                        done = run_python(code, "-m", "pytest_perfguard", "compare", *flags,
                                          str(base), str(new), cwd=scratch)  # fmt: skip
                        text = done.stdout + done.stderr
                        kept = text.splitlines() if args.full else verdict_lines(text)
                        printed[rev] = [*kept, f"exit status {done.returncode}"]
                    compared += 1
                    a, b = printed[args.rev_a], printed[args.rev_b]
                    if a != b:
                        differences += 1
                        rows_differ += sorted(filter(is_row, a)) != sorted(filter(is_row, b))
                        what = " ".join(["compare", *flags, f"({label})"])
                        print(f"--- {what}: {args.rev_a} vs {args.rev_b}")
                        diff = difflib.unified_diff(a, b, args.rev_a, args.rev_b, lineterm="", n=1)
                        print("\n".join(diff))
        finally:
            for where in scratch.glob("rev-*"):
                git("worktree", "remove", "--force", str(where))
    if differences:
        print(f"DIFFERENT: {differences} of {compared} comparisons print other lines; in "
              f"{rows_differ} of them a benchmark's verdict differs")  # fmt: skip
        return 1
    print(f"identical: {args.rev_a} and {args.rev_b} print the same verdicts in {compared} "
          f"comparisons ({benchmarks} benchmarks as measured and with every third slowed, "
          f"plain and --strict)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
