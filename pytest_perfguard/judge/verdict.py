"""Pure decision: saved runs against now (a measurement, a results file, another baseline's
newest run), each verdict with the rule that decided it and the numbers that rule used
(report/rules.py words them). Time is judged here; counts, memory and "where" by the path every
evidence shares (judge/evidence.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pytest_perfguard.judge import compatibility, stats, timeverdict
from pytest_perfguard.judge.evidence import Evidence, concluded, rule_metrics
from pytest_perfguard.judge.policy import Observation, Policy
from pytest_perfguard.judge.sites import SITES_KEPT
from pytest_perfguard.judge.timeverdict import (
    NO_TIME_PRIOR,
    TimeAnalysis,
    TimePrior,
    fit_time_prior,
)
from pytest_perfguard.metrics import tolerances_of
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
    Verdict,
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
    tolerances: Mapping[str, float]
    """Each count's tolerance setting by name (alloc_tolerance, calls_tolerance, ...)."""
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


def _metrics(
    case: _Case,
    time: TimeAnalysis | None,
    p_adj: float | None,
    family: int,
    correction: str,
    policy: Policy,
) -> Comparison:
    now = case.now
    # A tracer (coverage) inflates time and adds allocations of its own: nothing fails on it.
    tracing: tuple[Caveat, ...] = ()
    if now.tracers:
        tracing = (Caveat(CaveatKind.TRACER, texts={"tracers": ", ".join(now.tracers)}),)
    if time is None:
        nan, unusable = math.nan, Decision(Rule.TIME_UNUSABLE)
        metric = MetricComparison("time", nan, now.median_ns, nan, None, None, _NC, unusable)
    else:
        busy: tuple[Caveat, ...] = ()
        if now.others_cpu is not None and now.others_cpu > policy.busy_share:
            busy = (Caveat(CaveatKind.BUSY, {"share": now.others_cpu}),)
        caveats = (*case.caveats, *busy, *tracing)
        metric = timeverdict.time_metric(
            now.median_ns, time, p_adj, family, correction, policy, case.min_effect, caveats
        )
    newest = case.entry.runs[-1]
    evidence = Evidence(
        case.entry.runs,
        newest.timestamp,
        profile=newest.profile or (),
        counts_caveats=(*case.counts_caveats, *tracing),
        sites=newest.sites or (),
        sites_kept=SITES_KEPT,
    )
    metrics = [metric, *rule_metrics(evidence, now, case.tolerances, policy)]
    return concluded(case.nodeid, case.group, evidence, metrics, now.profile, now.sites)


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
        out.append(_metrics(case, t, p_adj.get(i), family, correction, policy))
    return out


_Now = tuple[str, "str | None", Observation, float, Mapping[str, float]]
"""(node id, group, now, min_effect, tolerances)"""


def _assemble(
    baseline: Baseline | None,
    now: Sequence[_Now],
    current: Fingerprint | None,
    policy: Policy,
    suite_complete: bool,
) -> list[Comparison]:
    entries = baseline.entries if baseline is not None else {}
    base_env = baseline.fingerprint if baseline else None
    new: dict[int, Comparison] = {}
    cases: list[_Case] = []
    for i, (nodeid, group, obs, min_effect, tolerances) in enumerate(now):
        entry = entries.get(nodeid)
        if entry is None or not entry.runs:
            new[i] = Comparison(nodeid, group, Verdict.NEW, reason=_NEW)
        else:
            caveats = _caveats(base_env, current, entry)
            cases.append(_Case(nodeid, group, entry, obs, min_effect, tolerances, *caveats))
    prior = fit_time_prior(entries.values(), policy.min_runs)
    compared = iter(_compare_cases(cases, policy, prior))
    out = [new[i] if i in new else next(compared) for i in range(len(now))]
    if suite_complete:
        seen = {n[0] for n in now}
        out += [
            Comparison(e.nodeid, e.group, Verdict.MISSING, reason=Decision(Rule.NOT_MEASURED))
            for nodeid, e in entries.items()
            if nodeid not in seen
        ]
    return out


def compare_all(
    baseline: Baseline | None,
    results: Sequence[BenchResult],
    current: Fingerprint,
    policy: Policy,
    *,
    suite_complete: bool = False,
) -> list[Comparison]:
    """Compare every measured benchmark with the baseline; time is Holm-corrected across them,
    each run-to-run variance moderated toward a prior fitted over the whole baseline.

    Each benchmark's minimum effect and allocation tolerance come from its resolved settings.
    Baseline entries not measured now are reported MISSING only when `suite_complete` (a `-k`
    run is partial).
    """
    now = [
        (
            r.nodeid,
            r.group,
            Observation.from_measurement(r.measurement),
            r.settings.min_effect,
            tolerances_of(r.settings),
        )
        for r in results
    ]
    return _assemble(baseline, now, current, policy, suite_complete)


def compare_baselines(
    old: Baseline, new: Baseline, policy: Policy, *, suite_complete: bool = True
) -> list[Comparison]:
    """Offline: each entry's newest run in `new` against the saved runs in `old`, with the
    policy's minimum effect and allocation tolerance."""
    entries = [e for e in new.entries.values() if e.runs]
    now = [
        (
            e.nodeid,
            e.group,
            Observation.from_run(e.runs[-1]),
            policy.min_effect,
            tolerances_of(policy),
        )
        for e in entries
    ]
    return _assemble(old, now, new.fingerprint, policy, suite_complete)


def compare_benchmark(
    entry: BaselineEntry | None,
    now: Observation,
    policy: Policy,
    *,
    min_effect: float | None = None,
    alloc_tolerance: float | None = None,
    calls_tolerance: float | None = None,
    instructions_tolerance: float | None = None,
    baseline_env: Fingerprint | None = None,
    current_env: Fingerprint | None = None,
    family: int = 1,
    prior: TimePrior | None = None,
    tolerances: Mapping[str, float] | None = None,
) -> Comparison:
    """One benchmark, decided on its own as soon as it is measured (the plugin fails the test
    right away): its time p-value is Bonferroni-corrected for the `family` of time comparisons
    the session will make, since Holm would need every other benchmark's p-value first.

    `min_effect` and the tolerances are the benchmark's own settings (the policy's when None):
    `tolerances` gives any by name, the keywords the three there are. Without
    either fingerprint the environments are taken as the same. `prior`, from fit_time_prior
    over the whole baseline, moderates the run-to-run variance as compare_all does; without it
    the benchmark's own saved runs are all there is.
    """
    if entry is None or not entry.runs:
        return Comparison("", None, Verdict.NEW, reason=_NEW)
    effect = policy.min_effect if min_effect is None else min_effect
    named = {
        "alloc_tolerance": alloc_tolerance,
        "calls_tolerance": calls_tolerance,
        "instructions_tolerance": instructions_tolerance,
    }
    given = {n: v for n, v in named.items() if v is not None} | dict(tolerances or {})
    caveats: _Caveats = ((), ())
    if baseline_env is not None or current_env is not None:
        caveats = _caveats(baseline_env, current_env, entry)
    case = _Case(
        entry.nodeid, entry.group, entry, now, effect, tolerances_of(policy) | given, *caveats
    )
    return _compare_cases([case], policy, prior or NO_TIME_PRIOR, family=max(1, family))[0]
