"""The `perfguard` console script: its arguments, help and exit status; commands in commands.py."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from pytest_perfguard._version import __version__
from pytest_perfguard.cli.commands import compare_command, merge_command, show_command
from pytest_perfguard.cli.inputs import FORMATS, InputError, read_input
from pytest_perfguard.config.options import MAX_KEEP_RUNS
from pytest_perfguard.config.settings import parse_count, parse_fraction
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import TOLERANCES
from pytest_perfguard.model import DEFAULT_KEEP

__all__ = ["InputError", "build_parser", "main", "read_input"]

T = TypeVar("T")


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
    f"baseline, the measurements for results. {FORMATS}"
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
    show.set_defaults(run=show_command)

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
    for setting, specs in TOLERANCES.items():
        option(
            "--" + setting.replace("_", "-"),
            type=_checked_by(parse_fraction),
            metavar="PCT",
            help=f"rise of {' and '.join(m.column for m in specs)} allowed beyond the saved "
            "runs' counts, e.g. 5%% (default: each benchmark's own setting when NEW is results "
            "JSON, else 0: exact)",
        )
    option("--markdown", metavar="PATH", help="also write a Markdown report to PATH")
    compare.set_defaults(run=compare_command)

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
    merge.set_defaults(run=merge_command)
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
