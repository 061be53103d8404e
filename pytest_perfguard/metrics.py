"""The one table of metric specs that schemas, codec, renderers, CLI and judges loop over."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
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


class Output(enum.Enum):
    """An output that lists metrics but leaves some out (see MetricSpec.left_out_of)."""

    BASELINE_TABLE = "baseline table"
    """`perfguard show`: the newest saved run of each benchmark."""
    BENCHMARK_JSON = "benchmark json"
    """The "perfguard" figures of each benchmark in pytest-benchmark's JSON format."""
    RUNS_TABLE = "runs table"
    """The HTML report's table of a benchmark's saved runs and this run."""


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
    label: str | None = None
    """The metric as a rule's sentence names it ("allocations"); None: its name."""
    grain: str | None = None
    """A count's grain in words: what changed code adds at least once per call ("an
    allocation"); None: one of its unit."""
    exact_field: str | None = None
    """The Measurement attribute that is False when the value is only a lower bound."""
    env_field: str | None = None
    """The Measurement (and saved run) attribute naming what the value depends on beyond the
    interpreter's version: a count from another is not compared as exact (advisory)."""
    in_every_result: bool = False
    """Whether every results document and measurement sent between processes has the key
    (False: added later, so older ones lack it and it is read as not measured)."""
    left_out_of: frozenset[Output] = frozenset()
    """Outputs that do not list it (their columns or keys were fixed before it existed); every
    other output lists every metric."""
    optional: bool = False
    """Measured only on some interpreters or with an option: its table columns are shown only
    when some benchmark has a value."""
    grain_of: str | None = None
    """A count made of another count's units (bytes: of allocations): the `field` of that
    count. Against a base measured in the same run, a count's smallest real change is one
    unit, or for such a count the base's average per unit (one average allocation's bytes)."""

    @property
    def is_bytes(self) -> bool:
        """Whether values are sizes in bytes (written with B/KiB/MiB/GiB)."""
        return self.unit == "B"

    @property
    def value_type(self) -> type:
        """The Python type of a measured value: int or float."""
        return int if self.toml_type == "integer" else float


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
        in_every_result=True,
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
        label="allocations",
        grain="an allocation",
        in_every_result=True,
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
        label="allocated bytes",
        grain="an average allocation's bytes",
        in_every_result=True,
        left_out_of=frozenset({Output.RUNS_TABLE}),
        grain_of="allocs_per_op",
    ),
    MetricSpec(
        name="objects",
        field="objects_per_op",
        unit="objects",
        kind=MetricKind.COUNT,
        column="objects/op",
        junit_property="perf_objects_per_op",
        tolerance="alloc_tolerance",
        label="objects created",
        grain="an object",
        optional=True,
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
        label="function calls",
        grain="a function call",
        left_out_of=frozenset({Output.BASELINE_TABLE, Output.BENCHMARK_JSON}),
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
        label="instructions",
        grain="an instruction",
        optional=True,
        env_field="instructions_env",
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
        label="peak memory",
        exact_field="peak_memory_exact",
        in_every_result=True,
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


def listed_in(output: Output) -> tuple[MetricSpec, ...]:
    """The metrics an output lists, in table order."""
    return tuple(m for m in METRICS if output not in m.left_out_of)


def shown(specs: Iterable[MetricSpec], rows: Iterable[object]) -> tuple[MetricSpec, ...]:
    """The columns a table of `rows` (anything with the specs' fields) shows: an optional
    metric only when some row has a value."""
    rows = list(rows)
    return tuple(
        s
        for s in specs
        if not s.optional or any(getattr(r, s.field, None) is not None for r in rows)
    )


def carried_fields() -> tuple[str, ...]:
    """Every field a measurement, an observation and a saved run hold for the metrics: each
    spec's value and its environment, where it has one."""
    own = tuple(f for s in METRICS for f in (s.field, s.env_field) if f is not None)
    return (*own, *REPORTED_FIELDS)


REPORTED_FIELDS = ("bytes_processed", "items_processed", "custom")
"""What a benchmark reports about itself (usermetrics.py), carried beside the metrics."""


def tolerances_of(source: object) -> dict[str, float]:
    """Each tolerance setting by name, as `source` (a BenchSettings, a Policy) holds it."""
    return {name: getattr(source, name) for name in TOLERANCES}
