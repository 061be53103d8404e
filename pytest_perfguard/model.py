"""Frozen values shared by every layer: settings, measurements, baselines, comparisons."""

from __future__ import annotations

import enum
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class BenchSettings:
    """How one benchmark is measured and judged, after precedence was resolved."""

    max_time: float = 0.5
    """Seconds for the whole measurement of one benchmark (warm-up and calibration included)."""
    min_rounds: int = 5
    warmup: int = 3
    """Calls before calibration; at least 3 (the 1st call is 2.6-3.4x steady, the 3rd within 3%)."""
    memory: bool = True
    allocations: bool = True
    min_effect: float = 0.10
    """Smallest relative slowdown that may fail a time comparison (0.10 = 10%)."""
    alloc_tolerance: float = 0.0
    """Relative rise of allocs/op and B/op allowed beyond the saved runs' counts (0 = exact)."""
    profile: bool = True
    """Run the profiling pass: function calls per op and where the time goes."""
    calls_tolerance: float = 0.0
    """Relative rise of calls/op allowed beyond the saved runs' counts (0 = exact, 10 = off)."""
    instructions: bool = False
    """Count instructions per op in the valgrind pass (--perf-instructions)."""
    instructions_tolerance: float = 0.002
    """Relative rise of instructions/op allowed beyond the saved runs' counts."""
    limit_time_ns: float | None = None
    limit_memory_bytes: int | None = None
    limit_allocs: float | None = None
    group: str | None = None


DEFAULT_KEEP = 5
"""Runs kept per benchmark in a baseline: enough to estimate run-to-run variation, few enough
to review."""

BUSY_SHARE = 0.25
"""Above this share of the machine taken by other processes, time figures are not judged."""


@dataclass(frozen=True, slots=True)
class FunctionCost:
    """One function of a benchmark's profile, per op of the benchmark."""

    file: str
    """Shortened: relative to the longest sys.path entry holding it ("~" for built-ins)."""
    line: int
    function: str
    calls_per_op: float
    own_ns: float
    """Time per op inside the function itself (profiled: inflated by the profiler's cost)."""
    cumulative_ns: float | None = None
    """Time per op inside it and what it called (None where not kept: a saved profile)."""

    @property
    def where(self) -> str:
        """file:line(function), as pstats prints it."""
        return f"{self.file}:{self.line}({self.function})"


@dataclass(frozen=True, slots=True)
class Measurement:
    """What one benchmark measured in one run. Per-op figures are per call of the target."""

    median_ns: float
    """Median over rounds of ns per op."""
    spread_ns: float
    """Robust spread of the per-round ns/op: the median absolute deviation."""
    rounds: int
    loops: int
    """Calls per round."""
    samples_ns: tuple[float, ...]
    """Per-round ns/op, in the order measured."""
    ref_ratios: tuple[float, ...]
    """Per round: ns/op divided by the ns/unit of the interleaved reference round next to it."""
    reference_ns: float
    """Median ns per reference unit during the run: how fast the machine was."""
    gc_collections_per_op: float
    allocs_per_op: float | None = None
    bytes_per_op: float | None = None
    retained_blocks_per_op: float | None = None
    peak_memory_bytes: int | None = None
    peak_memory_exact: bool = True
    """False when the peak is a lower bound (no procfs high-water mark)."""
    notes: tuple[str, ...] = ()
    """Honest remarks: too fast for the clock, budget too small, tracer active, fallbacks."""
    others_cpu: float | None = None
    """Share (0..1) of the machine's CPU time other processes took during the timing pass."""
    tracers: tuple[str, ...] = ()
    """Tracers and profilers active while measuring (coverage, a debugger): every figure is
    inflated, so no verdict on this measurement may fail a test."""
    calls_per_op: float | None = None
    """Function calls per op (Python functions and built-ins called), from the profiling pass."""
    instructions_per_op: float | None = None
    """Instructions per op counted by callgrind (--perf-instructions), from a worker session
    under valgrind."""
    profile: tuple[FunctionCost, ...] = ()
    """Every profiled function (the harness's own left out), by own time, largest first."""
    profile_data: bytes | None = field(default=None, repr=False)
    """The same profile as a marshalled pstats dict (absolute paths), for .pstats files."""

    @property
    def ref_ratio(self) -> float | None:
        """Median of the per-round reference ratios, or None when no reference ran."""
        return statistics.median(self.ref_ratios) if self.ref_ratios else None


@dataclass(frozen=True, slots=True)
class BenchResult:
    """A measured benchmark with the identity it is stored and reported under."""

    nodeid: str
    group: str | None
    measurement: Measurement
    settings: BenchSettings = field(default_factory=BenchSettings)
    location: tuple[str, int] | None = None
    """(path relative to rootdir, 1-based line) of the test function, for annotations."""


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The environment a run was measured in."""

    python_implementation: str
    python_version: str
    """major.minor.micro"""
    os: str
    arch: str
    cpu_model: str
    cpu_count: int
    perfguard_version: str
    machine: str = ""
    """The machine measured on: a name the user gave, or the host's identity ("host-..."); ""
    when not recorded (a baseline saved before perfguard recorded machines)."""
    hosted: str = ""
    """The hosted CI service the run was a job of, with no machine named ("" otherwise): each
    such job may run on another VM."""

    @property
    def python_minor(self) -> str:
        return ".".join(self.python_version.split(".")[:2])


@dataclass(frozen=True, slots=True)
class RunSummary:
    """One run of one benchmark as kept in the baseline file."""

    timestamp: str
    """ISO 8601, UTC."""
    median_ns: float
    ref_ratio: float | None
    reference_ns: float | None
    rounds: int
    loops: int
    allocs_per_op: float | None = None
    bytes_per_op: float | None = None
    peak_memory_bytes: int | None = None
    samples_ns: tuple[float, ...] | None = None
    """Raw per-round ns/op of this run, kept for the newest run only."""
    ref_ratios: tuple[float, ...] | None = None
    """Raw per-round reference ratios of this run, kept for the newest run only."""
    calls_per_op: float | None = None
    instructions_per_op: float | None = None
    profile: tuple[FunctionCost, ...] | None = None
    """The top functions by own time, kept for the newest run only (to say where a later run
    regressed)."""


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    """Everything the baseline file keeps for one benchmark: its last runs, oldest first."""

    nodeid: str
    group: str | None
    runs: tuple[RunSummary, ...]
    python_version: str = ""
    """major.minor of the newest run, so deterministic counts compare only like with like."""
    machine: str = ""
    """The machine its runs were measured on (all of them: saving on another machine starts
    the benchmark's runs again); "" where the file predates machines."""


@dataclass(frozen=True, slots=True)
class Baseline:
    """The baseline file: a fingerprint and one entry per benchmark node id."""

    fingerprint: Fingerprint | None
    entries: dict[str, BaselineEntry]


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
    """One metric (time, allocs, bytes, memory) of one benchmark, baseline against now."""

    metric: str
    """"time", "allocs", "bytes" or "memory"."""
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


@dataclass(frozen=True, slots=True)
class Where:
    """Where a regression happened: the functions whose own time per op and whose calls per
    op changed most, base against head."""

    by_time: tuple[FunctionChange, ...]
    by_calls: tuple[FunctionChange, ...]
    base: str
    """Which base was profiled: the saved run's timestamp, or REF as given with its commit."""
    live: bool = False
    """True: the base revision measured in this run (A/B); False: the newest saved run."""


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


@dataclass(frozen=True, slots=True)
class PairedRun:
    """One benchmark measured against the base revision in the same run (A/B)."""

    ref: str
    """REF as given, with its short commit id: "main (1a2b3c4d5e6f)"."""
    ratios: tuple[float, ...]
    """Per pair of rounds: head's time per op over base's."""
    base: Measurement | None
    """The base side's measurement (its allocation and memory passes included)."""
    base_error: str | None = None
    """Why there is nothing to compare: the base test failed, or measured nothing."""
    groups: tuple[int, ...] = ()
    """Per pair: which pair of worker processes ran it (empty: all the same pair)."""
