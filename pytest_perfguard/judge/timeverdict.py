"""Time analysis of one benchmark: run-to-run spread per scale, moderated over the suite."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pytest_perfguard.judge import stats
from pytest_perfguard.judge.policy import Observation, Policy, uncalled
from pytest_perfguard.model import (
    BaselineEntry,
    Caveat,
    Decision,
    MetricComparison,
    Rule,
    RunSummary,
    Verdict,
)

__all__ = ["TimePrior", "fit_time_prior"]

SCALES = ("raw", "ref")


@dataclass(frozen=True, slots=True)
class TimePrior:
    """Per scale ("raw", "ref"), the suite's prior of run-to-run log variances."""

    scales: Mapping[str, stats.VariancePrior]

    def get(self, scale: str) -> stats.VariancePrior:
        return self.scales.get(scale, stats.NO_PRIOR)


NO_TIME_PRIOR = TimePrior({})


def _levels(runs: Iterable[RunSummary], scale: str) -> list[float] | None:
    if scale == "raw":
        return [r.median_ns for r in runs]
    refs = [r.ref_ratio for r in runs]
    return [x for x in refs if x] if all(refs) else None


def fit_time_prior(entries: Iterable[BaselineEntry], min_runs: int = 3) -> TimePrior:
    """Fit one prior per scale from every entry with at least min_runs usable saved runs.

    A whole baseline is known before anything is measured, so a benchmark decided on its own
    (the plugin) gets the same prior as one decided with the whole session (compare_all).
    """
    found: dict[str, tuple[list[float], list[float]]] = {s: ([], []) for s in SCALES}
    for entry in entries:
        runs = [r for r in entry.runs if r.median_ns > 0]
        if len(runs) < min_runs:
            continue
        for scale in SCALES:
            levels = _levels(runs, scale)
            if levels:
                spread = stats.level_spread(levels)
                found[scale][0].append(spread.var)
                found[scale][1].append(spread.df)
    return TimePrior({s: stats.fit_variance_prior(v, d) for s, (v, d) in found.items()})


@dataclass(frozen=True, slots=True)
class Scale:
    spread: stats.LevelSpread
    level_now: float
    within_var: float
    base_samples: tuple[float, ...]
    now_samples: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class TimeAnalysis:
    """Time analysis before the multiple-testing step."""

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
    errors: tuple[tuple[float, float], ...]
    """(se, df) of every scale tested: a real slowdown moves all of them, so the smallest
    detectable regression is that of the most sensitive scale, whichever won this time."""
    within_p: float | None = None
    """Few-runs path: within-run U test of the newest saved run's rounds against today's."""
    prior: stats.VariancePrior = stats.NO_PRIOR
    """The suite prior of the chosen scale (d0 = 0: none)."""
    moderated: bool = False
    """The prior moderated this benchmark's variance (False when its runs varied too much)."""
    floored: str = ""
    """"known" or "assumed" where the drift floor replaced a smaller spread (see _floored)."""


def scales(entry: BaselineEntry, now: Observation) -> dict[str, Scale] | None:
    """Each scale's spread and today's level; None without usable time in the baseline or now."""
    runs = [r for r in entry.runs if r.median_ns > 0]
    if not runs or now.median_ns <= 0:
        return None
    out = {
        "raw": Scale(
            stats.level_spread([r.median_ns for r in runs]),
            math.log(now.median_ns),
            stats.median_variance(now.samples_ns),
            runs[-1].samples_ns or (),
            now.samples_ns,
        )
    }
    refs = _levels(runs, "ref")
    if now.ref_ratio and refs:
        out["ref"] = Scale(
            stats.level_spread(refs),
            math.log(now.ref_ratio),
            stats.median_variance(now.ref_ratios),
            runs[-1].ref_ratios or (),
            now.ref_ratios,
        )
    return out


def _floored(
    spread: stats.LevelSpread, own: stats.LevelSpread, scale: str, policy: Policy
) -> tuple[stats.LevelSpread, str]:
    """The (moderated) spread, or the scale's drift floor where it is below, and which applied.

    Saved runs minutes apart understate the drift between sessions, so no benchmark is assumed
    to vary less than the floor. Where the benchmark's own saved runs show, by their upper
    confidence bound at the policy's confidence, that its run-to-run variance is below the
    floor, the floor is a policy value rather than an estimate and is tested as known (normal
    quantiles); otherwise the t test keeps the estimate's degrees of freedom.
    """
    floor = policy.drift_floor[0 if scale == "raw" else 1]
    if spread.var >= floor**2:
        return spread, ""
    known = stats.variance_upper(own.var, own.df, policy.confidence) < floor**2
    df = math.inf if known else spread.df
    return stats.LevelSpread(spread.mean, floor**2, df, spread.n), "known" if known else "assumed"


def analyse(found: dict[str, Scale], policy: Policy, prior: TimePrior) -> TimeAnalysis:
    runs = found["raw"].spread.n
    if runs >= policy.min_runs:
        # The reference cancels machine drift for pure-Python code but not for C-heavy code.
        # Picking the scale whose saved runs varied less would pick the variance that came out
        # low by chance (false failures in the simulation), so test both and keep the better,
        # with its p-value doubled (Bonferroni over the two scales). Each scale's variance is
        # moderated toward that scale's suite prior (Smyth 2004), which adds its df.
        tests = []
        for name, s in found.items():
            pooled = stats.moderate(s.spread, prior.get(name))
            spread, floored = _floored(pooled, s.spread, name, policy)
            t = stats.predictive_test(spread, s.level_now, s.within_var, policy.confidence)
            tests.append((t.p, name, t, spread, floored, pooled.df > s.spread.df))
        _, name, t, spread, floored, moderated = min(tests, key=lambda x: x[0])
        errors = tuple((x[2].se, x[2].df) for x in tests)
        change = math.expm1(t.delta)
        p = min(1.0, len(tests) * t.p)
        return TimeAnalysis(
            name,
            runs,
            change,
            change,
            t.interval,
            p,
            spread.sd,
            t.se,
            t.df,
            len(tests),
            errors,
            prior=prior.get(name),
            moderated=moderated,
            floored=floored,
        )
    # No trustworthy spread of our own: assume the worst drift measured on shared hosts (C-heavy
    # code, which the reference cannot correct) unless the saved runs show more.
    name = "ref" if "ref" in found else "raw"
    s = found[name]
    var = max(s.spread.var, policy.assumed_drift**2)
    assumed = stats.LevelSpread(s.spread.mean, var, math.inf, s.spread.n)
    t = stats.predictive_test(assumed, s.level_now, s.within_var, policy.confidence)
    # Both scales must agree on the change (raw drift reaches 2x on shared hosts; the reference
    # does not cancel it for C-heavy code), and as a supplementary check the newest saved run's
    # rounds must differ from today's by a within-run U test.
    changes = [math.expm1(x.level_now - x.spread.mean) for x in found.values()]
    same_sign = all(c > 0 for c in changes) or all(c < 0 for c in changes)
    decisive = min(changes, key=abs) if same_sign else 0.0
    within = None
    if s.base_samples and s.now_samples:
        within = stats.mann_whitney_p(s.base_samples, s.now_samples)
    return TimeAnalysis(
        name,
        runs,
        math.expm1(t.delta),
        decisive,
        t.interval,
        t.p,
        assumed.sd,
        t.se,
        t.df,
        1,
        ((t.se, t.df),),
        within,
    )


def time_metric(
    now_ns: float,
    t: TimeAnalysis,
    p_adj: float | None,
    family: int,
    correction: str,
    policy: Policy,
    min_effect: float,
    caveats: tuple[Caveat, ...],
) -> MetricComparison:
    """The time verdict and its decision: significant after correction and beyond the bar.
    `caveats` (another environment, a busy machine) make it advisory unless strict."""
    alpha = policy.alpha
    significant = p_adj is not None and p_adj < alpha
    numbers: dict[str, float] = {"runs": t.runs, "alpha": alpha, "family": family}
    texts = {"scale": t.scale, "correction": correction}
    if t.runs >= policy.min_runs:
        bar = min_effect
        kind = Rule.TIME_SAVED_RUNS
        numbers |= {"sd": t.sd, "min_effect": min_effect, "tries": t.tries, "df": t.df}
        if t.moderated or t.prior.d0 > 0:
            numbers |= {"prior_n": t.prior.n, "prior_d0": t.prior.d0}
            texts["prior"] = "moderated" if t.moderated else "not moderated"
        if t.floored:
            texts["floor"] = t.floored
    else:
        bar = max(min_effect, policy.large_effect)
        kind = Rule.TIME_FEW_RUNS
        numbers |= {"min_runs": policy.min_runs, "bar": bar, "drift": policy.assumed_drift}
        if t.within_p is not None:
            numbers["within_p"] = t.within_p
        significant = significant and t.within_p is not None and t.within_p < alpha
    level = alpha / family / t.tries
    detectable = max(bar, min(stats.detectable_change(se, df, level) for se, df in t.errors))
    verdict = uncalled(t.interval)
    if significant and t.decisive > bar:
        verdict = Verdict.REGRESSED
    elif significant and t.decisive < -bar:
        verdict = Verdict.IMPROVED
    decision = Decision(kind, numbers, texts, caveats, counted=policy.strict)
    advisory = policy.warn_only or (bool(caveats) and not policy.strict)
    # A change of -100% in float (levels 1e16 or more apart in a hand-edited file): no level.
    base = now_ns / (1 + t.change) if t.change > -1 else math.inf
    return MetricComparison(
        "time",
        base,
        now_ns,
        t.change,
        t.interval,
        p_adj,
        verdict,
        decision,
        detectable,
        advisory,
    )
