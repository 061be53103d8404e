"""The `perfguard` console script: show, compare and merge baselines and results offline."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from pytest_perfguard._version import __version__
from pytest_perfguard.config.options import MAX_KEEP_RUNS
from pytest_perfguard.config.settings import parse_count, parse_fraction
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.judge import compatibility
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.judge.verdict import compare_all, compare_baselines
from pytest_perfguard.model import (
    DEFAULT_KEEP,
    Baseline,
    BenchResult,
    Comparison,
    Fingerprint,
    Verdict,
)
from pytest_perfguard.report.json import Results, ResultsError, parse_results
from pytest_perfguard.report.markdown import headline, render_markdown
from pytest_perfguard.report.rules import differences_text, rule_text
from pytest_perfguard.report.terminal import (
    align_columns,
    describe_metric,
    format_metric,
    render_comparisons,
    render_results,
)
from pytest_perfguard.store import baseline as storage
from pytest_perfguard.store import history, limits
from pytest_perfguard.units import format_time

__all__ = ["InputError", "build_parser", "main", "read_input"]

T = TypeVar("T")

_FORMATS = (
    "FILE is a baseline (TOML, written by --perf-save) or a results document (JSON, written by "
    "--perf-json): a file whose text starts with '{' or whose name ends in .json is read as "
    "JSON, anything else as TOML."
)


class InputError(PerfguardError):
    """A file the command cannot use; the message starts with the file's name."""


def read_input(path: str) -> Baseline | Results:
    """Read a baseline or a results document (see _FORMATS); InputError when it is neither."""
    try:
        data = limits.read_limited(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise InputError(f"{path}: {exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text, so neither a baseline nor results") from None
    # A TOML document cannot start with '{', a JSON object must: the content decides, and the
    # name only picks which parser explains a broken file.
    if text.lstrip().startswith("{") or path.lower().endswith(".json"):
        try:
            return parse_results(text, source=path)
        except ResultsError as exc:
            raise InputError(str(exc)) from None
    try:
        return storage.loads(text, source=path)
    except storage.BaselineError as exc:
        hint = " (expected a perfguard baseline TOML or --perf-json results JSON)"
        raise InputError(str(exc) + (hint if "not valid TOML" in exc.problem else "")) from None


def _describe_env(fingerprint: Fingerprint | None) -> str:
    if fingerprint is None:
        return "environment: not recorded"
    f = fingerprint
    return (
        f"environment: {f.python_implementation} {f.python_version} on {f.os} {f.arch}, "
        f"{f.cpu_model} ({f.cpu_count} CPUs), perfguard {f.perfguard_version}"
    )


def _baseline_lines(baseline: Baseline) -> list[str]:
    header = "benchmark,runs,newest run,time/op,run spread,ref ratio,allocs/op,B/op,peak mem"
    rows: list[list[str] | str] = []
    entries = sorted(baseline.entries.values(), key=lambda e: (e.group is not None, e.group or ""))
    group: str | None = None
    for entry in entries:
        if entry.group is not None and entry.group != group:
            group = entry.group
            rows.append(f"group {group}:")
        newest, medians = entry.runs[-1], sorted(r.median_ns for r in entry.runs)
        middle = medians[len(medians) // 2]
        spread = f"{(medians[-1] - medians[0]) / middle:.1%}" if len(medians) > 1 else "n/a"
        rows.append(
            [
                ("  " if entry.group else "") + entry.nodeid,
                str(len(entry.runs)),
                newest.timestamp,
                format_time(newest.median_ns),
                spread,
                format_metric("ratio", newest.ref_ratio),
                format_metric("allocs", newest.allocs_per_op),
                format_metric("bytes", newest.bytes_per_op),
                format_metric("memory", newest.peak_memory_bytes),
            ]
        )
    notes = "run spread: (slowest - fastest) / median time/op of the saved runs"
    return [*align_columns(header.split(","), rows), notes] if rows else ["no benchmarks"]


def _show(args: argparse.Namespace) -> int:
    data = read_input(args.file)
    if isinstance(data, Results):
        print(
            f"{args.file}: results of {len(data.results)} benchmark(s), created "
            f"{data.created.isoformat()}"
        )
        print(_describe_env(data.fingerprint), end="\n\n")
        print("\n".join(render_results(data.results) or ["no benchmarks"]))
    else:
        print(f"{args.file}: baseline, {len(data.entries)} benchmark(s), newest run of each")
        print(_describe_env(data.fingerprint), end="\n\n")
        print("\n".join(_baseline_lines(data)))
    return 0


def _compare(args: argparse.Namespace) -> int:
    old, new = read_input(args.old), read_input(args.new)
    if isinstance(old, Results):
        raise InputError(
            f"{args.old}: results JSON holds one run, no saved history: OLD must be a baseline "
            "TOML (NEW may be either)"
        )
    policy = Policy(alpha=args.alpha, strict=args.strict, warn_only=args.warn_only)
    if args.min_effect is not None:
        policy = dataclasses.replace(policy, min_effect=args.min_effect)
    if args.alloc_tolerance is not None:
        policy = dataclasses.replace(policy, alloc_tolerance=args.alloc_tolerance)
    results: tuple[BenchResult, ...] = ()
    if isinstance(new, Results):
        # Results carry each benchmark's resolved settings, so its own min_effect and
        # alloc_tolerance apply (as in the plugin) unless --min-effect or --alloc-tolerance
        # overrides them.
        results = tuple(
            _with_settings(r, args.min_effect, args.alloc_tolerance) for r in new.results
        )
        comparisons = compare_all(old, results, new.fingerprint, policy, suite_complete=True)
    else:
        comparisons = compare_baselines(old, new, policy)
    notes = []
    differs = old.fingerprint and new.fingerprint and _differences(old.fingerprint, new)
    if differs:
        counted = "count (--strict)" if args.strict else "are advisory (--strict counts them)"
        notes.append(f"environments differ ({differs}): time verdicts {counted}")
    if args.markdown:
        text = render_markdown(comparisons, results, baseline_path=args.old, notes=notes)
        _write_text(args.markdown, text)
    print("\n".join([*render_comparisons(comparisons), *_details(comparisons)]))
    for note in notes:
        print(f"note: {note}")
    print(f"perfguard: {headline(comparisons, results, icons=False)}")
    return 1 if any(c.failing for c in comparisons) else 0


def _with_settings(
    result: BenchResult, min_effect: float | None, alloc_tolerance: float | None
) -> BenchResult:
    settings = result.settings
    if min_effect is not None:
        settings = dataclasses.replace(settings, min_effect=min_effect)
    if alloc_tolerance is not None:
        settings = dataclasses.replace(settings, alloc_tolerance=alloc_tolerance)
    return dataclasses.replace(result, settings=settings)


def _differences(old: Fingerprint, new: Baseline | Results) -> str:
    if new.fingerprint is None:
        return ""
    return differences_text(compatibility.differences(old, new.fingerprint))


def _details(comparisons: Sequence[Comparison]) -> list[str]:
    lines = []
    for title, advisory in (("regressions", False), ("advisory regressions (not failing)", True)):
        found = [
            (c, m)
            for c in comparisons
            for m in c.metrics
            if m.verdict is Verdict.REGRESSED and m.advisory is advisory
        ]
        if found:
            lines += ["", f"{title}:"]
        for c, m in found:
            lines += [f"  {c.nodeid}", f"    {describe_metric(m)}", f"      rule: {rule_text(m)}"]
    return lines


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write it: {exc.strerror or exc}") from None


def _merge(args: argparse.Namespace) -> int:
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


def _alpha(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 < value < 1:
        raise ValueError(f"expected a number between 0 and 1, got {text!r}")
    return value


def _checked_by(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type from a parser raising ValueError, keeping its message."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return convert


_SHOW_HELP = (
    "Print the environment and a table of benchmarks: the newest run of each benchmark for a "
    f"baseline, the measurements for results. {_FORMATS}"
)
_COMPARE_HELP = """\
Compare the newest run of each benchmark in NEW with the saved runs in OLD, with the
plugin's verdict rules; print a benchstat-like table and the rule behind each regression.

OLD is a baseline TOML; NEW is a baseline TOML or --perf-json results (read as JSON when its
text starts with '{' or its name ends in .json).
"""
_COMPARE_EPILOG = """\
Exit status: 1 when any benchmark regressed (not advisory), 0 otherwise, 2 on bad input.
Benchmarks only in OLD are reported missing and never fail.
"""
_MERGE_HELP = """\
Merge baseline files, e.g. those saved by the shards of a split CI run, into OUT.
Every input is read and checked before anything is written.
"""
_MERGE_RULE = """\
Conflict rule, per benchmark (node id), folding the inputs left to right:
  - in one input only: taken as it is;
  - in both, same environment (Python implementation and minor version, OS, architecture and
    CPU model) and the same Python: the saved runs are combined in time order, a run present in
    both (shards started from the same committed baseline) counted once, and the newest --keep
    runs kept;
  - in both, different environments: the entry whose newest run is newer is kept whole, since
    runs from different machines must never pass for run-to-run variation.
The output carries the environment of the input holding the newest run. OUT is written
atomically; an existing OUT that is not one of the inputs is never replaced without --force.
"""


def build_parser() -> argparse.ArgumentParser:
    """The `perfguard` argument parser, with a description and --help on every command."""
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="perfguard",
        description="Inspect, compare and merge pytest-perfguard baselines and results.",
        epilog="Exit status: 0 ok, 1 regression (compare), 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add = commands.add_parser

    show = add("show", help="print a baseline or a results file", description=_SHOW_HELP)
    show.add_argument("file", metavar="FILE")
    show.set_defaults(run=_show)

    compare = add(
        "compare",
        help="compare NEW against the saved runs of OLD",
        formatter_class=raw,
        description=_COMPARE_HELP,
        epilog=_COMPARE_EPILOG,
    )
    compare.add_argument("old", metavar="OLD", help="baseline TOML (the saved runs)")
    compare.add_argument("new", metavar="NEW", help="baseline TOML or results JSON")
    option = compare.add_argument
    option("--strict", action="store_true", help="time counts across a different CPU or Python")
    option("--warn-only", action="store_true", help="every verdict advisory: exit 0")
    option(
        "--alpha",
        type=_checked_by(_alpha),
        default=Policy().alpha,
        metavar="A",
        help="false-failure rate over all time comparisons, Holm (default %(default)s)",
    )
    option(
        "--min-effect",
        type=_checked_by(parse_fraction),
        metavar="PCT",
        help="smallest time change that may fail, e.g. 10%% (default: each benchmark's own "
        "setting when NEW is results JSON, else 10%%)",
    )
    option(
        "--alloc-tolerance",
        type=_checked_by(parse_fraction),
        metavar="PCT",
        help="rise of allocs/op and B/op allowed beyond the saved runs' counts, e.g. 5%% "
        "(default: each benchmark's own setting when NEW is results JSON, else 0: exact)",
    )
    option("--markdown", metavar="PATH", help="also write a Markdown report to PATH")
    compare.set_defaults(run=_compare)

    merge = add(
        "merge",
        help="merge baselines (shards of a split CI run) into one",
        formatter_class=raw,
        description=_MERGE_HELP,
        epilog=_MERGE_RULE,
    )
    merge.add_argument("inputs", nargs="+", metavar="BASELINE")
    option = merge.add_argument
    option("-o", "--output", required=True, metavar="OUT", help="the file to write")
    option("--force", action="store_true", help="replace OUT even if it is not an input")
    option(
        "--keep",
        type=_checked_by(lambda text: parse_count(text, 1, MAX_KEEP_RUNS)),
        default=DEFAULT_KEEP,
        metavar="N",
        help="runs kept where runs are combined (default %(default)s, as --perf-keep-runs)",
    )
    merge.set_defaults(run=_merge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (argparse's own errors included)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    try:
        status: int = args.run(args)
    except InputError as exc:
        print(f"perfguard: error: {exc}", file=sys.stderr)
        return 2
    return status
