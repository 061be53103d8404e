"""The efficiency of a parallel sweep: its estimate from rounds, and its verdict against saved
runs, both by the time statistics.

Efficiency at N threads is ops/s at N over N x ops/s at 1, which is one thread's time per op
over each of N threads' (t1 / tN). Its rounds interleave, so per round tN / t1 is a ratio of two
times measured side by side: estimated as paired A/B time ratios are (`judge.paired`), and
judged against saved runs as time is (`judge.verdict`), a drop in efficiency being a rise of
tN / t1. Being a ratio of one machine's own figures, it compares across machines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pytest_perfguard.judge.paired import paired_estimate
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.verdict import compare_benchmark
from pytest_perfguard.model import (
    BaselineEntry,
    Comparison,
    Measurement,
    MetricComparison,
    RunSummary,
    ThreadRounds,
    Verdict,
    overall_verdict,
)

__all__ = [
    "Efficiency",
    "efficiency_comparison",
    "efficiency_rounds",
    "estimate",
    "saved_figures",
    "sweep_estimates",
    "with_efficiency",
]


@dataclass(frozen=True, slots=True)
class Efficiency:
    """One thread count of a sweep against one thread."""

    threads: int
    efficiency: float
    """ops/s at `threads` / (threads x ops/s at 1): 1.0 scales perfectly, 1/threads not at all."""
    interval: tuple[float, float]
    rounds: int

    @property
    def speedup(self) -> float:
        """ops/s at `threads` over ops/s at 1."""
        return self.threads * self.efficiency


def efficiency_rounds(one: ThreadRounds, many: ThreadRounds) -> tuple[float, ...]:
    """Per measured round, one thread's time per op over each of `many` threads' (t1 / tN)."""
    return tuple(
        a / b for a, b in zip(one.samples_ns, many.samples_ns, strict=True) if a > 0 and b > 0
    )


def _inverse(x: float) -> float:
    return 1 / (1 + x) if x > -1 else math.inf


def estimate(rounds: Sequence[float], threads: int, confidence: float = 0.95) -> Efficiency:
    """The efficiency of per-round values (t1 / tN) and its interval: the paired estimate of
    the log ratios tN / t1, as A/B estimates head / base."""
    est = paired_estimate([1 / e for e in rounds], confidence)
    lo, hi = est.interval
    return Efficiency(threads, _inverse(est.change), (_inverse(hi), _inverse(lo)), est.n)


def sweep_estimates(m: Measurement, confidence: float = 0.95) -> tuple[Efficiency, ...]:
    """Each count of a measurement's sweep after the first (1 thread), against it."""
    if len(m.sweep) < 2:
        return ()
    one = m.sweep[0]
    return tuple(
        estimate(efficiency_rounds(one, t), t.threads, confidence)
        for t in m.sweep[1:]
        if efficiency_rounds(one, t)
    )


def saved_figures(m: Measurement, thin: Any = tuple) -> dict[str, Any]:
    """What a saved run keeps of a parallel measurement: threads and ops/s, and for a sweep
    its counts, each one's efficiency, and the largest count's rounds (thinned by `thin`)."""
    if m.threads is None:
        return {}
    figures: dict[str, Any] = {"threads": m.threads, "ops_per_s": m.ops_per_s}
    found = sweep_estimates(m)
    if found and len(found) == len(m.sweep) - 1:
        figures["sweep"] = tuple(t.threads for t in m.sweep)
        figures["efficiency"] = (1.0, *(e.efficiency for e in found))
        figures["efficiency_rounds"] = thin(efficiency_rounds(m.sweep[0], m.sweep[-1]))
    return figures


def _as_time(efficiency: float, rounds: Sequence[float]) -> RunSummary:
    """A saved run whose time is tN / t1, for the time verdict."""
    inverse = tuple(1 / e for e in rounds) or None
    return RunSummary(
        timestamp="",
        median_ns=1 / efficiency,
        ref_ratio=1 / efficiency,
        reference_ns=None,
        rounds=len(rounds) or 1,
        loops=1,
        samples_ns=inverse,
        ref_ratios=inverse,
    )


def efficiency_comparison(
    runs: Sequence[RunSummary],
    now: Measurement,
    policy: Policy,
    *,
    min_effect: float,
    family: int = 1,
) -> MetricComparison | None:
    """The sweep's efficiency at its largest count against the saved runs that measured the
    same sweep: "regressed" when it dropped beyond `min_effect` with the interval clear, as
    the time verdict decides for tN / t1 (None when nothing compares)."""
    found = sweep_estimates(now)
    if not found or len(found) != len(now.sweep) - 1:
        return None
    counts = tuple(t.threads for t in now.sweep)
    # (level at the largest count, newest-run rounds) of each saved run of the same sweep
    saved = [
        (r.efficiency[-1], r.efficiency_rounds) for r in runs if r.sweep == counts and r.efficiency
    ]
    if not saved:
        return None
    levels = [_as_time(level, ()) for level, _ in saved[:-1]]
    entry = BaselineEntry("efficiency", None, (*levels, _as_time(saved[-1][0], saved[-1][1] or ())))
    rounds = efficiency_rounds(now.sweep[0], now.sweep[-1])
    level = found[-1].efficiency
    observed = Observation(
        median_ns=1 / level,
        ref_ratio=1 / level,
        samples_ns=tuple(1 / e for e in rounds),
        ref_ratios=tuple(1 / e for e in rounds),
        others_cpu=now.others_cpu,
        tracers=now.tracers,
    )
    judged = compare_benchmark(entry, observed, policy, min_effect=min_effect, family=family)
    time = next(m for m in judged.metrics if m.metric == "time")
    lo, hi = time.interval or (math.nan, math.nan)
    return replace(
        time,
        metric=f"efficiency at {counts[-1]} threads",
        baseline=1 / time.baseline if time.baseline > 0 else math.nan,
        current=level,
        change=_inverse(time.change) - 1,
        interval=None if time.interval is None else (_inverse(hi) - 1, _inverse(lo) - 1),
    )


def with_efficiency(
    comparison: Comparison,
    entry: BaselineEntry | None,
    now: Measurement,
    policy: Policy,
    *,
    min_effect: float,
    family: int = 1,
) -> Comparison:
    """A benchmark's comparison with its sweep's efficiency verdict added, where its saved
    runs measured the same sweep."""
    if entry is None or not comparison.metrics or comparison.verdict is Verdict.NEW:
        return comparison
    metric = efficiency_comparison(entry.runs, now, policy, min_effect=min_effect, family=family)
    if metric is None:
        return comparison
    metrics = (*comparison.metrics, metric)
    return replace(comparison, metrics=metrics, verdict=overall_verdict(metrics))
