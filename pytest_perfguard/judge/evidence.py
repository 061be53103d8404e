"""One comparison path for every kind of evidence (saved runs, a base revision measured in this
run, another file's runs): the count and memory rules over the metric registry, advisory
verdicts and "where" attached the same way. How time is judged is the evidence's own
(judge/timeverdict.py for saved runs, judge/paired.py for a live base)."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_perfguard.judge.custom import custom_metrics
from pytest_perfguard.judge.environments import environment_caveats
from pytest_perfguard.judge.policy import Policy
from pytest_perfguard.judge.sites import with_site_changes
from pytest_perfguard.judge.where import diff_profiles
from pytest_perfguard.metrics import METRICS, MetricKind, MetricSpec
from pytest_perfguard.model import (
    AllocSite,
    Caveat,
    Comparison,
    Decision,
    FunctionCost,
    Measurement,
    MetricComparison,
    Rule,
    RunSummary,
    Verdict,
    overall_verdict,
)

__all__ = [
    "COUNT_PRECISION",
    "Evidence",
    "concluded",
    "count_metric",
    "memory_metric",
    "rule_metrics",
]

COUNT_PRECISION = 1e-6
"""Relative: the baseline file keeps counts to 7 significant digits (a rounding error of at
most 5e-7), so a count this close to a saved one is the same count. Counts below 10 million
are stored exactly; an extra allocation is always caught below a million allocs/op."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The base side of one benchmark, whatever it came from."""

    runs: Sequence[RunSummary | Measurement | object]
    """Its measurements, oldest first: saved runs, or the one base measurement of this run;
    anything holding the metrics' fields. Never empty."""
    name: str
    """What "where" calls the base: the saved run's time stamp, or REF and its commit."""
    live: bool = False
    """Measured in this run, alongside the head (A/B); False: saved runs."""
    profile: Sequence[FunctionCost] = ()
    """The base's profile, diffed against now's for a regression's "where"."""
    sites: Sequence[AllocSite] = ()
    """The base's allocation sites, diffed against now's for an allocation regression's."""
    sites_kept: int | None = None
    """Base's sites are a saved table cut at this many (None: all of them, measured live)."""
    counts_caveats: tuple[Caveat, ...] = ()
    """Why counts and memory are advisory here (another interpreter, a tracer); empty when
    they gate."""

    def seen(self, spec: MetricSpec) -> list[float]:
        """The metric's values over the base's runs, where they have it."""
        return [v for r in self.runs if (v := getattr(r, spec.field)) is not None]

    def newest(self, spec: MetricSpec) -> float | None:
        value: float | None = getattr(self.runs[-1], spec.field)
        return value


def _change(base: float, now: float) -> float:
    delta = now - base
    return delta / base if base else (0.0 if delta == 0 else math.inf)


def _grain(spec: MetricSpec, evidence: Evidence) -> float:
    """A live count's smallest real change: one unit, or for a count of another count's units
    (bytes of allocations) the base's average per unit, at least 1."""
    if spec.grain_of is None:
        return 1.0
    value, units = evidence.newest(spec), getattr(evidence.runs[-1], spec.grain_of)
    return max(1.0, value / units) if units and value is not None else 1.0


def _one_time(now: float, loops: int | None, base: float, base_loops: int | None) -> bool:
    """Whether per-op counts `now` (over windows of `loops` calls) and `base` (over
    `base_loops`) differ by under half a unit per op and by what one-time allocations (a
    cache entry, a table resized) landing in a window explain: one unit between the whole
    windows, or one unit more in one of them (1/loops per op there; the windows' sizes follow
    each machine's speed, so they differ). Not code that allocates per call: with one call a
    window, one more allocation per call still counts."""
    if not loops or not base_loops or abs(now - base) >= 0.5:
        return False
    between = abs(now * loops - base * base_loops) <= 1.0
    in_one = (now - base) * loops if now >= base else (base - now) * base_loops
    return between or in_one <= 1.0 + COUNT_PRECISION


def count_metric(
    spec: MetricSpec,
    evidence: Evidence,
    now: float | None,
    tolerance: float,
    grain: float | None = None,
    loops: int | None = None,
    now_units: float | None = None,
) -> MetricComparison | None:
    """Counts (allocations, bytes, calls) gate exactly: any rise beyond every base run's count
    and `tolerance` (relative; the benchmark's `spec.tolerance` setting) is real.

    Counts are identical run after run for deterministic code, so saved runs get no absolute
    slack but the file's rounding. Where the saved runs disagree (threads: the counted
    thread's share depends on scheduling), the next run can land anywhere in a range that few
    runs only sketch (one chance in six above the largest of five), so rises within the range
    seen are allowed beyond its top too. A base measured in this run counts its own calibrated
    number of calls, so a one-time allocation falling in one side's window shows as a
    fraction of an allocation per op, while a change in the code allocates at least one more
    per call: there, a change of half a grain (`grain`, else see _grain) or more is real.
    Against saved runs, a change of at most one unit between the whole windows (`loops` calls
    here, the newest saved run's there), under half a unit per op, is such a one-time
    allocation too (see _one_time).
    """
    seen, base = evidence.seen(spec), evidence.newest(spec)
    if base is None or now is None or not seen:
        return None
    low, high = min(seen), max(seen)
    varies = high - low > COUNT_PRECISION * high
    slack = high - low if varies else 0.0
    limits = (low - slack - tolerance * low, high + slack + tolerance * high)
    delta = now - base
    if evidence.live:
        grain = _grain(spec, evidence) if grain is None else grain
        limit = tolerance * base + grain / 2
        regressed, improved = delta >= limit, delta <= -limit
        numbers = {"grain": grain, "tolerance": tolerance, "limit": limit}
        decision = Decision(Rule.COUNT_PAIRED, numbers, {"unit": spec.column, "ref": evidence.name})
    else:
        regressed = now > limits[1] + COUNT_PRECISION * high
        improved = now < limits[0] - COUNT_PRECISION * low
        edge = limits[1] if regressed else limits[0]
        base_loops = getattr(evidence.runs[-1], "loops", None)
        if spec.grain_of is None:
            one_time = _one_time(now, loops, edge, base_loops)
        else:  # bytes: of one-time allocations, whatever their size; of the same ones, equal
            base_units = getattr(evidence.runs[-1], spec.grain_of, None)
            one_time = False
            if now_units is not None and base_units is not None and loops and base_loops:
                same = abs(now_units - base_units) <= COUNT_PRECISION * max(base_units, 1.0)
                nbytes = abs(now * loops - edge * base_loops)
                one_time = _one_time(now_units, loops, base_units, base_loops) and (
                    not same or nbytes <= 1.0  # the same allocations growing is a change
                )
        if (regressed or improved) and one_time:
            regressed = improved = False
        numbers = {
            "runs": len(seen),
            "low": low,
            "high": high,
            "tolerance": tolerance,
            "limit": limits[1],
        }
        kind = Rule.COUNT_VARYING if varies else Rule.COUNT_EXACT
        decision = Decision(kind, numbers, {"unit": spec.column, "knob": spec.tolerance or ""})
    verdict = Verdict.UNCHANGED
    if regressed:
        verdict = Verdict.REGRESSED
    elif improved:
        verdict = Verdict.IMPROVED
    return MetricComparison(spec.name, base, now, _change(base, now), None, None, verdict, decision)


def memory_metric(
    spec: MetricSpec, evidence: Evidence, now: float | None, tolerance: tuple[float, float]
) -> MetricComparison | None:
    """Peak memory is noisier than counts (allocator trim thresholds): against the median of
    the base's runs, beyond the larger of a floor in bytes and a share of the base. Where the
    saved runs show it is not exact (pages reused from earlier tests), changes within twice
    the range already seen are not real."""
    seen = evidence.seen(spec)
    if not seen or now is None:
        return None
    base = statistics.median(seen)
    floor, share = max(tolerance[0], 2 * (max(seen) - min(seen))), tolerance[1]
    limit = max(floor, share * base)
    delta = now - base
    verdict = Verdict.UNCHANGED
    if delta > limit:
        verdict = Verdict.REGRESSED
    elif delta < -limit:
        verdict = Verdict.IMPROVED
    numbers = {"floor_bytes": floor, "share": share, "limit_bytes": limit}
    if evidence.live:
        decision = Decision(Rule.MEMORY_PAIRED, numbers, {"ref": evidence.name})
    else:
        decision = Decision(Rule.MEMORY_SAVED, numbers)
    return MetricComparison(spec.name, base, now, _change(base, now), None, None, verdict, decision)


def rule_metrics(
    evidence: Evidence, now: object, tolerances: Mapping[str, float], policy: Policy
) -> list[MetricComparison]:
    """Every count and memory metric both sides have, in the registry's order, then the
    custom metrics now reported that the base has (judge/custom.py): `now` holds
    each metric's `field` (a Measurement, an Observation, a saved run); `tolerances` each
    count's tolerance setting by name. Advisory under the evidence's counts caveats (with
    them) and under warn-only."""
    out = []
    loops: int | None = getattr(now, "loops", None)  # calls a counting window made
    for spec in METRICS:
        value = getattr(now, spec.field)
        if spec.kind is MetricKind.COUNT:
            tolerance = tolerances.get(spec.tolerance, 0.0) if spec.tolerance else 0.0
            units = getattr(now, spec.grain_of) if spec.grain_of else None
            metric = count_metric(spec, evidence, value, tolerance, loops=loops, now_units=units)
        elif spec.kind is MetricKind.MEMORY:
            metric = memory_metric(spec, evidence, value, policy.memory_tolerance)
        else:
            continue  # time: the evidence's own rule
        if metric is None:
            continue
        caveats = evidence.counts_caveats + environment_caveats(spec, evidence.runs, now)
        if caveats:
            decision = dataclasses.replace(metric.decision, caveats=caveats)
            metric = dataclasses.replace(metric, decision=decision, advisory=True)
        out.append(dataclasses.replace(metric, advisory=True) if policy.warn_only else metric)
    for metric in custom_metrics(evidence.runs, now, evidence.name, evidence.live):
        out.append(dataclasses.replace(metric, advisory=True) if policy.warn_only else metric)
    return out


def concluded(
    nodeid: str,
    group: str | None,
    evidence: Evidence,
    metrics: Sequence[MetricComparison],
    profile: Sequence[FunctionCost],
    sites: Sequence[AllocSite] = (),
) -> Comparison:
    """The benchmark's verdict, the worst of its metrics; a regression carries "where": the
    base's profile diffed against now's `profile` when both sides have one, and for an
    allocation or memory regression the base's allocation sites against now's `sites`."""
    verdict = overall_verdict(metrics)
    where = None
    if verdict is Verdict.REGRESSED:
        where = diff_profiles(evidence.profile, profile, evidence.name, live=evidence.live)
        where = with_site_changes(where, evidence, metrics, sites)
    return Comparison(nodeid, group, verdict, tuple(metrics), where=where)
