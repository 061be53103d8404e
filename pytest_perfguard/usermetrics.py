"""Figures a benchmark reports about itself: custom metrics (`perf.report`) and the work one
op processes (`bytes=`/`items=`), from which reports show a throughput."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BETTER",
    "CustomMetric",
    "custom_from_dict",
    "custom_list",
    "custom_names",
    "custom_to_dict",
    "reported_from_dict",
    "reported_properties",
    "throughput",
    "value_of",
]

BETTER = ("lower", "higher")
"""Which way a custom metric improves."""


@dataclass(frozen=True, slots=True)
class CustomMetric:
    """One number a benchmark reported with `perf.report`: a registry entry made at run time
    (judged beside the built-in metrics, under its own name)."""

    name: str
    value: float
    unit: str = ""
    """What one unit of the value is ("hits/op", "rows"); free text."""
    better: str = "lower"
    """"lower" or "higher": a move the other way is a regression."""
    exact: bool = False
    """Deterministic: any move in the worse direction fails (like allocation counts)."""
    tolerance: float | None = None
    """Relative move in the worse direction allowed (0.05 = 5%); None with exact=False:
    shown and compared, never failing."""

    @property
    def column(self) -> str:
        """A table's header for it: the name and its unit."""
        return f"{self.name} ({self.unit})" if self.unit else self.name


def value_of(metrics: Iterable[CustomMetric], name: str) -> float | None:
    """The value of the custom metric `name` among `metrics`, None when it is not there."""
    return next((m.value for m in metrics if m.name == name), None)


def custom_names(rows: Iterable[Iterable[CustomMetric]]) -> list[CustomMetric]:
    """One metric of each name reported by any row, in order of first appearance: a table's
    custom columns."""
    seen: dict[str, CustomMetric] = {}
    for row in rows:
        for metric in row:
            seen.setdefault(metric.name, metric)
    return list(seen.values())


def throughput(
    median_ns: float, bytes_processed: int | None, items_processed: int | None
) -> str | None:
    """The work per second one op's time gives: "512.3 MB/s" (MB = 10**6 bytes, as Go's
    testing package) or "1.204e+06 items/s"; None when the benchmark set neither."""
    if median_ns <= 0:
        return None
    if bytes_processed is not None:
        return f"{bytes_processed / median_ns * 1e3:.4g} MB/s"
    if items_processed is not None:
        return f"{items_processed / median_ns * 1e9:.4g} items/s"
    return None


def custom_to_dict(m: CustomMetric) -> dict[str, object]:
    """A custom metric as JSON and TOML hold it (without its name when it is the key)."""
    out: dict[str, object] = {"value": m.value, "unit": m.unit, "better": m.better}
    out["exact"] = m.exact
    if m.tolerance is not None:
        out["tolerance"] = m.tolerance
    return out


def custom_from_dict(name: str, d: Mapping[str, object]) -> CustomMetric:
    """As custom_to_dict wrote it; the caller checked the types."""
    tolerance = d.get("tolerance")
    return CustomMetric(
        name=name,
        value=float(d["value"]),  # type: ignore[arg-type]
        unit=str(d.get("unit", "")),
        better=str(d.get("better", "lower")),
        exact=bool(d.get("exact", False)),
        tolerance=None if tolerance is None else float(tolerance),  # type: ignore[arg-type]
    )


def custom_list(metrics: Iterable[CustomMetric]) -> list[dict[str, object]]:
    """Custom metrics as a JSON list, each with its name."""
    return [{"name": m.name, **custom_to_dict(m)} for m in metrics]


def reported_from_dict(d: Mapping[str, Any]) -> dict[str, Any]:
    """A measurement's reported figures from its JSON dict, by field; absent from older
    results (read as none reported)."""
    return {
        "bytes_processed": d.get("bytes_processed"),
        "items_processed": d.get("items_processed"),
        "custom": tuple(custom_from_dict(c["name"], c) for c in d.get("custom", ())),
    }


def reported_properties(
    median_ns: float,
    bytes_processed: int | None,
    items_processed: int | None,
    custom: Iterable[CustomMetric],
) -> list[tuple[str, str]]:
    """The JUnit XML properties of what a benchmark reported: its throughput and each custom
    metric's value (perf_custom_<name>)."""
    out = []
    if median_ns > 0 and bytes_processed is not None:
        out.append(("perf_mb_per_s", f"{bytes_processed / median_ns * 1e3:.6g}"))
    if median_ns > 0 and items_processed is not None:
        out.append(("perf_items_per_s", f"{items_processed / median_ns * 1e9:.6g}"))
    out.extend((f"perf_custom_{m.name}", f"{m.value:.7g}") for m in custom)
    return out
