"""What the given `--benchmark-*` options mean to perfguard.

Those with a perfguard meaning become perfguard option values; the others are accepted and the
header says, once, what perfguard does instead. Pure: the plugin passes the values in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_perfguard.compat.options import BASELINE_NAME, flag

__all__ = ["Translation", "translate"]

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
    "histogram": "the histograms are in --perf-html PATH (one self-contained page)",
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


_EFFECT_FIELDS = ("min", "mean", "median")
"""--benchmark-compare-fail fields whose percentage maps to perfguard's minimum effect: each
compares a typical time, as perfguard's gate does (max, stddev and iqr do not)."""
_GATE = "significant against the saved runs' variation, corrected for the number of benchmarks"


def _compare_fail(
    exprs: list[object],
    values: Mapping[str, object],
    given_perf: Mapping[str, bool],
    perf: dict[str, object],
) -> list[str]:
    """Map `--benchmark-compare-fail` FIELD:N% (min, mean, median) to --perf-min-effect=N%
    (the smallest when several), and say what each expression became."""
    given = [str(e) for e in exprs]
    shown = " ".join(given)
    if not _given(values.get("compare")):
        return [f"perfguard: --benchmark-compare-fail {shown} ignored without --benchmark-compare"]
    effects, unused = [], []
    for expr in given:
        name, _, threshold = expr.partition(":")
        if name in _EFFECT_FIELDS and threshold.endswith("%"):
            effects.append((float(threshold[:-1]), expr))
        else:
            unused.append(expr)
    lines = []
    if effects:
        percent, expr = min(effects)
        effect = f"{percent:g}%"
        if given_perf.get("perf_min_effect"):
            lines.append(
                f"perfguard: --benchmark-compare-fail {expr}: not used, --perf-min-effect "
                "was given and sets the smallest slowdown that fails"
            )
        else:
            perf["perf_min_effect"] = effect
            lines.append(
                f"perfguard: --benchmark-compare-fail {expr}: a test fails when it is at least "
                f"{effect} slower and perfguard's significance rule finds the slowdown real "
                f"(--perf-min-effect={effect}; {_GATE})"
            )
    if unused:
        lines.append(
            f"perfguard: --benchmark-compare-fail {' '.join(unused)} not used: only min:, mean: "
            "and median: percentages map to perfguard's minimum effect (--perf-min-effect); "
            f"a test fails only on a slowdown {_GATE}"
        )
    return lines


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
        mapped.append(f"{source} -> {target}{shown}")

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
        lines.append(
            "perfguard: pytest-benchmark options set these perfguard options: " + ", ".join(mapped)
        )
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
        exprs = list(compare_fail) if isinstance(compare_fail, list | tuple) else [compare_fail]
        lines.extend(_compare_fail(exprs, values, given_perf, perf))
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
