"""pytest-benchmark's `--benchmark-*` options: their definitions, and what each means to perfguard.

Every option pytest-benchmark 5 defines is accepted with the same syntax, so a suite whose
`addopts` names them starts unchanged. Those with a perfguard meaning become perfguard option
values (`translate`); the others are accepted and the header says, once, what perfguard does
instead. Pure: the plugin adds the options and reads their values.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_perfguard.config.settings import parse_count, parse_seconds

__all__ = ["BASELINE_NAME", "OPTIONS", "Translation", "translate"]

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
        "help": _PG + "with --benchmark-compare, perfguard's gate decides)",
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


_PROFILED = "perfguard profiles every benchmark (calls/op; --perf-profile DIR writes .pstats files)"
_WHY = {
    "min_time": "rounds are calibrated to ~200 us (never under 50 us)",
    "timer": "the clock is time.perf_counter_ns, read per round",
    "calibration_precision": "rounds are calibrated to ~200 us (never under 50 us)",
    "precision": "rounds run until max_time (at least min_rounds); the gate's statistics decide",
    "confidence": "rounds run until max_time (at least min_rounds); the gate's statistics decide",
    "warmup": "perfguard always warms up: --perf-warmup calls (default 3) before calibrating",
    "warmup_iterations": "perfguard warms up with --perf-warmup calls (default 3)",
    "disable_gc": "GC stays on (turning it off hides real cost); gc/op is reported",
    "cprofile": _PROFILED,
    "cprofile_loops": _PROFILED,
    "cprofile_top": _PROFILED,
    "cprofile_dump": _PROFILED,
    "netrc": "no Elasticsearch storage",
    "verbose": "perfguard prints its summary table",
    "quiet": "perfguard prints its summary table",
    "sort": "the summary lists benchmarks in collection order",
    "group_by": "the summary groups benchmarks by group",
    "columns": "the summary's columns are perfguard's",
    "name": "the summary names benchmarks by node id",
    "time_unit": "the summary scales each time to its own unit",
    "histogram": "no histograms; --perf-markdown and --perf-json write reports",
}
"""Accepted options without a perfguard meaning: what perfguard does instead."""


@dataclass(frozen=True, slots=True)
class Translation:
    """What the given `--benchmark-*` options mean to perfguard."""

    perf: dict[str, object] = field(default_factory=dict)
    """perfguard option values (by dest, e.g. "perf_off": True) where none was given."""
    header: tuple[str, ...] = ()
    """Lines for the session header: what was mapped, and what perfguard does instead."""
    skip: bool = False
    """Skip every benchmark test (--benchmark-skip)."""
    only: bool = False
    """Skip every test that is not a benchmark (--benchmark-only)."""
    json: str | None = None
    """Write pytest-benchmark's JSON layout here."""
    save: str | None = None
    """Also write the run into pytest-benchmark's storage under this name ("": the autosave
    name, from the commit and the time); None: not saving."""
    storage: str | None = None
    """pytest-benchmark's storage directory (None: Elasticsearch, not written)."""
    save_data: bool = False
    """Include every round's time in the saved file (always in --benchmark-json's)."""


def _given(value: object) -> bool:
    return value not in (None, False, [], "")


def _storage_dir(uri: str) -> str | None:
    """The directory of a file storage URI (or a bare path, as pytest-benchmark takes it)."""
    if "://" not in uri:
        return uri
    scheme, _, rest = uri.partition("://")
    return rest if scheme == "file" else None


def translate(values: Mapping[str, object], given_perf: Mapping[str, bool]) -> Translation:
    """Map `--benchmark-*` values (by name: "max_time", ...) onto perfguard options.

    `given_perf` tells which perfguard options (by dest) were given on the command line: those
    win over their pytest-benchmark counterparts.
    """
    perf: dict[str, object] = {}
    mapped: list[str] = []

    def set_perf(dest: str, value: object, source: str) -> None:
        target = "--" + dest.replace("_", "-")
        if given_perf.get(dest):
            mapped.append(f"{source} (overridden by {target})")
            return
        perf[dest] = value
        shown = "" if value is True else f"={value}"
        mapped.append(f"{source} as {target}{shown}")

    disable = bool(values.get("disable")) and not values.get("enable")
    if disable:
        set_perf("perf_off", True, "--benchmark-disable")
    for name in ("max_time", "min_rounds"):
        if _given(values.get(name)):
            set_perf(f"perf_{name}", values[name], f"{flag(name)}={values[name]}")
    if values.get("save") or values.get("autosave"):
        set_perf(
            "perf_save", True, "--benchmark-save" if values.get("save") else "--benchmark-autosave"
        )
    compare_fail = values.get("compare_fail") or []
    if _given(values.get("compare")):
        set_perf("perf_compare", True, "--benchmark-compare")
        if not compare_fail:
            # pytest-benchmark's --benchmark-compare reports; only --benchmark-compare-fail fails.
            set_perf("perf_warn_only", True, "--benchmark-compare without -fail")
            set_perf("perf_allow_new", True, "--benchmark-compare without -fail")

    lines: list[str] = []
    if mapped:
        lines.append("perfguard: pytest-benchmark options read as " + ", ".join(mapped))
    storage = values.get("storage")
    if isinstance(storage, str) and storage:
        directory = _storage_dir(storage)
        if directory is None:
            lines.append(
                f"perfguard: --benchmark-storage={storage}: Elasticsearch storage is not "
                "supported; the baseline stays a TOML file (--perf-baseline)"
            )
        elif given_perf.get("perf_baseline"):
            lines.append(
                f"perfguard: --benchmark-storage={storage} (overridden by --perf-baseline)"
            )
        else:
            path = f"{directory.rstrip('/')}/{BASELINE_NAME}"
            perf["perf_baseline"] = path
            lines.append(f"perfguard: --benchmark-storage={storage}: the baseline file is {path}")
    directory = ".benchmarks" if not isinstance(storage, str) or not storage else None
    if isinstance(storage, str) and storage:
        directory = _storage_dir(storage)
    save = values.get("save")
    saving = str(save) if save else "" if values.get("autosave") else None
    if saving is not None and directory is not None:
        source = f"--benchmark-save={save}" if save else "--benchmark-autosave"
        lines.append(
            f"perfguard: {source}: the gate's baseline keeps the last --perf-keep-runs runs of "
            f"each benchmark; the run is also written in pytest-benchmark's layout to "
            f"{directory.rstrip('/')}/<machine>/NNNN_<name>.json"
        )
    if _given(values.get("compare")) and values["compare"] != "latest":
        lines.append(
            f"perfguard: --benchmark-compare={values['compare']}: compared with every saved "
            "run in the baseline, not with one run"
        )
    if compare_fail:
        exprs = " ".join(str(e) for e in compare_fail)  # type: ignore[attr-defined]
        if _given(values.get("compare")):
            why = (
                "thresholds unused: a test fails only on a real regression (significant against "
                "the saved runs' variation, above --perf-min-effect, corrected for the number "
                "of benchmarks)"
            )
        else:
            why = "ignored without --benchmark-compare"
        lines.append(f"perfguard: --benchmark-compare-fail {exprs}: {why}")
    for name, why in _WHY.items():
        value = values.get(name)
        if _given(value):
            lines.append(f"perfguard: {flag(name)} ignored: {why}")
    only = bool(values.get("only"))
    json = values.get("json")
    return Translation(
        perf=perf,
        header=tuple(lines),
        skip=bool(values.get("skip")) and not only,
        only=only,
        json=json if isinstance(json, str) and json else None,
        save=saving,
        storage=directory,
        save_data=bool(values.get("save_data")),
    )
