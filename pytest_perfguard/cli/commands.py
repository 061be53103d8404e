"""The `perfguard` commands: show, compare and merge baselines and results offline."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

from pytest_perfguard.cli.inputs import InputError, read_input
from pytest_perfguard.cli.output import baseline_lines, describe_env, details
from pytest_perfguard.judge import compatibility
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.judge.sanity import outlying_runs
from pytest_perfguard.judge.scaling_groups import GroupResult, judge_groups
from pytest_perfguard.judge.verdict import compare_all, compare_baselines
from pytest_perfguard.metrics import TOLERANCES
from pytest_perfguard.model import Baseline, BenchResult, Fingerprint
from pytest_perfguard.report.json import Results
from pytest_perfguard.report.markdown import headline, render_markdown
from pytest_perfguard.report.rules import differences_text
from pytest_perfguard.report.scaling import scaling_lines
from pytest_perfguard.report.terminal import render_comparisons, render_results
from pytest_perfguard.report.verdicts import outlier_text
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history

__all__ = ["compare_command", "merge_command", "show_command"]


def show_command(args: argparse.Namespace) -> int:
    """`perfguard show FILE`: the environment and a table of the file's benchmarks."""
    data = read_input(args.file)
    if isinstance(data, Results):
        print(
            f"{args.file}: results of {len(data.results)} benchmark(s), created "
            f"{data.created.isoformat()}"
        )
        print(describe_env(data.fingerprint), end="\n\n")
        print("\n".join(render_results(data.results) or ["no benchmarks"]))
    else:
        print(f"{args.file}: baseline, {len(data.entries)} benchmark(s), newest run of each")
        print(describe_env(data.fingerprint), end="\n\n")
        print("\n".join(baseline_lines(data)))
    return 0


def compare_command(args: argparse.Namespace) -> int:
    """`perfguard compare OLD NEW`: the plugin's verdicts offline; 1 when anything fails."""
    old, new = read_input(args.old), read_input(args.new)
    if isinstance(old, Results):
        raise InputError(
            f"{args.old}: results JSON holds one run, no saved history: OLD must be a baseline "
            "TOML (NEW may be either)"
        )
    # --min-effect and each tolerance option (--alloc-tolerance, --calls-tolerance, ...) given
    overrides = {
        name: value
        for name in ("min_effect", *TOLERANCES)
        if (value := getattr(args, name)) is not None
    }
    policy = Policy(alpha=args.alpha, strict=args.strict, warn_only=args.warn_only)
    policy = dataclasses.replace(policy, **overrides)
    results: tuple[BenchResult, ...] = ()
    scaling: list[GroupResult] = []
    if isinstance(new, Results):
        # Results carry each benchmark's resolved settings, so its own min_effect and
        # tolerances apply (as in the plugin) unless an option overrides them.
        results = tuple(_with_settings(r, overrides) for r in new.results)
        comparisons = compare_all(old, results, new.fingerprint, policy, suite_complete=True)
        # Fitted as the plugin fits them: each case against its newest saved run.
        saved = {n: e.runs[-1] for n, e in old.entries.items() if n in new.scaling}
        scaling = judge_groups(new.scaling, {r.nodeid: r for r in results}, saved)
    else:
        comparisons = compare_baselines(old, new, policy)
    notes = []
    differs = old.fingerprint and new.fingerprint and _differences(old.fingerprint, new)
    if differs:
        counted = "count (--strict)" if args.strict else "are advisory (--strict counts them)"
        notes.append(f"environments differ ({differs}): time verdicts {counted}")
    compared = {c.nodeid for c in comparisons}
    notes += [
        f"warning: {outlier_text(o)}"
        for o in outlying_runs(e for n, e in old.entries.items() if n in compared)
    ]
    if args.markdown:
        text = render_markdown(
            comparisons, results, baseline_path=args.old, notes=notes, scaling=scaling
        )
        _write_text(args.markdown, text)
    print("\n".join([*render_comparisons(comparisons), *details(comparisons)]))
    if scaling:
        print("\n".join(["scaling:", *scaling_lines(scaling)]))
    for note in notes:
        print(f"note: {note}")
    print(f"perfguard: {headline(comparisons, results, icons=False)}")
    failed = any(c.failing for c in comparisons) or any(g.failures for g in scaling)
    return 1 if failed else 0


def _with_settings(result: BenchResult, overrides: dict[str, Any]) -> BenchResult:
    settings = dataclasses.replace(result.settings, **overrides)
    return dataclasses.replace(result, settings=settings)


def _differences(old: Fingerprint, new: Baseline | Results) -> str:
    if new.fingerprint is None:
        return ""
    return differences_text(compatibility.differences(old, new.fingerprint))


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None


def merge_command(args: argparse.Namespace) -> int:
    """`perfguard merge IN... -o OUT`: baselines combined, every input checked first."""
    baselines = []
    for path in args.inputs:
        data = read_input(path)
        if isinstance(data, Results):
            raise InputError(
                f"{path}: results JSON, not a baseline: merge takes baseline TOML files"
            )
        baselines.append(data)
    out = Path(args.output)
    if out.is_dir():
        raise InputError(f"{args.output}: is a directory")
    if out.exists() and not args.force and not any(_same_file(out, p) for p in args.inputs):
        # Replacing a file the user did not name as an input would lose whatever it held.
        raise InputError(
            f"{args.output}: already exists and is not one of the inputs; "
            "add it as an input to keep its entries, or pass --force to replace it"
        )
    first = baselines[0].fingerprint
    for path, other in zip(args.inputs[1:], baselines[1:], strict=True):
        if first is not None and (differs := _differences(first, other)):
            # The merge rule then keeps whole entries instead of combining runs: say so.
            print(
                f"note: {path} differs from {args.inputs[0]} ({differs}): a benchmark in "
                "both keeps only the entry with the newer run"
            )
    merged = functools.reduce(lambda a, b: history.merge_baselines(a, b, keep=args.keep), baselines)
    try:
        storage.save(out, merged)
    except OSError as exc:
        raise InputError(f"{args.output}: cannot write it: {exc.strerror or exc}") from None
    print(f"merged {len(baselines)} file(s), {len(merged.entries)} benchmark(s), into {out}")
    return 0


def _same_file(a: Path, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
