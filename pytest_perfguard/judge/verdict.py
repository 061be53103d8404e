"""Pure decision: baseline against now, per metric, each verdict with the rule that decided it
and the numbers that rule used (report/rules.py words them)."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_perfguard.judge import compatibility, stats, timeverdict
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.timeverdict import (
    NO_TIME_PRIOR,
    TimeAnalysis,
    TimePrior,
    fit_time_prior,
)
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    Caveat,
    CaveatKind,
    Comparison,
    Decision,
    Fingerprint,
    MetricComparison,
    Rule,
    RunSummary,
    Verdict,
    overall_verdict,
)

__all__ = ["compare_all", "compare_baselines", "compare_benchmark"]

_NC = Verdict.NOT_COMPARABLE
_NEW = Decision(Rule.NO_BASELINE_ENTRY)


@dataclass(frozen=True, slots=True)
class _Case:
    nodeid: str
    group: str | None
    entry: BaselineEntry
    now: Observation
    min_effect: float
    alloc_tolerance: float
    calls_tolerance: float
    caveats: tuple[Caveat, ...]
    """Why time is advisory here (the environment differs); empty when it is not."""
    counts_caveats: tuple[Caveat, ...]
    """Why allocation counts are advisory here (another interpreter version)."""
    instructions_tolerance: float = 0.0


_Caveats = tuple[tuple[Caveat, ...], tuple[Caveat, ...]]


def _caveats(base: Fingerprint | None, now: Fingerprint | None, entry: BaselineEntry) -> _Caveats:
    """(time caveats, counts caveats) from the single definition of compatibility."""
    if now is None:
        unknown = (Caveat(CaveatKind.NO_ENVIRONMENT),)
        return unknown, unknown
    time = compatibility.differences(base, now, entry)
    if compatibility.counts_comparable(base, now, entry):
        return time, ()
    old = entry.python_version or (base.python_minor if base else "unknown")
    return time, (Caveat(CaveatKind.INTERPRETER, texts={"old": old, "now": now.python_minor}),)


def _memory_metric(
    base: float | None, now: float | None, tol: tuple[float, float]
) -> MetricComparison | None:
    if base is None or now is None:
        return None
    limit = max(tol[0], tol[1] * base)
    delta = now - base
    change = delta / base if base else (0.0 if delta == 0 else math.inf)
    verdict = Verdict.UNCHANGED
    if delta > limit:
        verdict = Verdict.REGRESSED
    elif delta < -limit:
        verdict = Verdict.IMPROVED
    numbers = {"floor_bytes": tol[0], "share": tol[1], "limit_bytes": limit}
    decision = Decision(Rule.MEMORY_SAVED, numbers)
    return MetricComparison("memory", base, now, change, None, None, verdict, decision)


COUNT_PRECISION = 1e-6
"""Relative: the baseline file keeps counts to 7 significant digits (a rounding error of at
most 5e-7), so a count this close to a saved one is the same count. Counts below 10 million
are stored exactly; an extra allocation is always caught below a million allocs/op."""


def _count_metric(
    metric: str, unit: str, runs: Sequence[RunSummary], field: str, now: float | None,
    tolerance: float, knob: str = "alloc_tolerance",
) -> MetricComparison | None:  # fmt: skip
    """Allocation (and call) counts gate exactly: any rise above every saved run's count is real.

    Counts are identical run after run for deterministic code, so no absolute slack is given.
    Where the saved runs disagree (threads: the counted thread's share depends on scheduling),
    the next run can land anywhere in a range that few runs only sketch (one chance in six
    above the largest of five), so rises within the range seen are allowed beyond its top too.
    `tolerance` (the benchmark's `knob`: alloc_tolerance, calls_tolerance) allows a relative
    rise on top.
    """
    seen = [v for r in runs if (v := getattr(r, field)) is not None]
    base = getattr(runs[-1], field)
    if base is None or now is None or not seen:
        return None
    low, high = min(seen), max(seen)
    varies = high - low > COUNT_PRECISION * high
    slack = high - low if varies else 0.0
    limits = (low - slack - tolerance * low, high + slack + tolerance * high)
    verdict = Verdict.UNCHANGED
    if now > limits[1] + COUNT_PRECISION * high:
        verdict = Verdict.REGRESSED
    elif now < limits[0] - COUNT_PRECISION * low:
        verdict = Verdict.IMPROVED
    delta = now - base
    change = delta / base if base else (0.0 if delta == 0 else math.inf)
    numbers = {"runs": len(seen), "low": low, "high": high, "tolerance": tolerance,
               "limit": limits[1]}  # fmt: skip
    kind = Rule.COUNT_VARYING if varies else Rule.COUNT_EXACT
    decision = Decision(kind, numbers, {"unit": unit, "knob": knob})
    return MetricComparison(metric, base, now, change, None, None, verdict, decision)


def _observed(
    tolerance: tuple[float, float], runs: Sequence[RunSummary], field: str
) -> tuple[float, float]:
    """Peak memory is nearly exact; where the saved runs show it is not (pages reused from
    earlier tests), changes within twice the range already seen are not real."""
    seen = [getattr(r, field) for r in runs if getattr(r, field) is not None]
    spread = max(seen) - min(seen) if seen else 0.0
    return (max(tolerance[0], 2 * spread), tolerance[1])


def _metrics(
    case: _Case, time: TimeAnalysis | None, p_adj: float | None, family: int, correction: str,
    policy: Policy,
) -> list[MetricComparison]:  # fmt: skip
    now = case.now
    out: list[MetricComparison] = []
    # A tracer (coverage) inflates time and adds allocations of its own: nothing fails on it.
    tracing: tuple[Caveat, ...] = ()
    if now.tracers:
        tracing = (Caveat(CaveatKind.TRACER, texts={"tracers": ", ".join(now.tracers)}),)
    if time is None:
        nan, unusable = math.nan, Decision(Rule.TIME_UNUSABLE)
        out.append(MetricComparison("time", nan, now.median_ns, nan, None, None, _NC, unusable))
    else:
        busy: tuple[Caveat, ...] = ()
        if now.others_cpu is not None and now.others_cpu > policy.busy_share:
            busy = (Caveat(CaveatKind.BUSY, {"share": now.others_cpu}),)
        caveats = (*case.caveats, *busy, *tracing)
        out.append(
            timeverdict.time_metric(
                now.median_ns, time, p_adj, family, correction, policy, case.min_effect, caveats
            )
        )
    # Peak memory is noisier than counts (allocator trim thresholds): median of the saved runs.
    peaks = [r.peak_memory_bytes for r in case.entry.runs if r.peak_memory_bytes is not None]
    runs, tolerance = case.entry.runs, case.alloc_tolerance
    others = [
        _count_metric("allocs", "allocs/op", runs, "allocs_per_op", now.allocs_per_op, tolerance),
        _count_metric("bytes", "B/op", runs, "bytes_per_op", now.bytes_per_op, tolerance),
        _count_metric("calls", "calls/op", runs, "calls_per_op", now.calls_per_op,
                      case.calls_tolerance, "calls_tolerance"),
        _count_metric("instructions", "instr/op", runs, "instructions_per_op",
                      now.instructions_per_op, case.instructions_tolerance,
                      "instructions_tolerance"),
        _memory_metric(statistics.median(peaks) if peaks else None, now.peak_memory_bytes,
                       _observed(policy.memory_tolerance, case.entry.runs, "peak_memory_bytes")),
    ]  # fmt: skip
    counts_caveats = (*case.counts_caveats, *tracing)
    for m in others:
        if m is None:
            continue
        if counts_caveats:
            decision = dataclasses.replace(m.decision, caveats=counts_caveats)
            m = dataclasses.replace(m, decision=decision, advisory=True)
        out.append(dataclasses.replace(m, advisory=True) if policy.warn_only else m)
    return out


def _compare_cases(
    cases: Sequence[_Case], policy: Policy, prior: TimePrior, family: int | None = None
) -> list[Comparison]:
    """Holm over the cases' time p-values, or Bonferroni over a given family size."""
    scales = [timeverdict.scales(c.entry, c.now) for c in cases]
    times = [None if s is None else timeverdict.analyse(s, policy, prior) for s in scales]
    tested = [i for i, t in enumerate(times) if t is not None and t.p is not None]
    pvalues = [t.p for t in times if t is not None and t.p is not None]
    if family is None:
        adjusted, correction, family = stats.holm(pvalues), "Holm", max(1, len(tested))
    else:
        adjusted, correction = [min(1.0, p * family) for p in pvalues], "Bonferroni"
    p_adj = dict(zip(tested, adjusted, strict=True))
    out = []
    for i, (case, t) in enumerate(zip(cases, times, strict=True)):
        metrics = _metrics(case, t, p_adj.get(i), family, correction, policy)
        out.append(Comparison(case.nodeid, case.group, overall_verdict(metrics), tuple(metrics)))
    return out


_Now = tuple[str, "str | None", Observation, float, float, float, float]
"""(node id, group, now, min_effect, alloc_tolerance, calls_tolerance, instructions_tolerance)"""


def _assemble(
    baseline: Baseline | None, now: Sequence[_Now], current: Fingerprint | None,
    policy: Policy, suite_complete: bool,
) -> list[Comparison]:  # fmt: skip
    entries = baseline.entries if baseline is not None else {}
    base_env = baseline.fingerprint if baseline else None
    new: dict[int, Comparison] = {}
    cases: list[_Case] = []
    for i, (nodeid, group, obs, min_effect, alloc_tol, calls_tol, instr_tol) in enumerate(now):
        entry = entries.get(nodeid)
        if entry is None or not entry.runs:
            new[i] = Comparison(nodeid, group, Verdict.NEW, reason=_NEW)
        else:
            caveats = _caveats(base_env, current, entry)
            cases.append(
                _Case(
                    nodeid, group, entry, obs, min_effect, alloc_tol, calls_tol, *caveats, instr_tol
                )
            )
    prior = fit_time_prior(entries.values(), policy.min_runs)
    compared = iter(_compare_cases(cases, policy, prior))
    out = [new[i] if i in new else next(compared) for i in range(len(now))]
    if suite_complete:
        seen = {n[0] for n in now}
        out += [Comparison(e.nodeid, e.group, Verdict.MISSING, reason=Decision(Rule.NOT_MEASURED))
                for nodeid, e in entries.items() if nodeid not in seen]  # fmt: skip
    return out


def compare_all(
    baseline: Baseline | None, results: Sequence[BenchResult], current: Fingerprint,
    policy: Policy, *, suite_complete: bool = False,
) -> list[Comparison]:  # fmt: skip
    """Compare every measured benchmark with the baseline; time is Holm-corrected across them,
    each run-to-run variance moderated toward a prior fitted over the whole baseline.

    Each benchmark's minimum effect and allocation tolerance come from its resolved settings.
    Baseline entries not measured now are reported MISSING only when `suite_complete` (a `-k`
    run is partial).
    """
    now = [(r.nodeid, r.group, Observation.from_measurement(r.measurement),
            r.settings.min_effect, r.settings.alloc_tolerance, r.settings.calls_tolerance,
            r.settings.instructions_tolerance) for r in results]  # fmt: skip
    return _assemble(baseline, now, current, policy, suite_complete)


def compare_baselines(
    old: Baseline, new: Baseline, policy: Policy, *, suite_complete: bool = True
) -> list[Comparison]:
    """Offline: each entry's newest run in `new` against the saved runs in `old`, with the
    policy's minimum effect and allocation tolerance."""
    entries = [e for e in new.entries.values() if e.runs]
    now = [(e.nodeid, e.group, Observation.from_run(e.runs[-1]), policy.min_effect,
            policy.alloc_tolerance, policy.calls_tolerance, policy.instructions_tolerance)
           for e in entries]  # fmt: skip
    return _assemble(old, now, new.fingerprint, policy, suite_complete)


def compare_benchmark(
    entry: BaselineEntry | None, now: Observation, policy: Policy, *,
    min_effect: float | None = None, alloc_tolerance: float | None = None,
    calls_tolerance: float | None = None, instructions_tolerance: float | None = None,
    baseline_env: Fingerprint | None = None,
    current_env: Fingerprint | None = None, family: int = 1, prior: TimePrior | None = None,
) -> Comparison:  # fmt: skip
    """One benchmark, decided on its own as soon as it is measured (the plugin fails the test
    right away): its time p-value is Bonferroni-corrected for the `family` of time comparisons
    the session will make, since Holm would need every other benchmark's p-value first.

    `min_effect` and `alloc_tolerance` are the benchmark's own settings (the policy's when
    None). Without either fingerprint the environments are taken as the same. `prior`, from
    fit_time_prior over the whole baseline, moderates the run-to-run variance as compare_all
    does; without it the benchmark's own saved runs are all there is.
    """
    if entry is None or not entry.runs:
        return Comparison("", None, Verdict.NEW, reason=_NEW)
    effect = policy.min_effect if min_effect is None else min_effect
    tolerance = policy.alloc_tolerance if alloc_tolerance is None else alloc_tolerance
    calls = policy.calls_tolerance if calls_tolerance is None else calls_tolerance
    caveats: _Caveats = ((), ())
    if baseline_env is not None or current_env is not None:
        caveats = _caveats(baseline_env, current_env, entry)
    instr = (
        policy.instructions_tolerance if instructions_tolerance is None else instructions_tolerance
    )
    case = _Case(entry.nodeid, entry.group, entry, now, effect, tolerance, calls, *caveats, instr)
    return _compare_cases([case], policy, prior or NO_TIME_PRIOR, family=max(1, family))[0]
