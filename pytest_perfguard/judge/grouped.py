"""Same-job A/B over several pairs of worker processes: each process pair's rounds estimate the
change plus that pair's own systematic difference (code layout, allocator state), and the
spread between the pairs measures it for this benchmark (README: "Comparing with the base
revision in the same job").

The model, per benchmark: the log-ratio of a pair of rounds run by process pair g is
mu + delta_g + noise. The estimate of mu is the mean over the K process pairs of each one's
Hodges-Lehmann estimate; its error comes from their spread, K - 1 degrees of freedom, pooled
with a prior measured by A/A runs (`ProcessPrior`, worth `df` process pairs) as in empirical
Bayes "moderated t" tests (Smyth 2004): a benchmark whose process pairs agree cannot claim less
variation than A/A runs showed, and one whose pairs disagree (an unlucky layout in one
process) widens its own interval.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_perfguard.judge.paired import (
    PairedEstimate,
    _logs,
    _pairs_se,
    _spread,
    _walsh,
    paired_estimate,
    with_process_variance,
)
from pytest_perfguard.judge.stats import _scipy

__all__ = ["MIN_GROUP_PAIRS", "ProcessPrior", "grouped_estimate", "grouped_settled"]

MIN_GROUP_PAIRS = 5
"""Pairs of rounds each process pair runs before the stop rule may end the rounds."""


@dataclass(frozen=True, slots=True)
class ProcessPrior:
    """What A/A runs showed about one process pair's systematic difference."""

    sd: float
    """sd (log) of a process pair's difference when both run identical code."""
    df: float
    """How many process pairs' worth of evidence the prior counts as."""


def _by_group(ratios: Sequence[float], groups: Sequence[int]) -> list[list[float]]:
    """Sorted log-ratios per process pair, those with at least two pairs of rounds."""
    if len(groups) != len(ratios):
        raise ValueError(f"{len(ratios)} ratios but {len(groups)} process pair numbers")
    out: dict[int, list[float]] = {}
    for ratio, group in zip(ratios, groups, strict=True):
        out.setdefault(group, []).append(ratio)
    return [_logs(rs) for rs in out.values() if len(rs) >= 2]


def _centre(xs: list[float]) -> float:
    """Hodges-Lehmann estimate of sorted logs: the median of their Walsh averages."""
    total = len(xs) * (len(xs) + 1) // 2
    return (_walsh(xs, (total - 1) // 2) + _walsh(xs, total // 2)) / 2


def _over_pairs(
    by_group: list[list[float]], n: int, prior: ProcessPrior, confidence: float
) -> tuple[PairedEstimate, float]:
    """The estimate over two or more process pairs, and the mean squared error of their
    own estimates (from their rounds alone)."""
    k = len(by_group)
    spreads = [_spread(xs) for xs in by_group]
    within = statistics.fmean(
        _pairs_se(spread, len(xs)) ** 2 for spread, xs in zip(spreads, by_group, strict=True)
    )
    centres = [_centre(xs) for xs in by_group]
    mu = statistics.fmean(centres)
    df = prior.df + k - 1
    variance = (prior.df * (prior.sd**2 + within) + (k - 1) * statistics.variance(centres)) / df
    se = math.sqrt(variance / k)
    t = _scipy("stats").t
    if se > 0:
        p = float(2 * t.sf(abs(mu) / se, df))
        half = float(t.ppf(0.5 + confidence / 2, df)) * se
    else:
        p, half = (1.0 if mu == 0 else 0.0), 0.0
    interval = (math.expm1(mu - half), math.expm1(mu + half))
    estimate = PairedEstimate(
        n, math.expm1(mu), interval, p, statistics.fmean(spreads), math.sqrt(variance), k, se, df
    )
    return estimate, within


def grouped_estimate(
    ratios: Sequence[float],
    groups: Sequence[int],
    prior: ProcessPrior,
    confidence: float = 0.95,
) -> PairedEstimate:
    """The change from rounds spread over process pairs (`groups[i]`: the pair that ran
    `ratios[i]`), with a t interval and p-value on the moderated spread between the pairs.

    With fewer than two process pairs of two pairs of rounds each, the one-pair estimate with
    the prior's sd as a known process variation (`with_process_variance`)."""
    by_group = _by_group(ratios, groups)
    if len(by_group) < 2:
        return with_process_variance(paired_estimate(ratios, confidence), prior.sd, confidence)
    return _over_pairs(by_group, len(ratios), prior, confidence)[0]


def grouped_settled(
    ratios: Sequence[float],
    groups: Sequence[int],
    processes: int,
    min_effect: float,
    level: float,
    prior: ProcessPrior,
) -> bool:
    """Whether rounds spread over `processes` (two or more) process pairs may stop: each pair
    has run MIN_GROUP_PAIRS pairs of rounds, and either the interval at confidence 1 - level is
    clear of both +min_effect and -min_effect, or the pairs' own error is well below the
    prior's process variation (more rounds would barely narrow the interval: only more
    processes would)."""
    by_group = _by_group(ratios, groups)
    if len(by_group) < max(2, processes) or min(map(len, by_group)) < MIN_GROUP_PAIRS:
        return False
    estimate, within = _over_pairs(by_group, len(ratios), prior, 1 - level)
    lo, hi = estimate.interval
    if not lo < min_effect < hi and not lo < -min_effect < hi:
        return True
    return math.sqrt(within) < prior.sd / 3
