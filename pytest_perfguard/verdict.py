"""Pure decision: baseline against now, per metric, each verdict with the rule that decided it."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_perfguard import environment, stats
from pytest_perfguard.model import (
    Baseline,
    BaselineEntry,
    BenchResult,
    Comparison,
    Fingerprint,
    Measurement,
    MetricComparison,
    RunSummary,
    Verdict,
)

__all__ = ["Observation", "Policy", "compare_all", "compare_baselines", "compare_benchmark"]

MiB = 1024 * 1024
_NC = Verdict.NOT_COMPARABLE
_LABELS = {"allocs": "allocations", "bytes": "allocated bytes", "memory": "peak memory"}


@dataclass(frozen=True, slots=True)
class Policy:
    """How strict the gate is. Defaults are calibrated by benchmarks/simulate_verdict.py."""

    alpha: float = 0.05
    """Family-wise error rate over all time comparisons of the session (Holm)."""
    min_effect: float = 0.10
    """Minimum relative time change, used where a benchmark's own settings are not at hand."""
    strict: bool = False
    """Time verdicts count even across a different CPU model or Python version."""
    warn_only: bool = False
    """Every verdict is advisory: reported, never failing."""
    min_runs: int = 3
    """Saved runs needed to estimate run-to-run variation; with fewer only large effects fail."""
    large_effect: float = 0.50
    """With fewer than min_runs saved runs, time fails only beyond max(min_effect, this)."""
    assumed_drift: float = 0.50
    """Run-to-run sd (log) assumed with fewer than min_runs saved runs: the worst measured."""
    alloc_tolerance: tuple[float, float] = (0.5, 0.01)
    """(absolute allocs/op, relative): a rise beyond the larger of the two regresses."""
    bytes_tolerance: tuple[float, float] = (64.0, 0.01)
    memory_tolerance: tuple[float, float] = (1.0 * MiB, 0.10)
    confidence: float = 0.95
    """Confidence of the reported change intervals (uncorrected, as benchstat's)."""


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

    @classmethod
    def from_measurement(cls, m: Measurement) -> Observation:
        return cls(m.median_ns, m.ref_ratio, m.samples_ns, m.ref_ratios, m.allocs_per_op,
                   m.bytes_per_op, m.peak_memory_bytes)  # fmt: skip

    @classmethod
    def from_run(cls, r: RunSummary) -> Observation:
        return cls(r.median_ns, r.ref_ratio, r.samples_ns or (), r.ref_ratios or (),
                   r.allocs_per_op, r.bytes_per_op, r.peak_memory_bytes)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Case:
    nodeid: str
    group: str | None
    entry: BaselineEntry
    now: Observation
    min_effect: float
    caveat: str | None
    """Why time is advisory here (the environment differs), or None."""
    counts_caveat: str | None
    """Why allocation counts are advisory here (another interpreter version), or None."""


@dataclass(frozen=True, slots=True)
class _Scale:
    spread: stats.LevelSpread
    level_now: float
    within_var: float
    base_samples: tuple[float, ...]
    now_samples: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class _Time:
    """Time analysis before the Holm step."""

    scale: str
    runs: int
    change: float
    decisive: float
    """The change held against the bar: on the few-runs path, the smaller of both scales."""
    interval: tuple[float, float] | None
    p: float | None
    sd: float
    se: float
    df: float
    tries: int
    """Scales tested (the p-value is already multiplied by this)."""
    within_p: float | None = None
    """Few-runs path: within-run U test of the newest saved run's rounds against today's."""


def _pct(x: float) -> str:
    return f"{x * 100:+.1f}%"


def _caveats(
    base: Fingerprint | None, now: Fingerprint | None, entry: BaselineEntry
) -> tuple[str | None, str | None]:
    """(time caveat, counts caveat) from environment's single definition of compatibility."""
    if now is None:
        return "the compared run records no environment", "the compared run records no environment"
    time = "; ".join(environment.differences(base, now, entry)) or None
    if environment.counts_comparable(base, now, entry):
        return time, None
    old = entry.python_version or (base.python_minor if base else "unknown")
    return (
        time,
        f"counts differ between interpreters: baseline Python {old}, now {now.python_minor}",
    )


def _scales(case: _Case) -> dict[str, _Scale] | str:
    runs = [r for r in case.entry.runs if r.median_ns > 0]
    now = case.now
    if not runs or now.median_ns <= 0:
        return "no usable time in the baseline or now"
    out = {"raw": _Scale(stats.level_spread([r.median_ns for r in runs]), math.log(now.median_ns),
                         stats.median_variance(now.samples_ns), runs[-1].samples_ns or (),
                         now.samples_ns)}  # fmt: skip
    if now.ref_ratio and all(r.ref_ratio for r in runs):
        out["ref"] = _Scale(stats.level_spread([r.ref_ratio or 0.0 for r in runs]),
                            math.log(now.ref_ratio), stats.median_variance(now.ref_ratios),
                            runs[-1].ref_ratios or (), now.ref_ratios)  # fmt: skip
    return out


def _time(scales: dict[str, _Scale], policy: Policy) -> _Time:
    runs = scales["raw"].spread.n
    if runs >= policy.min_runs:
        # The reference cancels machine drift for pure-Python code but not for C-heavy code.
        # Picking the scale whose saved runs varied less would pick the variance that came out
        # low by chance (false failures in the simulation), so test both and keep the better,
        # with its p-value doubled (Bonferroni over the two scales).
        tests = []
        for name, s in scales.items():
            t = stats.predictive_test(s.spread, s.level_now, s.within_var, policy.confidence)
            tests.append((t.p, name, t))
        _, name, t = min(tests, key=lambda x: x[0])
        change = math.expm1(t.delta)
        p = min(1.0, len(tests) * t.p)
        sd = scales[name].spread.sd
        return _Time(name, runs, change, change, t.interval, p, sd, t.se, t.df, len(tests))
    # No trustworthy spread of our own: assume the worst drift measured on shared hosts (C-heavy
    # code, which the reference cannot correct) unless the saved runs show more.
    name = "ref" if "ref" in scales else "raw"
    s = scales[name]
    var = max(s.spread.var, policy.assumed_drift**2)
    spread = stats.LevelSpread(s.spread.mean, var, math.inf, s.spread.n)
    t = stats.predictive_test(spread, s.level_now, s.within_var, policy.confidence)
    # Both scales must agree on the change (raw drift reaches 2x on shared hosts; the reference
    # does not cancel it for C-heavy code), and as a supplementary check the newest saved run's
    # rounds must differ from today's by a within-run U test.
    changes = [math.expm1(x.level_now - x.spread.mean) for x in scales.values()]
    same_sign = all(c > 0 for c in changes) or all(c < 0 for c in changes)
    decisive = min(changes, key=abs) if same_sign else 0.0
    within = None
    if s.base_samples and s.now_samples:
        within = stats.mann_whitney_p(s.base_samples, s.now_samples)
    return _Time(name, runs, math.expm1(t.delta), decisive, t.interval, t.p, spread.sd, t.se,
                 t.df, 1, within)  # fmt: skip


def _time_metric(
    case: _Case, now_ns: float, t: _Time, p_adj: float | None, family: int, correction: str,
    policy: Policy,
) -> MetricComparison:  # fmt: skip
    alpha, eff = policy.alpha, case.min_effect
    where = "reference-corrected" if t.scale == "ref" else "raw"
    other = "raw" if t.scale == "ref" else "reference-corrected"
    both = f" ({other} time tested too, p doubled)" if t.tries > 1 else ""
    holm = f"{correction}-adjusted p < {alpha:g} over {family} time comparisons"
    here = "no p-value" if p_adj is None else f"p = {p_adj:.3g}"
    significant = p_adj is not None and p_adj < alpha
    if t.runs >= policy.min_runs:
        bar = eff
        why = (
            f"{where} time{both} vs {t.runs} saved runs with run-to-run sd {_pct(t.sd)[1:]}: "
            f"fails beyond the {_pct(eff)[1:]} minimum effect when {holm}; here {here}"
        )
    else:
        bar = max(eff, policy.large_effect)
        u = "no rounds saved" if t.within_p is None else f"p = {t.within_p:.3g}"
        why = (
            f"only {t.runs} saved run(s), {policy.min_runs} needed to estimate run-to-run "
            f"variation: time fails only beyond {_pct(bar)} on raw and reference-corrected "
            f"time, {holm} against an assumed run-to-run sd of "
            f"{_pct(policy.assumed_drift)[1:]} (here {here}) and a within-run U test "
            f"p < {alpha:g} (here {u})"
        )
        significant = significant and t.within_p is not None and t.within_p < alpha
    detectable = max(bar, stats.detectable_change(t.se, t.df, alpha / family / t.tries))
    verdict = Verdict.UNCHANGED
    if significant and t.decisive > bar:
        verdict = Verdict.REGRESSED
    elif significant and t.decisive < -bar:
        verdict = Verdict.IMPROVED
    rule = f"time {verdict.value} {_pct(t.change)} ({why}); smallest detectable {_pct(detectable)}"
    if t.scale == "ref":
        rule += "; baseline shown at today's machine speed"
    advisory = policy.warn_only
    if case.caveat is not None:
        advisory = advisory or not policy.strict
        rule += f"; {case.caveat}: " + ("counts under strict" if policy.strict else "advisory")
    return MetricComparison("time", now_ns / (1 + t.change), now_ns, t.change, t.interval,
                            p_adj, verdict, rule, detectable, advisory)  # fmt: skip


def _tolerance_metric(
    metric: str, unit: str, base: float | None, now: float | None, tol: tuple[float, float],
    per_unit: float = 1.0,
) -> MetricComparison | None:  # fmt: skip
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
    b, n, d, t0, lim = (x / per_unit for x in (base, now, delta, tol[0], limit))
    rule = (
        f"{_LABELS[metric]} {verdict.value}: {b:.4g} -> {n:.4g} {unit} ({d:+.4g}); changes "
        f"beyond ±max({t0:.4g} {unit}, {tol[1]:.0%}) = {lim:.4g} {unit} count as real"
    )
    return MetricComparison(metric, base, now, change, None, None, verdict, rule)


def _observed(
    tolerance: tuple[float, float], runs: Sequence[RunSummary], field: str
) -> tuple[float, float]:
    """Counts are exact for deterministic code, and peak memory nearly so; where the saved runs
    show they are not (threads; pages reused from earlier tests), changes within twice the
    range already seen are not real."""
    seen = [getattr(r, field) for r in runs if getattr(r, field) is not None]
    spread = max(seen) - min(seen) if seen else 0.0
    return (max(tolerance[0], 2 * spread), tolerance[1])


def _metrics(
    case: _Case, time: _Time | str, p_adj: float | None, family: int, correction: str,
    policy: Policy,
) -> list[MetricComparison]:  # fmt: skip
    now, newest = case.now, case.entry.runs[-1]
    out: list[MetricComparison] = []
    if isinstance(time, str):
        rule = f"time not comparable: {time}"
        nan = math.nan
        out.append(MetricComparison("time", nan, now.median_ns, nan, None, None, _NC, rule))
    else:
        out.append(_time_metric(case, now.median_ns, time, p_adj, family, correction, policy))
    # Peak memory is noisier than counts (allocator trim thresholds): median of the saved runs.
    peaks = [r.peak_memory_bytes for r in case.entry.runs if r.peak_memory_bytes is not None]
    others = [
        _tolerance_metric("allocs", "allocs/op", newest.allocs_per_op, now.allocs_per_op,
                          _observed(policy.alloc_tolerance, case.entry.runs, "allocs_per_op")),
        _tolerance_metric("bytes", "B/op", newest.bytes_per_op, now.bytes_per_op,
                          _observed(policy.bytes_tolerance, case.entry.runs, "bytes_per_op")),
        _tolerance_metric("memory", "MiB", statistics.median(peaks) if peaks else None,
                          now.peak_memory_bytes,
                          _observed(policy.memory_tolerance, case.entry.runs, "peak_memory_bytes"),
                          MiB),
    ]  # fmt: skip
    for m in others:
        if m is None:
            continue
        if case.counts_caveat is not None:
            m = dataclasses.replace(
                m, rule=f"{m.rule}; {case.counts_caveat}: advisory", advisory=True
            )
        out.append(dataclasses.replace(m, advisory=True) if policy.warn_only else m)
    return out


def _overall(metrics: Sequence[MetricComparison]) -> Verdict:
    found = {m.verdict for m in metrics}
    for v in (Verdict.REGRESSED, Verdict.IMPROVED, Verdict.UNCHANGED):
        if v in found:
            return v
    return Verdict.NOT_COMPARABLE


def _compare_cases(
    cases: Sequence[_Case], policy: Policy, family: int | None = None
) -> list[Comparison]:
    """Holm over the cases' time p-values, or Bonferroni over a given family size."""
    scales = [_scales(c) for c in cases]
    times = [s if isinstance(s, str) else _time(s, policy) for s in scales]
    tested = [i for i, t in enumerate(times) if not isinstance(t, str) and t.p is not None]
    pvalues = [t.p for t in times if not isinstance(t, str) and t.p is not None]
    if family is None:
        adjusted, correction, family = stats.holm(pvalues), "Holm", max(1, len(tested))
    else:
        adjusted, correction = [min(1.0, p * family) for p in pvalues], "Bonferroni"
    p_adj = dict(zip(tested, adjusted, strict=True))
    out = []
    for i, (case, t) in enumerate(zip(cases, times, strict=True)):
        metrics = _metrics(case, t, p_adj.get(i), family, correction, policy)
        out.append(Comparison(case.nodeid, case.group, _overall(metrics), tuple(metrics)))
    return out


_Now = tuple[str, "str | None", Observation, float]


def _assemble(
    baseline: Baseline | None, now: Sequence[_Now], current: Fingerprint | None,
    policy: Policy, suite_complete: bool,
) -> list[Comparison]:  # fmt: skip
    entries = baseline.entries if baseline is not None else {}
    base_env = baseline.fingerprint if baseline else None
    new: dict[int, Comparison] = {}
    cases: list[_Case] = []
    for i, (nodeid, group, obs, min_effect) in enumerate(now):
        entry = entries.get(nodeid)
        if entry is None or not entry.runs:
            new[i] = Comparison(nodeid, group, Verdict.NEW, notes=("no baseline entry yet",))
        else:
            caveats = _caveats(base_env, current, entry)
            cases.append(_Case(nodeid, group, entry, obs, min_effect, *caveats))
    compared = iter(_compare_cases(cases, policy))
    out = [new[i] if i in new else next(compared) for i in range(len(now))]
    if suite_complete:
        seen = {n[0] for n in now}
        out += [Comparison(e.nodeid, e.group, Verdict.MISSING,
                           notes=("in the baseline but not measured by this complete run",))
                for nodeid, e in entries.items() if nodeid not in seen]  # fmt: skip
    return out


def compare_all(
    baseline: Baseline | None, results: Sequence[BenchResult], current: Fingerprint,
    policy: Policy, *, suite_complete: bool = False,
) -> list[Comparison]:  # fmt: skip
    """Compare every measured benchmark with the baseline; time is Holm-corrected across them.

    Each benchmark's minimum effect comes from its resolved settings. Baseline entries not
    measured now are reported MISSING only when `suite_complete` (a `-k` run is partial).
    """
    now = [(r.nodeid, r.group, Observation.from_measurement(r.measurement),
            r.settings.min_effect) for r in results]  # fmt: skip
    return _assemble(baseline, now, current, policy, suite_complete)


def compare_baselines(
    old: Baseline, new: Baseline, policy: Policy, *, suite_complete: bool = True
) -> list[Comparison]:
    """Offline: each entry's newest run in `new` against the saved runs in `old`."""
    entries = [e for e in new.entries.values() if e.runs]
    now = [
        (e.nodeid, e.group, Observation.from_run(e.runs[-1]), policy.min_effect) for e in entries
    ]
    return _assemble(old, now, new.fingerprint, policy, suite_complete)


def compare_benchmark(
    entry: BaselineEntry | None, now: Observation, policy: Policy, *,
    min_effect: float | None = None, baseline_env: Fingerprint | None = None,
    current_env: Fingerprint | None = None, family: int = 1,
) -> Comparison:  # fmt: skip
    """One benchmark, decided on its own as soon as it is measured (the plugin fails the test
    right away): its time p-value is Bonferroni-corrected for the `family` of time comparisons
    the session will make, since Holm would need every other benchmark's p-value first.

    Without either fingerprint the environments are taken as the same.
    """
    if entry is None or not entry.runs:
        return Comparison("", None, Verdict.NEW, notes=("no baseline entry yet",))
    effect = policy.min_effect if min_effect is None else min_effect
    caveats: tuple[str | None, str | None] = (None, None)
    if baseline_env is not None or current_env is not None:
        caveats = _caveats(baseline_env, current_env, entry)
    case = _Case(entry.nodeid, entry.group, entry, now, effect, *caveats)
    return _compare_cases([case], policy, family=max(1, family))[0]
