"""Pure numerics for the verdict: rank tests, multiple-testing corrections, run-to-run spread."""

from __future__ import annotations

import importlib
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "LevelSpread",
    "ShiftTest",
    "VariancePrior",
    "bonferroni",
    "detectable_change",
    "fit_variance_prior",
    "hodges_lehmann",
    "holm",
    "level_spread",
    "mann_whitney_p",
    "median_variance",
    "moderate",
    "predictive_test",
    "shift_interval",
    "shift_p",
    "variance_upper",
]


def _scipy(name: str) -> Any:
    """A scipy submodule, imported on first use: importing scipy takes over a second, and
    a pytest run that makes no verdict must not pay for it."""
    return importlib.import_module(f"scipy.{name}")


def preload() -> None:
    """Import the scipy modules the verdicts use now rather than at the first verdict."""
    for name in ("special", "stats"):
        _scipy(name)


def _special() -> Any:
    return _scipy("special")


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value of samples a against b (1.0 when either is too small)."""
    if len(a) < 2 or len(b) < 2:
        return 1.0
    return float(_scipy("stats").mannwhitneyu(a, b, alternative="two-sided").pvalue)


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values, in input order (family-wise error control)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        # max() keeps the adjusted values monotone in the sorted order, as the procedure requires.
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def bonferroni(pvalues: Sequence[float]) -> list[float]:
    """Bonferroni adjusted p-values, in input order."""
    return [min(1.0, len(pvalues) * p) for p in pvalues]


def hodges_lehmann(
    base: Sequence[float], current: Sequence[float], confidence: float = 0.95
) -> tuple[float, tuple[float, float]]:
    """Relative change current/base - 1 and its interval, from the shift of log samples.

    The estimate is the median of all pairwise log differences; the interval takes order
    statistics of those differences at the ranks where the U statistic reaches significance
    (normal approximation), so it needs no bootstrap and no distributional assumption.
    """
    if not base or not current:
        raise ValueError("hodges_lehmann needs samples on both sides")
    diffs = sorted(math.log(c) - math.log(b) for b in base for c in current)
    n, m = len(base), len(current)
    estimate = statistics.median(diffs)
    z = float(_scipy("stats").norm.ppf(0.5 + confidence / 2))
    k = math.floor(n * m / 2 - z * math.sqrt(n * m * (n + m + 1) / 12))
    k = max(0, min(k, len(diffs) - 1))
    low, high = diffs[k], diffs[len(diffs) - 1 - k]
    return _expm1(estimate), (_expm1(low), _expm1(high))


def _expm1(x: float) -> float:
    """exp(x) - 1 without OverflowError: a baseline's runs may lie 1e21 apart (hand-edited), and
    a t quantile far in the tail times that spread would overflow; 1e304 is as good as inf."""
    return math.expm1(min(x, 700.0))


@dataclass(frozen=True, slots=True)
class LevelSpread:
    """Where a benchmark's saved runs sit on the log scale and how much they vary between runs."""

    mean: float
    """Mean of the log run levels."""
    var: float
    """Sample variance of the log run levels (0.0 with a single run)."""
    df: float
    """Degrees of freedom of var: runs - 1."""
    n: int

    @property
    def sd(self) -> float:
        return math.sqrt(self.var)


def level_spread(levels: Sequence[float]) -> LevelSpread:
    """Run-to-run spread of positive per-run levels (medians or reference ratios), on log scale."""
    if not levels or any(v <= 0 for v in levels):
        raise ValueError("levels must be positive and non-empty")
    logs = [math.log(v) for v in levels]
    var = statistics.variance(logs) if len(logs) > 1 else 0.0
    return LevelSpread(statistics.fmean(logs), var, float(len(logs) - 1), len(logs))


def variance_upper(var: float, df: float, confidence: float) -> float:
    """Upper confidence bound of a true variance from a sample variance on df degrees of freedom."""
    if df <= 0:
        return math.inf
    return var * df / float(_scipy("stats").chi2.ppf(1 - confidence, df))


def median_variance(samples: Sequence[float]) -> float:
    """Variance of the log of a run's median, from its per-round samples (robust: MAD-based)."""
    if len(samples) < 2 or any(v <= 0 for v in samples):
        return 0.0
    logs = [math.log(v) for v in samples]
    centre = statistics.median(logs)
    sigma = 1.4826 * statistics.median(abs(x - centre) for x in logs)
    # The median of n normal draws has variance pi/2 * sigma^2 / n.
    return math.pi / 2 * sigma * sigma / len(logs)


def shift_p(delta: float, se: float, df: float) -> float:
    """Two-sided t p-value of a log shift delta with standard error se."""
    if se <= 0:
        return 0.0 if delta != 0 else 1.0
    return float(2 * _scipy("stats").t.sf(abs(delta) / se, df))


def shift_interval(delta: float, se: float, df: float, confidence: float) -> tuple[float, float]:
    """Interval of the relative change exp(delta) - 1 at the given confidence."""
    half = float(_scipy("stats").t.ppf(0.5 + confidence / 2, df)) * se
    return _expm1(delta - half), _expm1(delta + half)


def detectable_change(se: float, df: float, alpha: float) -> float:
    """Smallest relative slowdown a two-sided t test at level alpha would call significant."""
    return _expm1(float(_scipy("stats").t.isf(alpha / 2, df)) * se)


@dataclass(frozen=True, slots=True)
class ShiftTest:
    """A new run's log level tested against the saved runs' spread."""

    delta: float
    """Log of the new level over the saved runs' geometric mean."""
    se: float
    df: float
    p: float
    interval: tuple[float, float]
    """Interval of the relative change exp(delta) - 1."""


def predictive_test(
    spread: LevelSpread, level_now: float, within_var: float = 0.0, confidence: float = 0.95
) -> ShiftTest:
    """t test of a new run against the prediction interval of the saved runs.

    Each saved run is one observation of the benchmark's log level, so their variance is the
    run-to-run variance (within-run noise included). A new run deviates from their mean by one
    run's variance plus the mean's own uncertainty; the new run's own within-run variance widens
    that when it was noisier inside than the saved runs were between each other.
    """
    delta = level_now - spread.mean
    se = math.sqrt(spread.var / spread.n + max(spread.var, within_var))
    return ShiftTest(
        delta,
        se,
        spread.df,
        shift_p(delta, se, spread.df),
        shift_interval(delta, se, spread.df, confidence),
    )


@dataclass(frozen=True, slots=True)
class VariancePrior:
    """Scaled inverse chi-square prior of run-to-run variances across a suite (Smyth 2004)."""

    s0_sq: float
    """Prior variance (log scale)."""
    d0: float
    """Prior degrees of freedom: 0.0 means no moderation."""
    n: int
    """Variances the prior was fitted from."""


NO_PRIOR = VariancePrior(0.0, 0.0, 0)
MAX_PRIOR_DF = 100.0
MIN_PRIOR_COUNT = 3
OUTLIER_P = 0.05


def _trigamma_inverse(x: float) -> float:
    """y with trigamma(y) = x (trigamma falls from +inf at 0 to 0 at +inf)."""
    return float(
        _scipy("optimize").brentq(lambda y: float(_special().polygamma(1, y)) - x, 1e-8, 1e8)
    )


def fit_variance_prior(
    variances: Sequence[float],
    dfs: Sequence[float],
    *,
    max_df: float = MAX_PRIOR_DF,
    min_count: int = MIN_PRIOR_COUNT,
) -> VariancePrior:
    """Fit s0^2 and d0 by moments of the log variances (limma's fitFDist, without covariates).

    If s_i^2 | sigma_i^2 ~ sigma_i^2 chi2(d_i)/d_i and 1/sigma_i^2 ~ chi2(d0)/(d0 s0^2), then
    log s_i^2 - digamma(d_i/2) + log(d_i/2) has mean log s0^2 - digamma(d0/2) + log(d0/2) and
    variance trigamma(d_i/2) + trigamma(d0/2). The spread of log variances beyond sampling
    noise therefore measures how different the benchmarks' true variances are: a wide spread
    gives a small d0 (little moderation), none gives d0 = inf, capped at max_df. Variances of
    zero (and their df) are left out; fewer than min_count usable ones give no prior.
    """
    pairs = [(v, d) for v, d in zip(variances, dfs, strict=True) if v > 0 and d > 0]
    if len(pairs) < max(2, min_count):
        return VariancePrior(0.0, 0.0, len(pairs))
    half = [d / 2 for _, d in pairs]
    e = [math.log(v) - float(_special().digamma(d / 2)) + math.log(d / 2) for v, d in pairs]
    mean = statistics.fmean(e)
    excess = statistics.variance(e) - statistics.fmean(
        float(_special().polygamma(1, h)) for h in half
    )
    if excess <= float(_special().polygamma(1, max_df / 2)):
        d0 = max_df
    else:
        d0 = 2 * _trigamma_inverse(excess)
    s0_sq = math.exp(mean + float(_special().digamma(d0 / 2)) - math.log(d0 / 2))
    return VariancePrior(s0_sq, d0, len(pairs))


def moderate(
    spread: LevelSpread, prior: VariancePrior, outlier_p: float = OUTLIER_P
) -> LevelSpread:
    """The posterior variance (d0 s0^2 + d s^2) / (d0 + d) on d0 + d degrees of freedom.

    Under the prior, s^2 / s0^2 ~ F(d, d0). A benchmark whose runs varied more than that
    allows (upper tail p < outlier_p) is not one of the suite's kind (C-heavy code in a
    pure-Python suite): shrinking it toward the quiet suite would fail it on its own noise,
    so it keeps its own variance and df (limma's robust=TRUE guards the same case).
    """
    if prior.d0 <= 0 or spread.df <= 0:
        return spread
    if float(_scipy("stats").f.sf(spread.var / prior.s0_sq, spread.df, prior.d0)) < outlier_p:
        return spread
    df = prior.d0 + spread.df
    var = (prior.d0 * prior.s0_sq + spread.df * spread.var) / df
    return LevelSpread(spread.mean, var, df, spread.n)
