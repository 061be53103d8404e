"""The A/B verdict of one benchmark: time from the rounds paired with the base revision in
this run, allocations and peak memory from each side's own passes."""

from __future__ import annotations

import math
from dataclasses import replace

from pytest_perfguard.judge.grouped import ProcessPrior, grouped_estimate
from pytest_perfguard.judge.paired import (
    paired_estimate,
    paired_time_metric,
    with_process_variance,
)
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.judge.where import diff_profiles
from pytest_perfguard.model import (
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    Measurement,
    MetricComparison,
    PairedRun,
    Rule,
    Verdict,
    overall_verdict,
)

__all__ = ["compare_paired", "not_paired", "pairs_usable"]

ADVISORY_TIME = Caveat(CaveatKind.AB_PROCESSES)
"""Why A/B time verdicts over one process pair (--perf-ab-processes 1) are advisory unless
strict: A/A runs of benchmarks/ab_figures.py failed unchanged C-heavy benchmarks (json, regex,
zlib) in 4 of 10 runs under the paired rule."""


def _count_metric(
    metric: str,
    unit: str,
    base: float | None,
    head: float | None,
    tolerance: float,
    ref: str,
    grain: float,
) -> MetricComparison | None:
    """Deterministic counts, both measured now: a change per op of half a `grain` (one
    allocation, or one average allocation's bytes) or more, beyond `tolerance` (relative), is
    real. Each side counts its own calibrated number of calls, so a one-time allocation
    falling in one side's window shows as a fraction of an allocation per op; a change in the
    code allocates at least one more per call."""
    if base is None or head is None:
        return None
    limit = tolerance * base + grain / 2
    delta = head - base
    verdict = Verdict.UNCHANGED
    if delta >= limit:
        verdict = Verdict.REGRESSED
    elif delta <= -limit:
        verdict = Verdict.IMPROVED
    change = delta / base if base else (0.0 if delta == 0 else math.inf)
    numbers = {"grain": grain, "tolerance": tolerance, "limit": limit}
    decision = Decision(Rule.COUNT_PAIRED, numbers, {"unit": unit, "ref": ref})
    return MetricComparison(metric, base, head, change, None, None, verdict, decision)


def _memory_metric(
    base: int | None, head: int | None, tolerance: tuple[float, float], ref: str
) -> MetricComparison | None:
    if base is None or head is None:
        return None
    limit = max(tolerance[0], tolerance[1] * base)
    delta = head - base
    verdict = Verdict.UNCHANGED
    if delta > limit:
        verdict = Verdict.REGRESSED
    elif delta < -limit:
        verdict = Verdict.IMPROVED
    change = delta / base if base else (0.0 if delta == 0 else math.inf)
    numbers = {"floor_bytes": tolerance[0], "share": tolerance[1]}
    decision = Decision(Rule.MEMORY_PAIRED, numbers, {"ref": ref})
    return MetricComparison("memory", base, head, change, None, None, verdict, decision)


def pairs_usable(paired: PairedRun) -> bool:
    """Whether a benchmark's pairing gave what a time verdict needs: a base measurement, no
    error on either side and at least two pairs of rounds."""
    return paired.base is not None and paired.base_error is None and len(paired.ratios) >= 2


def not_paired(nodeid: str, group: str | None, ref: str, why: str) -> Comparison:
    """A benchmark both sides have whose measurement did not take the paired timing pass
    (`why`): not comparable, never "new"; it is left out of the family of time comparisons."""
    reason = Decision(Rule.NOT_PAIRED, texts={"ref": ref, "why": why})
    return Comparison(nodeid, group, Verdict.NOT_COMPARABLE, reason=reason)


def compare_paired(
    nodeid: str,
    group: str | None,
    head: Measurement,
    paired: PairedRun,
    policy: Policy,
    *,
    family: int,
    min_effect: float,
    alloc_tolerance: float = 0.0,
    calls_tolerance: float = 0.0,
) -> Comparison:
    """Head against the base revision measured in this run. Time: the paired rounds' estimate,
    Bonferroni-corrected over the `family` of paired benchmarks, with the variation between
    processes (measured over the process pairs that ran the rounds, pooled with the policy's
    A/A prior), beyond `min_effect`. Counts: exact unless `alloc_tolerance`
    (allocations, bytes) or `calls_tolerance` (function calls). A regression carries "where":
    both sides' profiles diffed.
    Without a base measurement or pairs the benchmark is not comparable, with the reason."""
    base = paired.base
    if base is None or not pairs_usable(paired):
        texts = {"ref": paired.ref}
        if paired.base_error:
            texts["error"] = paired.base_error  # worded where the base side failed
        reason = Decision(Rule.NO_BASE_MEASUREMENT, texts=texts)
        return Comparison(nodeid, group, Verdict.NOT_COMPARABLE, reason=reason)
    prior = ProcessPrior(policy.ab_process_sd, policy.ab_prior_df)
    if paired.groups:
        estimate = grouped_estimate(paired.ratios, paired.groups, prior, policy.confidence)
    else:
        estimate = with_process_variance(
            paired_estimate(paired.ratios, policy.confidence), prior.sd, policy.confidence
        )
    family = max(1, family)
    p_adj = min(1.0, estimate.p * family)
    # One process pair cannot tell a change from the difference between two processes.
    caveat = None if paired.groups else ADVISORY_TIME
    tracer = None
    if head.tracers or base.tracers:
        tracers = ", ".join(head.tracers or base.tracers)
        tracer = caveat = Caveat(CaveatKind.AB_TRACER, texts={"tracers": tracers})
    time = paired_time_metric(
        base.median_ns, head.median_ns, estimate, p_adj, family, "Bonferroni", policy,
        min_effect, 0.0, paired.ref, () if caveat is None else (caveat,),
    )  # fmt: skip
    allocs, nbytes = base.allocs_per_op, base.bytes_per_op
    mean_size = nbytes / allocs if allocs and nbytes is not None else 1.0
    others = [
        _count_metric("allocs", "allocs/op", allocs, head.allocs_per_op, alloc_tolerance,
                      paired.ref, 1.0),
        _count_metric("bytes", "B/op", nbytes, head.bytes_per_op, alloc_tolerance, paired.ref,
                      max(1.0, mean_size)),
        _count_metric("calls", "calls/op", base.calls_per_op, head.calls_per_op,
                      calls_tolerance, paired.ref, 1.0),
        _memory_metric(base.peak_memory_bytes, head.peak_memory_bytes, policy.memory_tolerance,
                       paired.ref),
    ]  # fmt: skip
    metrics = [time]
    for metric in others:  # counts are exact in any process; a tracer's calls are not ours
        if metric is None:
            continue
        advisory = policy.warn_only or tracer is not None
        metrics.append(metric if not advisory else _advisory(metric, tracer))
    verdict = overall_verdict(metrics)
    where = None
    if verdict is Verdict.REGRESSED:
        where = diff_profiles(base.profile, head.profile, paired.ref, live=True)
    return Comparison(nodeid, group, verdict, tuple(metrics), where=where)


def _advisory(metric: MetricComparison, caveat: Caveat | None) -> MetricComparison:
    decision = metric.decision if caveat is None else replace(metric.decision, caveats=(caveat,))
    return replace(metric, decision=decision, advisory=True)
