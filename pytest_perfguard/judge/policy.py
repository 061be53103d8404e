"""What the gate is told: its policy, and the "now" side of a comparison."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_perfguard.metrics import carried_fields
from pytest_perfguard.model import (
    BUSY_SHARE,
    AllocSite,
    BenchSettings,
    FunctionCost,
    Measurement,
    RunSummary,
    Verdict,
)
from pytest_perfguard.usermetrics import CustomMetric

__all__ = ["MiB", "Observation", "Policy", "uncalled"]

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Policy:
    """How strict the gate is. Defaults are calibrated by benchmarks/simulate_verdict.py."""

    alpha: float = 0.05
    """Family-wise error rate over all time comparisons of the session (Holm)."""
    min_effect: float = 0.10
    """Minimum relative time change, used where a benchmark's own settings are not at hand."""
    strict: bool = False
    """Time verdicts count even across a different CPU model or Python version, or when the
    machine was busy with other processes."""
    warn_only: bool = False
    """Every verdict is advisory: reported, never failing."""
    min_runs: int = 3
    """Saved runs needed to estimate run-to-run variation; with fewer only large effects fail."""
    large_effect: float = 0.50
    """With fewer than min_runs saved runs, time fails only beyond max(min_effect, this)."""
    drift_floor: tuple[float, float] = (0.20, 0.05)
    """(raw, reference-corrected) smallest run-to-run sd (log) ever assumed. Saved runs taken
    minutes apart understate the drift between sessions: the design measured 18-38% between runs
    in raw time and 5-17% reference-corrected, and A/A sessions here failed C-heavy sorting on
    time when its five saved runs happened to agree within a few percent. Where the saved runs
    show (at `confidence`) a variance below the floor, the floor is tested as known."""
    assumed_drift: float = 0.50
    """Run-to-run sd (log) assumed with fewer than min_runs saved runs: the worst measured."""
    alloc_tolerance: float = 0.0
    """Relative rise of allocs/op and B/op allowed beyond what the saved runs counted, used
    where a benchmark's own settings are not at hand (a baseline compared offline). Counts are
    exact, so by default any rise is real."""
    calls_tolerance: float = 0.0
    """Relative rise of calls/op allowed, where a benchmark's own settings are not at hand."""
    instructions_tolerance: float = BenchSettings().instructions_tolerance
    """Relative rise of instructions/op allowed, where a benchmark's own settings are not at
    hand."""
    memory_tolerance: tuple[float, float] = (4.0 * MiB, 0.10)
    """Peak memory under a few MiB is allocator arenas and reused pages: an A/A run of the GC
    example jumped by over 1 MiB once in 10 runs, so the floor is 4 MiB."""
    confidence: float = 0.95
    """Confidence of the reported change intervals (uncorrected, as benchstat's)."""
    ab_min_effect: float = 0.03
    """Minimum relative time change in same-job A/B (--perf-compare-ref), where no
    min_effect is set: see the README's A/A figures."""
    ab_process_sd: float = 0.02
    """sd (log) of the systematic difference between two processes of identical code (code
    layout, allocator state), measured by A/A runs of benchmarks/ab_figures.py with one process
    pair: no number of rounds averages it away. With one process pair it widens every A/B
    interval; with several, it is the prior their measured spread updates."""
    ab_prior_df: float = 4.0
    """How many process pairs' worth of evidence `ab_process_sd` counts as (judge/grouped.py)."""
    busy_share: float = BUSY_SHARE
    """Time is advisory (unless strict) when other processes took more of the machine than
    this while it was timed: no saved run shows what another job does to it."""


@dataclass(frozen=True, slots=True)
class Observation:
    """The "now" side: a fresh Measurement or the newest run of another baseline file."""

    median_ns: float
    ref_ratio: float | None = None
    samples_ns: tuple[float, ...] = ()
    ref_ratios: tuple[float, ...] = ()
    allocs_per_op: float | None = None
    bytes_per_op: float | None = None
    peak_memory_bytes: int | None = None
    others_cpu: float | None = None
    tracers: tuple[str, ...] = ()
    calls_per_op: float | None = None
    objects_per_op: float | None = None
    instructions_per_op: float | None = None
    instructions_env: str | None = None
    bytes_processed: int | None = None
    items_processed: int | None = None
    custom: tuple[CustomMetric, ...] = ()
    loops: int | None = None
    """Calls per round, also the calls of each counting window (None: not known)."""
    profile: tuple[FunctionCost, ...] = ()
    """Profiled functions, for a regression's "where" (a saved run keeps its top ones)."""
    sites: tuple[AllocSite, ...] = ()
    """Allocation sites, for an allocation or memory regression's "where"."""

    @classmethod
    def from_measurement(cls, m: Measurement) -> Observation:
        return cls(
            ref_ratio=m.ref_ratio,
            samples_ns=m.samples_ns,
            ref_ratios=m.ref_ratios,
            others_cpu=m.others_cpu,
            tracers=m.tracers,
            profile=m.profile,
            sites=m.sites,
            loops=m.loops,
            **_metrics(m),
        )

    @classmethod
    def from_run(cls, r: RunSummary) -> Observation:
        return cls(
            ref_ratio=r.ref_ratio,
            samples_ns=r.samples_ns or (),
            ref_ratios=r.ref_ratios or (),
            profile=r.profile or (),
            sites=r.sites or (),
            loops=r.loops,
            **_metrics(r),
        )


def _metrics(figures: Measurement | RunSummary) -> dict[str, Any]:
    """Every metric's value and environment, by field (Observation, Measurement and RunSummary
    share them)."""
    return {name: getattr(figures, name) for name in carried_fields()}


def uncalled(interval: tuple[float, float] | None) -> Verdict:
    """The verdict of a change the rule did not call: UNCHANGED only when its interval contains
    zero; an interval clear of zero is INCONCLUSIVE (a change this run cannot call)."""
    if interval is not None and (interval[0] > 0 or interval[1] < 0):
        return Verdict.INCONCLUSIVE
    return Verdict.UNCHANGED
