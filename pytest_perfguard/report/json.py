"""The machine-readable results document (`--perf-json`): written from and read into model values.

Versioned: `schema_version` changes only when a key is removed or changes meaning. Units are in
the key names (`_ns`, `_bytes`, `_s`); `change` and `interval` are relative (0.25 = +25%).
Each metric carries its rule twice: `rule` in words and `decision` (kind, numbers, texts,
caveats), from which report/rules.py words `rule` again; a comparison's `notes` start with its
`reason` worded, when it has one.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pytest_perfguard._version import __version__
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.judge.scaling_groups import Member
from pytest_perfguard.metrics import METRICS, TOLERANCES, MetricKind
from pytest_perfguard.model import BenchResult, Comparison, Fingerprint
from pytest_perfguard.report.rules import comparison_notes, reason_text, rule_text
from pytest_perfguard.store.codec import from_isoformat, result_from_dict, result_to_dict
from pytest_perfguard.store.limits import (
    MAX_COUNT,
    MAX_ITERATIONS,
    MAX_NS,
    MAX_RATIO,
    MAX_SAMPLES,
    MIN_NS,
    MIN_RATIO,
)
from pytest_perfguard.store.verdictcodec import comparison_from_dict, comparison_to_dict

__all__ = [
    "SCHEMA_VERSION",
    "Results",
    "ResultsError",
    "parse_results",
    "render_json",
    "results_document",
]

SCHEMA_VERSION = 1
PROFILE_TOP = 20
"""Functions of each benchmark's profile in the document (by own time); all are in the
.pstats files of --perf-profile."""


def _clean(value: Any) -> Any:
    """JSON has no NaN or infinity: write null (NaN) or a string ("inf", "-inf")."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def results_document(
    results: Sequence[BenchResult],
    comparisons: Mapping[str, Comparison],
    fingerprint: Fingerprint,
    settings: Mapping[str, Any],
    created: str,
    ab: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The document; `ab` (same-job A/B) adds its `ab` table: `ref` (REF and its commit),
    `removed` (perf tests only REF has), `pairs` (pairs of rounds per benchmark) and
    `processes` (pairs of worker processes they were spread over)."""
    benchmarks = []
    for result in results:
        entry = result_to_dict(result)
        measured = entry["measurement"]
        del measured["profile_data"]  # binary; --perf-profile writes it as .pstats
        measured["profile"] = measured["profile"][:PROFILE_TOP]
        m = result.measurement
        if m.median_ns > 0 and m.bytes_processed is not None:  # for reading: time decides
            measured["mb_per_s"] = m.bytes_processed / m.median_ns * 1e3
        if m.median_ns > 0 and m.items_processed is not None:
            measured["items_per_s"] = m.items_processed / m.median_ns * 1e9
        measured["sites"] = measured["sites"][:PROFILE_TOP]  # all are in --perf-profile's
        comparison = comparisons.get(result.nodeid)
        entry["comparison"] = None if comparison is None else _comparison(comparison)
        benchmarks.append(entry)
    document: dict[str, Any] = _clean(
        {
            "schema_version": SCHEMA_VERSION,
            "created": created,
            "environment": dataclasses.asdict(fingerprint),
            "settings": dict(settings),
            "benchmarks": benchmarks,
            **({"ab": dict(ab)} if ab is not None else {}),
        }
    )
    return document


def _comparison(c: Comparison) -> dict[str, Any]:
    return comparison_to_dict(c, [rule_text(m) for m in c.metrics], comparison_notes(c))


def _read_comparison(raw: Any) -> Comparison:
    """A comparison as results_document wrote it: its notes without the worded reason.
    ValueError when a decision cannot be worded (a number its rule needs is missing)."""
    c = comparison_from_dict(raw)
    for m in c.metrics:
        rule_text(m)
    if c.reason is not None and c.notes[:1] == (reason_text(c.reason),):
        c = dataclasses.replace(c, notes=c.notes[1:])
    return c


def render_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


class ResultsError(PerfguardError):
    """A document that is not usable results; the message starts with where it came from."""


@dataclass(frozen=True, slots=True)
class Results:
    """A `--perf-json` results document, read back."""

    fingerprint: Fingerprint
    created: datetime
    results: tuple[BenchResult, ...]
    comparisons: Mapping[str, Comparison] = dataclasses.field(default_factory=dict)
    """The verdicts the document holds, by node id. A document written before decisions
    were stored has RECORDED decisions: the rule's wording as it was, no numbers."""
    scaling: Mapping[str, Member] = dataclasses.field(default_factory=dict)
    """The cases of its scaling groups, by node id (none in a document from before)."""


def parse_results(text: str, *, source: str) -> Results:
    """Read and check the text of a results document; ResultsError names `source` and the key."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ResultsError(f"{source}, line {exc.lineno}: not valid JSON: {exc.msg}") from None
    except RecursionError:
        raise ResultsError(f"{source}: not valid JSON: nested too deeply") from None
    except ValueError as exc:  # a number with thousands of digits
        raise ResultsError(f"{source}: not valid JSON: {str(exc)[:80]}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
        raise ResultsError(f"{source}: JSON, but not perfguard results (no benchmarks list)")
    version = doc.get("schema_version")
    if type(version) is not int or version != SCHEMA_VERSION:
        newer = type(version) is int and version > SCHEMA_VERSION
        raise ResultsError(
            f"{source}: results schema_version {version!r} is "
            f"{'from a newer perfguard' if newer else 'unknown'}; this perfguard ({__version__}) "
            f"reads schema_version {SCHEMA_VERSION}" + ("; upgrade perfguard" if newer else "")
        )
    try:
        fingerprint = _fingerprint(doc.get("environment"))
        created = _timestamp(doc.get("created"))
    except ValueError as exc:
        raise ResultsError(f"{source}: {exc}") from None
    results = []
    comparisons = {}
    for i, raw in enumerate(doc["benchmarks"]):
        where = f"benchmarks[{i}]"
        try:
            results.append(_checked(result_from_dict(raw)))
            where += ".comparison"
            if raw.get("comparison") is not None:
                comparisons[results[-1].nodeid] = _read_comparison(raw["comparison"])
        except KeyError as exc:
            raise ResultsError(f"{source}: {where}: missing key {exc}") from None
        except (TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ResultsError(f"{source}: {where}: {exc}") from None
    try:
        scaling = _scaling_members(doc.get("scaling"))
    except ValueError as exc:
        raise ResultsError(f"{source}: {exc}") from None
    return Results(fingerprint, created, tuple(results), comparisons, scaling)


def _scaling_members(section: object) -> dict[str, Member]:
    """The `scaling` section's groups, as the case of each benchmark in one."""
    if section is None:
        return {}
    if not isinstance(section, list):
        raise ValueError("scaling: expected a list of groups")
    found = {}
    for i, group in enumerate(section):
        name = group.get("group") if isinstance(group, dict) else None
        members = group.get("members", {}) if isinstance(group, dict) else None
        if not isinstance(name, str) or not isinstance(members, dict):
            raise ValueError(f"scaling[{i}]: expected a group name and its members")
        for nodeid, size in members.items():
            if type(size) is not int or size <= 0:
                raise ValueError(f"scaling[{i}].members[{nodeid!r}]: not a positive size: {size!r}")
            found[nodeid] = Member(name, size)
    return found


def _fingerprint(env: object) -> Fingerprint:
    if not isinstance(env, dict):
        raise ValueError("environment: missing or not an object")
    values: dict[str, Any] = {}
    for field in dataclasses.fields(Fingerprint):
        kind = int if field.type == "int" else str
        value = env.get(field.name)
        if value is None and field.default is not dataclasses.MISSING:
            continue  # written before the field existed (machine, hosted)
        if type(value) is not kind:
            raise ValueError(f"environment.{field.name}: expected {kind.__name__}, got {value!r}")
        values[field.name] = value
    return Fingerprint(**values)


def _timestamp(text: object) -> datetime:
    try:
        if not isinstance(text, str):
            raise ValueError
        stamp = from_isoformat(text)
    except ValueError:
        raise ValueError(f"created: expected an ISO 8601 date-time, got {text!r}") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


_NS = (MIN_NS, MAX_NS)
_RATIO = (MIN_RATIO, MAX_RATIO)
_MEASURED: tuple[tuple[str, type, tuple[float, float], bool], ...] = (
    # (field, type, (lowest, highest), may be None): the ranges the baseline loader accepts.
    *(
        (spec.field, spec.value_type, _NS, False)
        if spec.kind is MetricKind.TIME
        else (spec.field, spec.value_type, (0, MAX_COUNT), True)
        for spec in METRICS
    ),
    ("spread_ns", float, (0, MAX_NS), False),
    ("rounds", int, (1, MAX_ITERATIONS), False),
    ("loops", int, (1, MAX_ITERATIONS), False),
    ("gc_collections_per_op", float, (0, MAX_COUNT), False),
    ("retained_blocks_per_op", float, (-MAX_COUNT, MAX_COUNT), True),
    ("others_cpu", float, (0, 1), True),
    ("bytes_processed", int, (1, MAX_COUNT), True),
    ("items_processed", int, (1, MAX_COUNT), True),
)


def _check_number(name: str, value: object, kind: type, limits: tuple[float, float]) -> None:
    ok = type(value) is int or (kind is float and type(value) is float)
    if not ok or not limits[0] <= value <= limits[1]:  # type: ignore[operator]
        what = "an integer" if kind is int else "a finite number"
        raise ValueError(
            f"{name}: expected {what} from {limits[0]:g} to {limits[1]:g}, got {value!r}"
        )


def _checked(result: BenchResult) -> BenchResult:
    """Types and ranges the codec passes through unchecked: a wrong one would crash later, far
    from here (the verdict divides by and takes logs of these)."""
    m = result.measurement
    for name, kind, limits, optional in _MEASURED:
        value = getattr(m, name)
        if not (optional and value is None):
            _check_number(f"measurement.{name}", value, kind, limits)
    for c in m.custom:
        _check_number(f"measurement.custom.{c.name}", c.value, float, (-MAX_COUNT, MAX_COUNT))
    if not m.samples_ns or len(m.samples_ns) > MAX_SAMPLES:
        raise ValueError(f"measurement.samples_ns: expected 1 to {MAX_SAMPLES} values")
    if len(m.ref_ratios) > MAX_SAMPLES:
        raise ValueError(f"measurement.ref_ratios: more than {MAX_SAMPLES} values")
    for i, v in enumerate(m.samples_ns):
        _check_number(f"measurement.samples_ns[{i}]", v, float, _NS)
    for i, v in enumerate(m.ref_ratios):
        _check_number(f"measurement.ref_ratios[{i}]", v, float, _RATIO)
    if not (isinstance(m.reference_ns, float) and math.isnan(m.reference_ns)):  # null: none ran
        _check_number("measurement.reference_ns", m.reference_ns, float, _NS)
    for name in ("min_effect", *TOLERANCES):
        _check_number(f"settings.{name}", getattr(result.settings, name), float, (0, 10))
    if not isinstance(result.nodeid, str) or not result.nodeid:
        raise ValueError(f"nodeid: expected a string, got {result.nodeid!r}")
    if result.group is not None and not isinstance(result.group, str):
        raise ValueError(f"group: expected a string or null, got {result.group!r}")
    location = result.location
    if location is not None and not (
        isinstance(location[0], str) and type(location[1]) is int and location[1] >= 0
    ):
        raise ValueError(f"location: expected [path, line], got {list(location)!r}")
    if not all(isinstance(note, str) for note in m.notes):
        raise ValueError("measurement.notes: expected strings")
    if not all(isinstance(tracer, str) for tracer in m.tracers):
        raise ValueError("measurement.tracers: expected strings")
    for i, f in enumerate(m.profile):
        if not (isinstance(f.file, str) and isinstance(f.function, str) and type(f.line) is int):
            raise ValueError(f"measurement.profile[{i}]: expected file, line and function")
        for name in ("calls_per_op", "own_ns", "cumulative_ns"):
            value = getattr(f, name)
            if not (name == "cumulative_ns" and value is None):
                _check_number(f"measurement.profile[{i}].{name}", value, float, (0, MAX_COUNT))
    for i, s in enumerate(m.sites):
        if not (isinstance(s.file, str) and isinstance(s.function, str) and type(s.line) is int):
            raise ValueError(f"measurement.sites[{i}]: expected file, line and function")
        for name in ("allocs", "nbytes", "objects"):
            value = getattr(s, name)
            if not (name == "objects" and value is None):  # not counted before 3.13
                _check_number(f"measurement.sites[{i}].{name}", value, float, (0, MAX_COUNT))
    if type(result.settings.profile) is not bool:
        raise ValueError(
            f"settings.profile: expected true or false, got {result.settings.profile!r}"
        )
    return result
