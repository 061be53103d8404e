"""What the judge concludes: verdicts, the rules and caveats behind them, comparisons."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class Verdict(enum.Enum):
    """What a comparison concluded for one benchmark (or one metric of it)."""

    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    """No change shown: the interval (where there is one) contains zero."""
    INCONCLUSIVE = "inconclusive"
    """Time only: the interval excludes zero, but the rule (significance after correction,
    the minimum effect) cannot call it a regression or an improvement. Never fails."""
    NEW = "new"
    MISSING = "missing"
    NOT_COMPARABLE = "not comparable"


class Rule(enum.Enum):
    """Which rule decided: report/rules.py words each kind from its decision's numbers.

    Count rules are generic over the metric (allocs, bytes, calls): the metric's name and unit
    come with the decision, so a new deterministic count needs no new kind.
    """

    TIME_UNUSABLE = "time_unusable"
    """No usable time in the baseline or now."""
    TIME_SAVED_RUNS = "time_saved_runs"
    """Enough saved runs to estimate run-to-run variation: the predictive test."""
    TIME_FEW_RUNS = "time_few_runs"
    """Too few saved runs: only large effects, on both scales, with a within-run U test."""
    TIME_PAIRED = "time_paired"
    """Same-job A/B: paired rounds with the base revision."""
    COUNT_EXACT = "count_exact"
    """A deterministic count against saved runs that agree."""
    COUNT_VARYING = "count_varying"
    """A count against saved runs that disagree (threads): their range is allowed."""
    COUNT_PAIRED = "count_paired"
    """A count against the base revision measured in this run."""
    MEMORY_SAVED = "memory_saved"
    """Peak memory against the saved runs' median, within a tolerance."""
    MEMORY_PAIRED = "memory_paired"
    """Peak memory against the base revision measured in this run."""
    CUSTOM = "custom"
    """A metric the benchmark reported (perf.report): exact, within its tolerance, or shown
    only (texts: unit, better, how)."""
    NO_BASELINE_ENTRY = "no_baseline_entry"
    """A whole benchmark: nothing saved to compare with (NEW); with texts["ref"], a benchmark
    the base revision does not have (A/B)."""
    NOT_MEASURED = "not_measured"
    """A whole benchmark: saved, but not measured by a complete run (MISSING)."""
    NO_BASE_MEASUREMENT = "no_base_measurement"
    """A whole benchmark in A/B: the base side measured nothing usable (texts: ref, error)."""
    NOT_PAIRED = "not_paired"
    """A whole benchmark in A/B that both sides have, measured without the paired timing pass
    (texts: ref, why): not comparable, and not in the family of time comparisons."""
    RECORDED = "recorded"
    """Read from a results document written before decisions were stored: texts["rule"] is
    the wording it had, and there are no numbers."""


class CaveatKind(enum.Enum):
    """Why a decision may be advisory: something about how or where it was measured."""

    ENVIRONMENT = "environment"
    """Environments differ (texts: what, old, new; what "environment": none recorded)."""
    NO_ENVIRONMENT = "no_environment"
    """The compared run records no environment."""
    INTERPRETER = "interpreter"
    """Counts from another interpreter version (texts: old, now)."""
    BUSY = "busy"
    """Other processes took a share of the machine (numbers: share, 0..1)."""
    TRACER = "tracer"
    """A tracer or profiler was active while measuring (texts: tracers)."""
    AB_TRACER = "ab_tracer"
    """A/B: a tracer or profiler was active on either side (texts: tracers)."""
    HOSTED_CI = "hosted_ci"
    """This run is a job of a hosted CI service and names no machine (texts: service)."""
    AB_PROCESSES = "ab_processes"
    """A/B time: one process per side cannot tell a change from process-to-process variation."""


@dataclass(frozen=True, slots=True)
class Caveat:
    """One caveat with the facts it names."""

    kind: CaveatKind
    numbers: Mapping[str, float] = field(default_factory=dict)
    texts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """Which rule decided and the numbers it used; report/rules.py words it."""

    rule: Rule
    numbers: Mapping[str, float] = field(default_factory=dict)
    """Named figures of the rule; an absent optional one (a p-value) is left out."""
    texts: Mapping[str, str] = field(default_factory=dict)
    """Names the rule used that are not numbers: the metric's unit, a revision, a scale."""
    caveats: tuple[Caveat, ...] = ()
    counted: bool = False
    """The caveats did not make the verdict advisory (--perf-strict)."""


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric (time, allocs, bytes, calls, memory) of one benchmark, baseline against now."""

    metric: str
    """Its name in the metric table (metrics.py): "time", "allocs", "bytes", "calls", ..."""
    baseline: float
    current: float
    change: float
    """Relative change, current / baseline - 1."""
    interval: tuple[float, float] | None
    """Confidence interval of the relative change, where one can be given."""
    p_value: float | None
    verdict: Verdict
    decision: Decision
    """The rule that decided and its numbers; report/rules.py words it for the user."""
    detectable: float | None = None
    """Smallest relative regression this benchmark can detect here (time only)."""
    advisory: bool = False
    """Reported but never failing (different CPU or Python, or warn-only)."""


def overall_verdict(metrics: Sequence[MetricComparison]) -> Verdict:
    """A benchmark's verdict from its metrics': the worst of them."""
    found = {m.verdict for m in metrics}
    for verdict in (Verdict.REGRESSED, Verdict.IMPROVED, Verdict.INCONCLUSIVE, Verdict.UNCHANGED):
        if verdict in found:
            return verdict
    return Verdict.NOT_COMPARABLE


@dataclass(frozen=True, slots=True)
class FunctionChange:
    """One function's change between two profiles, per op (0 where a side lacks it)."""

    file: str
    line: int
    function: str
    base_calls: float
    head_calls: float
    base_own_ns: float
    head_own_ns: float

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}({self.function})"


NO_FRAME = "<no Python frame>"
"""The site of allocations with no Python frame of the benchmark's to name: made with no
frame, without the GIL, or by C code perfguard's own loop called directly."""


def site_name(file: str, line: int, function: str) -> str:
    """An allocation site as the reports name it: "lib.py:17(work)", or NO_FRAME alone."""
    return function if function == NO_FRAME else f"{file}:{line}({function})"


@dataclass(frozen=True, slots=True)
class AllocSite:
    """Where allocations were made, per op: one line of one function (NO_FRAME: none)."""

    file: str
    """Shortened like a profile's ("" for NO_FRAME)."""
    line: int
    function: str
    """The qualified name (the code object's co_qualname), or NO_FRAME."""
    allocs: float
    """Allocations per op."""
    nbytes: float
    """Bytes per op."""
    objects: float | None = None
    """Objects created per op (3.13+, free-list reuse included); None where not counted."""

    @property
    def where(self) -> str:
        return site_name(self.file, self.line, self.function)


@dataclass(frozen=True, slots=True)
class SiteChange:
    """One allocation site's change between two site tables, per op (0 where a side lacks it)."""

    file: str
    line: int
    function: str
    base_allocs: float
    head_allocs: float
    base_bytes: float
    head_bytes: float
    base_objects: float | None = None
    head_objects: float | None = None
    """Objects created per op (3.13+); None where a side did not count them."""

    @property
    def where(self) -> str:
        return site_name(self.file, self.line, self.function)


@dataclass(frozen=True, slots=True)
class Where:
    """Where a regression happened: the functions whose own time per op and whose calls per
    op changed most, base against head; for an allocation or memory regression, the
    allocation sites whose allocations and bytes per op changed most."""

    by_time: tuple[FunctionChange, ...]
    by_calls: tuple[FunctionChange, ...]
    base: str
    """Which base was profiled: the saved run's timestamp, or REF as given with its commit."""
    live: bool = False
    """True: the base revision measured in this run (A/B); False: the newest saved run."""
    sites_by_allocs: tuple[SiteChange, ...] = ()
    sites_by_bytes: tuple[SiteChange, ...] = ()
    sites_by_objects: tuple[SiteChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict for one benchmark: the worst of its metrics."""

    nodeid: str
    group: str | None
    verdict: Verdict
    metrics: tuple[MetricComparison, ...] = ()
    notes: tuple[str, ...] = ()
    """Remarks worded outside the judge (an A/B benchmark new to this revision)."""
    reason: Decision | None = None
    """Why the whole benchmark has no metrics (NEW, MISSING, not comparable), as decided."""
    where: Where | None = None
    """For a regression with a profile on both sides: where it happened."""

    @property
    def failing(self) -> tuple[MetricComparison, ...]:
        """Metrics that regressed and are not advisory: these fail the test."""
        return tuple(m for m in self.metrics if m.verdict is Verdict.REGRESSED and not m.advisory)
