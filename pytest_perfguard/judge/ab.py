"""The A/B verdict of one benchmark: time from the rounds paired with the base revision in
this run; counts and peak memory from each side's own passes, by the rules every evidence
shares (judge/evidence.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace

from pytest_perfguard.judge.evidence import Evidence, concluded, count_metric, rule_metrics
from pytest_perfguard.judge.grouped import ProcessPrior, grouped_estimate
from pytest_perfguard.judge.paired import (
    paired_estimate,
    paired_time_metric,
    with_process_variance,
)
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.metrics import BY_NAME, tolerances_of
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
    """The shared count rule (judge/evidence.py) on one count of a live base given alone, with
    its smallest real change `grain`; `unit` is the metric's column, as the registry has it."""
    if base is None:
        return None
    evidence = Evidence((SimpleNamespace(**{BY_NAME[metric].field: base}),), ref, live=True)
    return count_metric(BY_NAME[metric], evidence, head, tolerance, grain)


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
    tolerances: Mapping[str, float] | None = None,
) -> Comparison:
    """Head against the base revision measured in this run. Time: the paired rounds' estimate,
    Bonferroni-corrected over the `family` of paired benchmarks, with the variation between
    processes (measured over the process pairs that ran the rounds, pooled with the policy's
    A/A prior), beyond `min_effect`. Counts: exact unless `tolerances` (each count's tolerance
    setting by name: alloc_tolerance, calls_tolerance, ...; the policy's when None) allows a
    rise; counts and memory follow the rules every evidence shares (judge/evidence.py). A
    regression carries "where": both sides' profiles diffed.
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
    # One source: the medians of the rounds the change was estimated from, on both sides.
    base_ns = base.median_ns if paired.base_median_ns is None else paired.base_median_ns
    time = paired_time_metric(
        base_ns,
        head.median_ns,
        estimate,
        p_adj,
        family,
        "Bonferroni",
        policy,
        min_effect,
        0.0,
        paired.ref,
        () if caveat is None else (caveat,),
    )
    evidence = Evidence(
        (base,),
        paired.ref,
        live=True,
        profile=base.profile,
        counts_caveats=() if tracer is None else (tracer,),
        sites=base.sites,
    )
    if tolerances is None:
        tolerances = tolerances_of(policy)
    metrics = [time, *rule_metrics(evidence, head, tolerances, policy)]
    return concluded(nodeid, group, evidence, metrics, head.profile, head.sites)
