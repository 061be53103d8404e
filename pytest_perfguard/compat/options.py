"""pytest-benchmark's `--benchmark-*` options as it defines them, with perfguard's meaning in
their help.

Every option pytest-benchmark 5 defines is accepted with the same syntax, so a suite whose
`addopts` names them starts unchanged; compat/translate.py says what the given values mean.
Pure: the plugin adds the options and reads their values.
"""

from __future__ import annotations

import argparse
import re
from typing import Any

from pytest_perfguard.config.settings import parse_count, parse_seconds

__all__ = ["BASELINE_NAME", "OPTIONS", "flag"]

BASELINE_NAME = "perfguard-baseline.toml"
"""The baseline file perfguard keeps inside a `--benchmark-storage` directory."""


def _type(parse: Any, what: str) -> Any:
    """An argparse type that turns a parser's ValueError into a usage error naming `what`."""

    def convert(text: str) -> str:
        try:
            parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(f"invalid {what} {text!r}: {exc}") from None
        return text

    return convert


def _warmup(text: str) -> str:
    if text.strip().lower() not in ("auto", "on", "off", "true", "false", "yes", "no", ""):
        raise ValueError("expected auto, on or off")
    return text


def _fraction(text: str) -> str:
    if not 0 < float(text) < 1:
        raise ValueError("expected a fraction strictly between 0 and 1")
    return text


_COMPARE_FAIL = re.compile(
    r"^(min|max|mean|median|stddev|iqr):([0-9]+%|[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)$"
)


def _compare_fail(text: str) -> str:
    if not _COMPARE_FAIL.match(text):
        raise ValueError("expected FIELD:PERCENT% or FIELD:SECONDS, e.g. min:5% or mean:0.001")
    return text


def _save_name(text: str) -> str:
    if not text or any(c in text for c in "\\/:*?<>|"):
        raise ValueError("expected a name without any of \\/:*?<>|")
    return text


def _positive(text: str) -> int:
    return parse_count(text, 1)


def _whole(text: str) -> int:
    return parse_count(text, 0)


def _cprofile_loops(text: str) -> object:
    return text if text == "auto" else _positive(text)


_COLUMNS = (
    "min",
    "max",
    "mean",
    "stddev",
    "median",
    "iqr",
    "outliers",
    "ops",
    "rounds",
    "iterations",
)


def _columns(text: str) -> str:
    bad = {c.strip() for c in text.lower().split(",")} - set(_COLUMNS)
    if bad:
        raise ValueError(f"unknown column {', '.join(sorted(bad))} (known: {', '.join(_COLUMNS)})")
    return text


def _sort(text: str) -> str:
    if text.strip().lower() not in ("min", "max", "mean", "stddev", "name", "fullname"):
        raise ValueError("expected min, max, mean, stddev, name or fullname")
    return text


def _name_format(text: str) -> str:
    if text.strip().lower() not in ("short", "normal", "long", "trial"):
        raise ValueError("expected short, normal, long or trial")
    return text


_CPROFILE = (
    "ncalls_recursion",
    "ncalls",
    "tottime",
    "tottime_per",
    "cumtime",
    "cumtime_per",
    "function_name",
)


def _flag(text: str) -> dict[str, Any]:
    return {"action": "store_true", "default": False, "help": text}


def _value(metavar: str, text: str, parse: Any = None) -> dict[str, Any]:
    option: dict[str, Any] = {"metavar": metavar, "default": None, "help": text}
    if parse is not None:
        option["type"] = _type(parse, metavar)
    return option


def _optional(metavar: str, const: str, text: str, parse: Any = None) -> dict[str, Any]:
    """A value that may be left out: like pytest-benchmark's, it takes the next argument."""
    option = _value(metavar, text, parse)
    option.update(nargs="?", const=const)
    return option


def _repeated(metavar: str, const: str, text: str) -> dict[str, Any]:
    return {"metavar": metavar, "nargs": "?", "const": const, "action": "append", "help": text}


_PG = "(pytest-benchmark; perfguard: "
OPTIONS: dict[str, dict[str, Any]] = {
    "min_time": _value("SECONDS", _PG + "ignored, rounds last ~200 us)", parse_seconds),
    "max_time": _value("SECONDS", _PG + "as --perf-max-time)", parse_seconds),
    "min_rounds": _value("NUM", _PG + "as --perf-min-rounds)", _positive),
    "precision": _value("FRACTION", _PG + "ignored)", _fraction),
    "confidence": _value("FRACTION", _PG + "ignored)", _fraction),
    "timer": _value("FUNC", _PG + "ignored, the clock is time.perf_counter_ns)"),
    "calibration_precision": _value("NUM", _PG + "ignored)", _whole),
    "warmup": _optional("KIND", "on", _PG + "ignored, perfguard always warms up)", _warmup),
    "warmup_iterations": _value("NUM", _PG + "ignored, see --perf-warmup)", _whole),
    "disable_gc": _flag(_PG + "ignored, GC stays on)"),
    "skip": _flag(_PG + "skips every benchmark test)"),
    "disable": _flag(_PG + "as --perf-off)"),
    "enable": _flag(_PG + "overrides --benchmark-disable)"),
    "only": _flag(_PG + "skips every test that is not a benchmark)"),
    "save": _value("NAME", _PG + "as --perf-save, and writes pytest-benchmark's file)", _save_name),
    "autosave": _flag(_PG + "as --perf-save, and writes pytest-benchmark's file)"),
    "save_data": _flag(_PG + "in the file --benchmark-save writes)"),
    "json": _value("PATH", _PG + "written in pytest-benchmark's JSON layout)"),
    "compare": _optional("NUM|_ID", "latest", _PG + "as --perf-compare, advisory)"),
    "compare_fail": {
        "metavar": "EXPR",
        "nargs": "+",
        "action": "extend",
        "type": _type(_compare_fail, "EXPR"),
        "help": _PG + "with --benchmark-compare, min:N%, mean:N% and median:N% set "
        "--perf-min-effect=N%, and perfguard's significance rule decides)",
    },
    "cprofile": {"metavar": "COLUMN", "choices": _CPROFILE, "help": _PG + "ignored)"},
    "cprofile_loops": _value("LOOPS", _PG + "ignored)", _cprofile_loops),
    "cprofile_top": _value("COUNT", _PG + "ignored)", _whole),
    "cprofile_dump": _repeated("FILENAME-PREFIX", "benchmark", _PG + "ignored)"),
    "storage": _value("URI", _PG + "holds the baseline file " + BASELINE_NAME + ")"),
    "netrc": _optional("NETRC", "~/.netrc", _PG + "ignored)"),
    "verbose": _flag(_PG + "ignored)"),
    "quiet": _flag(_PG + "ignored)"),
    "sort": _value("COL", _PG + "ignored)", _sort),
    "group_by": _value("LABEL", _PG + "ignored, the summary groups by group)"),
    "columns": _value("LABELS", _PG + "ignored)", _columns),
    "name": _value("FORMAT", _PG + "ignored)", _name_format),
    "time_unit": {
        "metavar": "COLUMN",
        "choices": ("ns", "us", "ms", "s", "auto"),
        "help": _PG + "ignored)",
    },
    "histogram": _repeated("FILENAME-PREFIX", "benchmark", _PG + "ignored)"),
}
"""argparse keywords of each `--benchmark-X` option (dest `benchmark_X`), as pytest-benchmark
5 defines them (optional values, lists), with perfguard's meaning in the help."""


def flag(name: str) -> str:
    return "--benchmark-" + name.replace("_", "-")
