"""A baseline's tables, as TOML holds them: model -> tables (rounded) and tables -> model."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import MISSING, fields
from typing import Any

from pytest_perfguard.metrics import BY_NAME, METRICS
from pytest_perfguard.model import Baseline, BaselineEntry, Fingerprint, FunctionCost, RunSummary
from pytest_perfguard.store.checks import (
    Invalid,
    as_table,
    check_keys,
    field_value,
    optional_field,
    show,
)
from pytest_perfguard.store.customtoml import custom_tables, parse_custom
from pytest_perfguard.store.keypaths import key, path_of
from pytest_perfguard.store.limits import MAX_BENCHMARKS, MAX_PROFILE, MAX_RUNS, MAX_STRING
from pytest_perfguard.store.sitelines import parse_sites, site_line

# Every Fingerprint field, in the model's order; cpu_count is its only integer. Fields with a
# default (machine, hosted) are optional: older files lack them, and "" is not written.
_ENV_FIELDS = tuple(
    (f.name, "integer" if f.type == "int" else "string") for f in fields(Fingerprint)
)
_ENV_OPTIONAL = frozenset(f.name for f in fields(Fingerprint) if f.default is not MISSING)
# (field, kind, significant digits written) of the runs' other keys, in file order. 5 digits of
# ns resolve 0.001-0.01%, below the best within-run noise measured (0.03%).
_OTHER_RUN_FIELDS = (
    ("timestamp", "timestamp", 0),
    ("ref_ratio", "number", 6),
    ("reference_ns", "number", 5),
    ("rounds", "integer", 0),
    ("loops", "integer", 0),
    ("samples_ns", "numbers", 5),
    ("ref_ratios", "numbers", 6),
    ("bytes_processed", "integer", 0),
    ("items_processed", "integer", 0),
    ("threads", "integer", 0),
    ("ops_per_s", "number", 5),
    ("sweep", "integers", 0),
    ("efficiency", "numbers", 4),
    ("efficiency_rounds", "numbers", 4),
    ("custom", "custom", 0),
    ("profile", "profile", 0),
    ("sites", "sites", 0),
)
_TAIL = 2
"""The last keys of a run, after every metric's: its profile and its allocation sites."""


def _run_fields() -> tuple[tuple[str, str, int], ...]:
    """Every run key in file order: each metric's after the key its spec names, a metric that
    names none last before the profile (so files written before it keep their layout)."""
    order = list(_OTHER_RUN_FIELDS[:-_TAIL])
    for spec in METRICS:
        field = (spec.field, spec.toml_type, spec.toml_digits)
        names = [name for name, _, _ in order]
        at = len(order) if spec.toml_after is None else names.index(spec.toml_after) + 1
        order.insert(at, field)
        if spec.env_field is not None:  # right after its value
            order.insert(at + 1, (spec.env_field, "string", 0))
    return (*order, *_OTHER_RUN_FIELDS[-_TAIL:])


_RUN_FIELDS = _run_fields()
_RUN_REQUIRED = frozenset({"timestamp", BY_NAME["time"].field, "rounds", "loops"})


def to_tables(baseline: Baseline) -> dict[str, Any]:
    """The `environment` and `benchmarks` tables of a baseline: sorted, numbers rounded to the
    digits the file keeps, None fields left out. ValueError for a value no file can hold."""
    doc: dict[str, Any] = {}
    if baseline.fingerprint is not None:
        env = {name: getattr(baseline.fingerprint, name) for name, _ in _ENV_FIELDS}
        doc["environment"] = {k: v for k, v in env.items() if v != "" or k not in _ENV_OPTIONAL}
    benchmarks = doc["benchmarks"] = {}
    for nodeid, entry in sorted(baseline.entries.items()):
        if entry.nodeid != nodeid or not entry.runs:
            raise ValueError(f"entry under {nodeid!r} is {entry.nodeid!r} with {entry.runs!r}")
        table: dict[str, Any] = {}
        if entry.group is not None:
            table["group"] = entry.group
        if entry.python_version:
            table["python"] = entry.python_version
        if entry.machine:
            table["machine"] = entry.machine
        table["runs"] = [_run_doc(run, f"{key('benchmarks', nodeid)}.runs") for run in entry.runs]
        benchmarks[nodeid] = table
    return doc


def _run_doc(run: RunSummary, where: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, kind, digits in _RUN_FIELDS:
        value = getattr(run, name)
        if value is None or (kind == "custom" and not value):
            continue
        if kind == "custom":
            value = custom_tables(value, where)
        elif kind == "profile":
            value = [profile_line(f) for f in value]
        elif kind == "integers":
            value = list(value)
        elif kind == "sites":
            value = [site_line(s) for s in value]
        elif kind in ("number", "numbers"):
            numbers = value if kind == "numbers" else (value,)
            if not all(math.isfinite(v) for v in numbers):
                raise ValueError(f"{where}.{name} is not finite: {value!r}")
            rounded = [float(f"{v:.{digits}g}") for v in numbers]
            value = rounded if kind == "numbers" else rounded[0]
        table[name] = value
    return table


def from_tables(doc: Mapping[str, Any]) -> Baseline:
    """The baseline of a parsed document whose schema_version was checked: every key known,
    every value checked; Invalid at the first that is not."""
    check_keys(doc, "", {"schema_version", "environment", "benchmarks"})
    fingerprint = None
    if "environment" in doc:
        try:
            env = as_table(doc["environment"], "environment")
            check_keys(env, "environment", {name for name, _ in _ENV_FIELDS})
            values = {
                name: optional_field(env, name, kind, "environment")
                if name in _ENV_OPTIONAL
                else field_value(env, name, kind, "environment")
                for name, kind in _ENV_FIELDS
            }
            fingerprint = Fingerprint(**{k: v for k, v in values.items() if v is not None})
        except Invalid as exc:
            exc.path = ("environment", *path_of(exc.key[len("environment") :]))
            raise
    entries = {}
    benchmarks = as_table(doc.get("benchmarks", {}), "benchmarks")
    if len(benchmarks) > MAX_BENCHMARKS:
        raise Invalid("benchmarks", f"more than {MAX_BENCHMARKS} benchmarks")
    for nodeid, raw in benchmarks.items():
        where = key("benchmarks", nodeid)
        try:
            entries[nodeid] = _parse_entry(nodeid, raw, where)
        except Invalid as exc:
            exc.path = ("benchmarks", nodeid, *path_of(exc.key[len(where) :]))
            raise
    return Baseline(fingerprint, dict(sorted(entries.items())))


def _parse_entry(nodeid: str, raw: object, where: str) -> BaselineEntry:
    if len(nodeid) > MAX_STRING:
        raise Invalid(where, f"a node id of {len(nodeid)} characters (at most {MAX_STRING})")
    table = as_table(raw, where)
    check_keys(table, where, {"group", "python", "machine", "runs"})
    runs = table.get("runs")
    if not isinstance(runs, list) or not runs:
        raise Invalid(f"{where}.runs", f"expected at least one run, got {show(runs)}")
    if len(runs) > MAX_RUNS:
        raise Invalid(f"{where}.runs", f"{len(runs)} runs, more than the {MAX_RUNS} allowed")
    return BaselineEntry(
        nodeid=nodeid,
        group=optional_field(table, "group", "string", where),
        runs=tuple(_parse_run(run, f"{where}.runs[{i}]") for i, run in enumerate(runs)),
        python_version=optional_field(table, "python", "string", where) or "",
        machine=optional_field(table, "machine", "string", where) or "",
    )


def _parse_run(raw: object, where: str) -> RunSummary:
    table = as_table(raw, where)
    check_keys(table, where, {name for name, _, _ in _RUN_FIELDS})
    values: dict[str, Any] = {}
    for name, kind, _ in _RUN_FIELDS:
        if kind == "custom":
            values[name] = parse_custom(table[name], f"{where}.{name}") if name in table else ()
        elif kind == "profile":
            values[name] = _parse_profile(table[name], f"{where}.{name}") if name in table else None
        elif kind == "sites":
            values[name] = parse_sites(table[name], f"{where}.{name}") if name in table else None
        elif name in _RUN_REQUIRED:
            values[name] = field_value(table, name, kind, where)
        else:
            values[name] = optional_field(table, name, kind, where)
    return RunSummary(**values)


_PROFILE_LINE = re.compile(r"^(\S+) calls, (\S+) ns: (.+):(\d+)\((.*)\)$")


def profile_line(f: FunctionCost) -> str:
    """One function of a saved profile as one reviewable line, pstats' file:line(function)."""
    # 4 significant digits of a profiled time are more than it holds; never an exponent.
    own = format(float(f"{f.own_ns:.4g}"), ".15g")
    return f"{f.calls_per_op:.7g} calls, {own} ns: {f.where}"


def _parse_profile(raw: object, where: str) -> tuple[FunctionCost, ...]:
    if not isinstance(raw, list) or len(raw) > MAX_PROFILE:
        raise Invalid(where, f"expected an array of at most {MAX_PROFILE} strings, got {show(raw)}")
    out = []
    for i, line in enumerate(raw):
        match = _PROFILE_LINE.match(line) if isinstance(line, str) else None
        numbers = _numbers(match.group(1), match.group(2)) if match else None
        if match is None or numbers is None or len(line) > MAX_STRING:
            raise Invalid(
                f"{where}[{i}]",
                f"expected '<calls> calls, <ns> ns: file:line(function)', got {show(line)}",
            )
        out.append(FunctionCost(match.group(3), int(match.group(4)), match.group(5), *numbers))
    return tuple(out)


def _numbers(calls: str, ns: str) -> tuple[float, float] | None:
    try:
        values = float(calls), float(ns)
    except ValueError:
        return None
    return values if all(math.isfinite(v) and v >= 0 for v in values) else None
