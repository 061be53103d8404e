"""The one table of metric specs that schemas, codec, renderers, CLI and judges loop over."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class MetricKind(enum.Enum):
    """How a metric is measured, and so how it is judged and formatted."""

    TIME = "time"
    """Noisy: judged by statistics over rounds and runs."""
    COUNT = "count"
    """Exact per op (allocations, bytes, calls): judged against the runs' counts plus a
    tolerance."""
    MEMORY = "memory"
    """A per-benchmark peak in bytes: judged against a floor and a share."""


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One metric: the names it goes by in every layer, its unit and how it is kept."""

    name: str
    """As comparisons and the JSON name it: "time", "allocs", ..."""
    field: str
    """The per-op attribute of Measurement and RunSummary, also the key in the baseline's runs
    and in the JSON measurement: "median_ns", "allocs_per_op", ..."""
    unit: str
    """What one unit of the value is: "ns", "B", or what is counted."""
    kind: MetricKind
    column: str
    """The column header of the terminal and Markdown tables: "time/op", "allocs/op", ..."""
    junit_property: str
    """The JUnit XML property holding the measured value."""
    tolerance: str | None = None
    """The BenchSettings and Policy attribute giving a count's relative tolerance, if any."""
    toml_type: str = "number"
    """How the baseline file holds the value: "number" or "integer"."""
    toml_digits: int = 7
    """Significant digits the baseline keeps (0 for integers): counts get 7, so tolerances
    decide, not rounding."""
    toml_after: str | None = None
    """The run key it follows in the baseline file; None: after every other, before the
    profile (where a new metric goes, so older files keep their layout)."""
    opt_in: bool = False
    """Measured only when asked for (--perf-instructions): tables leave its column out when
    nothing has it."""

    @property
    def is_bytes(self) -> bool:
        """Whether values are sizes in bytes (written with B/KiB/MiB/GiB)."""
        return self.unit == "B"


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="time",
        field="median_ns",
        unit="ns",
        kind=MetricKind.TIME,
        column="time/op",
        junit_property="perf_median_ns",
        toml_digits=5,
        toml_after="timestamp",
    ),
    MetricSpec(
        name="allocs",
        field="allocs_per_op",
        unit="allocations",
        kind=MetricKind.COUNT,
        column="allocs/op",
        junit_property="perf_allocs_per_op",
        tolerance="alloc_tolerance",
        toml_after="loops",
    ),
    MetricSpec(
        name="bytes",
        field="bytes_per_op",
        unit="B",
        kind=MetricKind.COUNT,
        column="B/op",
        junit_property="perf_bytes_per_op",
        tolerance="alloc_tolerance",
        toml_after="allocs_per_op",
    ),
    MetricSpec(
        name="calls",
        field="calls_per_op",
        unit="calls",
        kind=MetricKind.COUNT,
        column="calls/op",
        junit_property="perf_calls_per_op",
        tolerance="calls_tolerance",
        toml_after="ref_ratios",
    ),
    MetricSpec(
        name="instructions",
        field="instructions_per_op",
        unit="instructions",
        kind=MetricKind.COUNT,
        column="instr/op",
        junit_property="perf_instructions_per_op",
        tolerance="instructions_tolerance",
        toml_after="calls_per_op",
        opt_in=True,
    ),
    MetricSpec(
        name="memory",
        field="peak_memory_bytes",
        unit="B",
        kind=MetricKind.MEMORY,
        column="peak mem",
        junit_property="perf_peak_memory_bytes",
        toml_type="integer",
        toml_digits=0,
        toml_after="bytes_per_op",
    ),
)
"""Every metric, in the order comparisons, tables and JSON list them."""

BY_NAME: Mapping[str, MetricSpec] = MappingProxyType({spec.name: spec for spec in METRICS})
"""The spec of each metric name."""

COUNT_METRICS: tuple[MetricSpec, ...] = tuple(m for m in METRICS if m.kind is MetricKind.COUNT)
"""The exact-count metrics, judged against the runs' counts and a tolerance."""

TOLERANCES: Mapping[str, tuple[MetricSpec, ...]] = MappingProxyType(
    {
        name: tuple(m for m in METRICS if m.tolerance == name)
        for name in dict.fromkeys(m.tolerance for m in METRICS if m.tolerance is not None)
    }
)
"""Each tolerance setting, in table order, with the metrics it applies to."""
