"""Statistics of same-job A/B rounds: paired head/base ratios to estimate, test and verdict."""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

from pytest_perfguard.judge.policy import Policy, uncalled
from pytest_perfguard.judge.stats import _scipy
from pytest_perfguard.model import Caveat, Decision, MetricComparison, Rule, Verdict

__all__ = [
    "PairedEstimate",
    "detectable_change",
    "paired_estimate",
    "paired_time_metric",
    "settled",
    "with_process_variance",
]

EXACT_MAX = 50
"""Up to this many pairs the interval's ranks come from the exact signed-rank distribution (as
scipy's wilcoxon p-value does); beyond, from its normal approximation with continuity correction."""
EXACT_SETTLE_MAX = 200
"""settled() beyond this many pairs uses the median's normal interval: O(n log n) per look."""
POWER_Z = statistics.NormalDist().inv_cdf(0.8)
HL_EFFICIENCY = math.sqrt(math.pi / 3)
"""sd of the Hodges-Lehmann estimate over that of the mean, for normal data (ARE 3/pi)."""


@dataclass(frozen=True, slots=True)
class PairedEstimate:
    """What n paired rounds say about head against base (relative changes, head/base - 1)."""

    n: int
    change: float
    """exp(Hodges-Lehmann estimate of the log-ratios: median of Walsh averages) - 1."""
    interval: tuple[float, float]
    """Wilcoxon signed-rank confidence interval of the change (distribution-free)."""
    p: float
    """Two-sided Wilcoxon signed-rank p-value of the log-ratios against 0."""
    spread: float
    """Robust sd of the log-ratios: 1.4826 * MAD."""
    process_sd: float = 0.0
    """The sd (log) between two processes of identical code taken into the interval and p
    (`with_process_variance`, or measured over several process pairs and pooled with A/A's:
    judge/grouped.py); 0: the pairs' own variation only."""
    processes: int = 1
    """Pairs of worker processes whose rounds the estimate spans."""
    se: float | None = None
    """Standard error (log) of the estimate over several process pairs, on `df` degrees of
    freedom; None: from the pairs' spread (and `process_sd`) as above."""
    df: float = math.inf


def _logs(ratios: Sequence[float]) -> list[float]:
    if not ratios or not all(math.isfinite(r) and r > 0 for r in ratios):
        raise ValueError("ratios must be a non-empty sequence of finite positive numbers")
    return sorted(math.log(r) for r in ratios)


def _count_le(xs: list[float], v: float) -> int:
    """Pair sums xs[i] + xs[j], i <= j, at most v (xs sorted; two pointers, O(n))."""
    count, j = 0, len(xs) - 1
    for i, x in enumerate(xs):
        while j >= i and x + xs[j] > v:
            j -= 1
        if j < i:
            break
        count += j - i + 1
    return count


def _sums_between(xs: list[float], lo: float, hi: float) -> list[float]:
    """Pair sums in (lo, hi], with the same arithmetic as _count_le."""
    out: list[float] = []
    a = b = len(xs) - 1
    for i, x in enumerate(xs):
        while b >= i and x + xs[b] > hi:
            b -= 1
        while a >= i and x + xs[a] > lo:
            a -= 1
        if b < i:
            break
        out.extend(x + xs[j] for j in range(max(a + 1, i), b + 1))
    return out


def _walsh(xs: list[float], k: int) -> float:
    """The k-th smallest (0-based) Walsh average of sorted xs without forming all n(n+1)/2 of
    them: bisect on the value until at most ~n sums remain in the bracket, then sort those."""
    lo, hi = 2 * xs[0], 2 * xs[-1]
    below = _count_le(xs, lo)  # then invariant: below <= k < _count_le(xs, hi)
    if below > k:
        return xs[0]
    inside = len(xs) * (len(xs) + 1) // 2 - below
    while inside > max(len(xs), 64):
        mid = lo + (hi - lo) / 2
        if not lo < mid < hi:
            return hi / 2  # adjacent floats: the k-th sum is hi
        c = _count_le(xs, mid)
        if c > k:
            hi, inside = mid, c - below
        else:
            lo, below, inside = mid, c, inside - (c - below)
    return sorted(_sums_between(xs, lo, hi))[k - below] / 2


@functools.lru_cache(maxsize=64)
def _exact_rank(n: int, tail: float) -> int:
    """Largest c with P(T+ <= c) <= tail under the null (-1 if none), T+ by counting subsets."""
    counts = [1] + [0] * (n * (n + 1) // 2)
    for r in range(1, n + 1):
        for t in range(r * (r + 1) // 2, r - 1, -1):
            counts[t] += counts[t - r]
    total, c, cum = 2**n, -1, 0
    for t, k in enumerate(counts):
        cum += k
        if cum > tail * total:
            break
        c = t
    return c


def _rank(n: int, confidence: float) -> int:
    """0-based rank c of the interval's lower Walsh average, P(T+ <= c) <= (1 - confidence)/2
    (Hollander & Wolfe); -1 when too few pairs reach the confidence at all."""
    tail = (1 - confidence) / 2
    if n <= EXACT_MAX:
        return _exact_rank(n, tail)
    z = statistics.NormalDist().inv_cdf(1 - tail)
    mean, sd = n * (n + 1) / 4, math.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    return max(-1, math.floor(mean - z * sd - 0.5))


def _interval(xs: list[float], confidence: float) -> tuple[float, float]:
    """Relative interval; (-1, inf) when the pairs are too few for this confidence."""
    total = len(xs) * (len(xs) + 1) // 2
    k = min(_rank(len(xs), confidence), (total - 1) // 2)
    if k < 0:
        return -1.0, math.inf
    return math.expm1(_walsh(xs, k)), math.expm1(_walsh(xs, total - 1 - k))


def _spread(xs: list[float]) -> float:
    centre = statistics.median(xs)
    return 1.4826 * statistics.median(abs(x - centre) for x in xs)


def _wilcoxon_p(xs: list[float]) -> float:
    nonzero = [x for x in xs if x != 0]
    if len(nonzero) < 2:
        return 1.0
    p = float(_scipy("stats").wilcoxon(nonzero).pvalue)
    return p if math.isfinite(p) else 1.0


def paired_estimate(ratios: Sequence[float], confidence: float = 0.95) -> PairedEstimate:
    """Estimate, interval, p-value and spread of paired head/base per-op time ratios.

    The interval is [W(k), W(N-1-k)] of the N sorted Walsh averages, k from the exact signed-rank
    null distribution for n <= EXACT_MAX (coverage >= confidence) and from its normal
    approximation with continuity correction beyond; (-1, inf) if 2/2^n > 1 - confidence.
    Zero log-ratios are dropped from the test (scipy's zero_method="wilcox").
    """
    xs = _logs(ratios)
    total = len(xs) * (len(xs) + 1) // 2
    mid = (_walsh(xs, (total - 1) // 2) + _walsh(xs, total // 2)) / 2
    return PairedEstimate(
        len(xs), math.expm1(mid), _interval(xs, confidence), _wilcoxon_p(xs), _spread(xs)
    )


def _pairs_se(spread: float, n: int) -> float:
    """Standard error of the estimate (log) from the pairs alone."""
    return HL_EFFICIENCY * spread / math.sqrt(n)


def with_process_variance(
    estimate: PairedEstimate, process_sd: float, confidence: float = 0.95
) -> PairedEstimate:
    """The estimate with the variation between processes added: two processes of identical
    code differ systematically (code layout, allocator state), which no number of pairs
    averages away. Interval and p come from a normal model of the log change with standard
    error sqrt(se_pairs^2 + process_sd^2)."""
    if process_sd <= 0 or estimate.n < 1:
        return estimate
    centre = math.log1p(estimate.change)
    se = math.hypot(_pairs_se(estimate.spread, estimate.n), process_sd)
    normal = statistics.NormalDist()
    z = normal.inv_cdf(0.5 + confidence / 2)
    p = 2 * (1 - normal.cdf(abs(centre) / se))
    interval = (math.expm1(centre - z * se), math.expm1(centre + z * se))
    return replace(estimate, interval=interval, p=p, process_sd=process_sd)


def detectable_change(estimate: PairedEstimate, level: float) -> float:
    """Smallest relative regression found with 80% power by a two-sided test at `level`.

    Over several process pairs: (t(1 - level/2) + t(0.8)) * se on the estimate's df. For one:

    expm1((z(1 - level/2) + z(0.8)) * sqrt(pi/3) * spread / sqrt(n)): assumes independent pairs
    with normal log-ratios of sd `spread`; sqrt(pi/3) is the Hodges-Lehmann/Wilcoxon cost over
    a t test on normal data. inf when no n-pair signed-rank test can reach `level` (2/2^n).
    """
    if estimate.se is not None:
        t, df = _scipy("stats").t, estimate.df
        return math.expm1(float(t.isf(level / 2, df) + t.ppf(0.8, df)) * estimate.se)
    if estimate.n < 1 or 2.0 ** (1 - estimate.n) >= level:
        return math.inf
    z = statistics.NormalDist().inv_cdf(1 - level / 2) + POWER_Z
    se = math.hypot(_pairs_se(estimate.spread, estimate.n), estimate.process_sd)
    return math.expm1(z * se)


def settled(
    ratios: Sequence[float],
    min_effect: float,
    level: float,
    min_pairs: int = 10,
    process_sd: float = 0.0,
) -> bool:
    """Whether enough pairs have been run: the sequential stop rule.

    True once there are min_pairs pairs and the interval at confidence 1 - level straddles
    neither +min_effect nor -min_effect (regressed, improved or unchanged beyond doubt). Looking
    again every few pairs inflates the error rate somewhat; the min_effect bar and the correction
    over benchmarks (pass the corrected level) absorb it. Up to EXACT_SETTLE_MAX pairs the
    interval is the Wilcoxon one; beyond, median(log) +- z * sqrt(pi/2) * spread / sqrt(n),
    the normal interval of the median, so a look costs O(n log n).
    """
    if len(ratios) < max(1, min_pairs):
        return False
    xs = _logs(ratios)
    if process_sd > 0:
        # The process-to-process variation dominates once the pairs' own error is well below
        # it: more pairs cannot narrow the interval further.
        pairs_se = math.sqrt(math.pi / 2) * _spread(xs) / math.sqrt(len(xs))
        if pairs_se < process_sd / 3:
            return True
        z = statistics.NormalDist().inv_cdf(1 - level / 2)
        centre, half = statistics.median(xs), z * math.hypot(pairs_se, process_sd)
        lo, hi = math.expm1(centre - half), math.expm1(centre + half)
    elif len(xs) <= EXACT_SETTLE_MAX:
        lo, hi = _interval(xs, 1 - level)
    else:
        z = statistics.NormalDist().inv_cdf(1 - level / 2)
        half = z * math.sqrt(math.pi / 2) * _spread(xs) / math.sqrt(len(xs))
        centre = statistics.median(xs)
        lo, hi = math.expm1(centre - half), math.expm1(centre + half)
    return not lo < min_effect < hi and not lo < -min_effect < hi


def paired_time_metric(
    base_ns: float,
    head_ns: float,
    estimate: PairedEstimate,
    p_adj: float | None,
    family: int,
    correction: str,
    policy: Policy,
    min_effect: float,
    bias_floor: float,
    ref: str,
    caveats: tuple[Caveat, ...] = (),
) -> MetricComparison:
    """The time verdict from paired rounds: significant after correction and beyond the bar.
    `caveats` make it advisory unless strict."""
    alpha, family = policy.alpha, max(1, family)
    bar = max(min_effect, bias_floor)
    significant = p_adj is not None and p_adj < alpha
    verdict = uncalled(estimate.interval)
    if significant and estimate.change > bar:
        verdict = Verdict.REGRESSED
    elif significant and estimate.change < -bar:
        verdict = Verdict.IMPROVED
    detectable = max(bar, detectable_change(estimate, alpha / family))
    numbers = {
        "pairs": estimate.n,
        "process_sd": estimate.process_sd,
        "min_effect": min_effect,
        "bias_floor": bias_floor,
        "alpha": alpha,
        "family": family,
        "processes": estimate.processes,
    }
    texts = {"ref": ref, "correction": correction}
    decision = Decision(Rule.TIME_PAIRED, numbers, texts, caveats, counted=policy.strict)
    advisory = policy.warn_only or (bool(caveats) and not policy.strict)
    return MetricComparison(
        "time",
        base_ns,
        head_ns,
        estimate.change,
        estimate.interval,
        p_adj,
        verdict,
        decision,
        detectable,
        advisory,
    )
