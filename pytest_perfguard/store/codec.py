"""Model values <-> plain dicts of JSON types (for xdist transport and the JSON report).

Measurements, settings and results; comparisons and their decisions are in verdictcodec.py.
"""

from __future__ import annotations

import base64
import dataclasses
import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pytest_perfguard.metrics import METRICS, MetricKind, MetricSpec
from pytest_perfguard.model import (
    AllocSite,
    BenchResult,
    BenchSettings,
    Comparison,
    FunctionCost,
    Measurement,
)
from pytest_perfguard.store.sweep import parallel_figures, sweep_from_list, threads_from
from pytest_perfguard.usermetrics import custom_list, reported_from_dict, reported_properties


def from_isoformat(text: str) -> datetime:
    """`datetime.fromisoformat`, also taking a "Z" suffix (Python 3.10's does not)."""
    return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else value


def _encoded_profile_data(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


_ENCODE: Mapping[str, Callable[[Any], Any]] = {
    "samples_ns": list,
    "ref_ratios": list,
    "reference_ns": _finite,
    "notes": list,
    "tracers": list,
    "profile": lambda profile: [cost_to_dict(f) for f in profile],
    "profile_data": _encoded_profile_data,
    "custom": custom_list,
    "sweep": lambda sweep: [],  # parallel_figures writes it
    "sites": lambda sites: [dataclasses.asdict(s) for s in sites],
}
"""How Measurement attributes that are not JSON values as they are get written."""


def measurement_to_dict(m: Measurement) -> dict[str, Any]:
    """Every attribute, in the order Measurement declares them (so every metric's too)."""
    d = {f.name: _ENCODE.get(f.name, _as_is)(getattr(m, f.name)) for f in dataclasses.fields(m)}
    return d | parallel_figures(m)


def _as_is(value: Any) -> Any:
    return value


def cost_to_dict(f: FunctionCost) -> dict[str, Any]:
    return {
        "file": f.file,
        "line": f.line,
        "function": f.function,
        "calls_per_op": f.calls_per_op,
        "own_ns": f.own_ns,
        "cumulative_ns": f.cumulative_ns,
    }


def cost_from_dict(d: Mapping[str, Any]) -> FunctionCost:
    return FunctionCost(
        d["file"], d["line"], d["function"], d["calls_per_op"], d["own_ns"], d.get("cumulative_ns")
    )


def measurement_from_dict(d: Mapping[str, Any]) -> Measurement:
    reference = d["reference_ns"]
    data = d.get("profile_data")
    # A metric added later is absent from older results: not measured there.
    metrics: dict[str, Any] = {
        s.field: d[s.field] if s.in_every_result else d.get(s.field) for s in METRICS
    }
    metrics.update({s.env_field: d.get(s.env_field) for s in METRICS if s.env_field})
    return Measurement(
        spread_ns=d["spread_ns"],
        rounds=d["rounds"],
        loops=d["loops"],
        samples_ns=tuple(d["samples_ns"]),
        ref_ratios=tuple(d["ref_ratios"]),
        reference_ns=math.nan if reference is None else reference,
        gc_collections_per_op=d["gc_collections_per_op"],
        retained_blocks_per_op=d["retained_blocks_per_op"],
        peak_memory_exact=d["peak_memory_exact"],
        notes=tuple(d["notes"]),
        others_cpu=d.get("others_cpu"),
        tracers=tuple(d.get("tracers", ())),
        profile=tuple(cost_from_dict(f) for f in d.get("profile", ())),
        profile_data=None if data is None else base64.b64decode(data),
        **reported_from_dict(d),
        threads=threads_from(d.get("threads")),
        sweep=sweep_from_list(d.get("sweep", ())),
        python_build=d.get("python_build"),
        sites=tuple(AllocSite(**s) for s in d.get("sites", ())),  # absent from older results
        **metrics,
    )


def settings_to_dict(s: BenchSettings) -> dict[str, Any]:
    return {
        "max_time_s": s.max_time,
        "min_rounds": s.min_rounds,
        "warmup": s.warmup,
        "memory": s.memory,
        "allocations": s.allocations,
        "min_effect": s.min_effect,
        "alloc_tolerance": s.alloc_tolerance,
        "profile": s.profile,
        "calls_tolerance": s.calls_tolerance,
        "instructions": s.instructions,
        "instructions_tolerance": s.instructions_tolerance,
        "limit_time_ns": s.limit_time_ns,
        "limit_memory_bytes": s.limit_memory_bytes,
        "limit_allocs": s.limit_allocs,
        "group": s.group,
        "scale": s.scale,
        "limit_scaling": s.limit_scaling,
        "scale_tolerance": s.scale_tolerance,
        "bytes_processed": s.bytes_processed,
        "items_processed": s.items_processed,
    }


def settings_from_dict(d: Mapping[str, Any]) -> BenchSettings:
    return BenchSettings(
        max_time=d["max_time_s"],
        min_rounds=d["min_rounds"],
        warmup=d["warmup"],
        memory=d["memory"],
        allocations=d["allocations"],
        min_effect=d["min_effect"],
        alloc_tolerance=d.get("alloc_tolerance", 0.0),  # absent from older results
        profile=d.get("profile", True),
        calls_tolerance=d.get("calls_tolerance", 0.0),
        instructions=d.get("instructions", False),
        instructions_tolerance=d.get(
            "instructions_tolerance", BenchSettings().instructions_tolerance
        ),
        limit_time_ns=d["limit_time_ns"],
        limit_memory_bytes=d["limit_memory_bytes"],
        limit_allocs=d["limit_allocs"],
        group=d["group"],
        scale=d.get("scale"),  # absent from older results
        limit_scaling=d.get("limit_scaling"),
        scale_tolerance=d.get("scale_tolerance", 0.3),
        bytes_processed=d.get("bytes_processed"),
        items_processed=d.get("items_processed"),
    )


def result_to_dict(r: BenchResult) -> dict[str, Any]:
    return {
        "nodeid": r.nodeid,
        "group": r.group,
        "location": None if r.location is None else list(r.location),
        "settings": settings_to_dict(r.settings),
        "measurement": measurement_to_dict(r.measurement),
    }


def result_from_dict(d: Mapping[str, Any]) -> BenchResult:
    location = d["location"]
    return BenchResult(
        nodeid=d["nodeid"],
        group=d["group"],
        measurement=measurement_from_dict(d["measurement"]),
        settings=settings_from_dict(d["settings"]),
        location=None if location is None else (location[0], location[1]),
    )


def junit_properties(m: Measurement, comparison: Comparison | None) -> list[tuple[str, str]]:
    """A perf test's figures and verdict as JUnit XML properties (strings, units in names)."""
    properties = []
    for spec in METRICS:
        value = getattr(m, spec.field)
        if value is None and spec.optional:
            continue  # not measured on this interpreter or without its option
        properties.append((spec.junit_property, _junit_value(spec, value)))
        if spec.kind is MetricKind.TIME:  # the rounds behind the time, next to it
            properties.append(("perf_rounds_x_loops", f"{m.rounds}x{m.loops}"))
    properties += reported_properties(m.median_ns, m.bytes_processed, m.items_processed, m.custom)
    if comparison is not None:
        properties.append(("perf_verdict", comparison.verdict.value))
    return properties


def _junit_value(spec: MetricSpec, value: float | None) -> str:
    if value is None:
        return "n/a"
    if spec.kind is MetricKind.TIME:
        return f"{value:.6g}"
    return str(value) if spec.toml_type == "integer" else f"{value:g}"
