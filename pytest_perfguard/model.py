"""Frozen values shared by every layer: settings, measurements, runs and baselines.

What the judge concludes (verdicts, decisions, comparisons) lives in comparison.py; its names
are re-exported here, where most of the package and its tests import them from.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from pytest_perfguard.comparison import (
    NO_FRAME,
    AllocSite,
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    FunctionChange,
    MetricComparison,
    Rule,
    SiteChange,
    Verdict,
    Where,
    overall_verdict,
)
from pytest_perfguard.usermetrics import CustomMetric

__all__ = [
    "BUSY_SHARE",
    "DEFAULT_KEEP",
    "NO_FRAME",
    "AllocSite",
    "Baseline",
    "BaselineEntry",
    "BenchResult",
    "BenchSettings",
    "Caveat",
    "CaveatKind",
    "Comparison",
    "Decision",
    "Fingerprint",
    "FunctionChange",
    "FunctionCost",
    "Measurement",
    "MetricComparison",
    "PairedRun",
    "Rule",
    "RunSummary",
    "SiteChange",
    "ThreadRounds",
    "Verdict",
    "Where",
    "overall_verdict",
]


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
    scale: str | None = None
    """The parametrize argument that is the input size: the test's cases form a scaling group."""
    limit_scaling: str | None = None
    """The complexity class a scaling group may not grow faster than ("n log n")."""
    scale_tolerance: float = 0.3
    """Rise of a scaling group's log-log exponent a comparison allows."""
    bytes_processed: int | None = None
    """Marker keyword `bytes=`: bytes one op processes, for a throughput column."""
    items_processed: int | None = None
    """Marker keyword `items=`: items one op processes."""


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
class ThreadRounds:
    """One thread count of a parallel sweep: per measured round, each thread's time per op."""

    threads: int
    samples_ns: tuple[float, ...]

    @property
    def median_ns(self) -> float:
        return statistics.median(self.samples_ns)

    @property
    def ops_per_s(self) -> float:
        """Operations per second of all the threads together."""
        return self.threads * 1e9 / self.median_ns


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
    objects_per_op: float | None = None
    """Objects created per op, free-list reuse included (Python 3.13+, the allocation pass)."""
    instructions_per_op: float | None = None
    """Instructions per op counted by callgrind (--perf-instructions), from a worker session
    under valgrind."""
    instructions_env: str | None = None
    """What the instruction count depends on: the Python build, valgrind's version, the
    architecture (counts from another are not comparable exactly)."""
    bytes_processed: int | None = None
    """Bytes one op processes (`bytes=`): reports show MB/s; the verdict stays on time/op."""
    items_processed: int | None = None
    """Items one op processes (`items=`): reports show items/s."""
    custom: tuple[CustomMetric, ...] = ()
    """Numbers the benchmark reported itself (`perf.report`), judged under their own names."""
    profile: tuple[FunctionCost, ...] = ()
    """Every profiled function (the harness's own left out), by own time, largest first."""
    profile_data: bytes | None = field(default=None, repr=False)
    """The same profile as a marshalled pstats dict (absolute paths), for .pstats files."""
    threads: int | None = None
    """perf.parallel: the threads the time per op is of (per thread; None: not parallel)."""
    sweep: tuple[ThreadRounds, ...] = ()
    """perf.parallel with a sweep: each thread count's rounds, 1 first, interleaved round by
    round (the time per op is the last count's)."""
    python_build: str | None = None
    """perf.parallel: "GIL" or "free-threaded", the build whose threads were measured."""

    @property
    def ops_per_s(self) -> float | None:
        """perf.parallel: operations per second of all the threads together."""
        return None if self.threads is None else self.threads * 1e9 / self.median_ns

    sites: tuple[AllocSite, ...] = ()
    """Where the allocations were made (the sites pass), by allocs/op, largest first."""

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
    objects_per_op: float | None = None
    instructions_per_op: float | None = None
    instructions_env: str | None = None
    bytes_processed: int | None = None
    items_processed: int | None = None
    custom: tuple[CustomMetric, ...] = ()
    profile: tuple[FunctionCost, ...] | None = None
    """The top functions by own time, kept for the newest run only (to say where a later run
    regressed)."""
    threads: int | None = None
    """perf.parallel: the threads its time per op is of; ops_per_s is all of theirs."""
    ops_per_s: float | None = None
    sweep: tuple[int, ...] | None = None
    """perf.parallel with a sweep: its thread counts, 1 first."""
    efficiency: tuple[float, ...] | None = None
    """Efficiency of each count of the sweep against one thread (1.0 for 1)."""
    efficiency_rounds: tuple[float, ...] | None = None
    """Per-round efficiency at the sweep's largest count, kept for the newest run only."""
    sites: tuple[AllocSite, ...] | None = None
    """The top allocation sites by allocs/op, kept for the newest run only."""


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
    base_median_ns: float | None = None
    """The median of base's ns/op over the paired rounds, beside which head's median is shown
    (None: the base measurement's own)."""
