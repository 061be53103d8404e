"""How a benchmark's cost grows with its input size: the log-log exponent with a 95% interval,
and the complexity class that fits best (as Google Benchmark's `Complexity()`, plus a constant
term for the fixed per-call cost), and the verdicts on them.

Pure: sizes and per-size values in, numbers out. Time values should be machine-independent
(each round's ns/op over the interleaved reference round's, so drift between sizes measured
seconds apart cancels); exact counts are one value per size.
"""

from __future__ import annotations

import enum
import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_perfguard.complexity import CLASSES, Complexity, class_named

__all__ = [
    "CLASSES",
    "MIN_SIZES",
    "MIN_SPAN",
    "Complexity",
    "Fit",
    "ScalingVerdict",
    "class_named",
    "compare_fits",
    "fit",
    "group_problem",
    "local_exponent",
    "over_limit",
]

MIN_SIZES = 3
MIN_SPAN = 8.0
"""A group needs at least 3 sizes, the largest at least 8x the smallest."""

Z95 = 1.959964
CLEAR_RMS = 0.05
STEEPER = 0.05
"""How far the data's exponent may lie above a class's own slope before it rules the class out."""
"""A class fit is clear when its RMS error is at most 5% of the mean value."""


def group_problem(sizes: Sequence[object]) -> str | None:
    """Why these parametrized sizes cannot form a scaling group, or None."""
    bad = [s for s in sizes if isinstance(s, bool) or not isinstance(s, int) or s <= 0]
    if bad:
        return f"sizes must be positive ints, got {bad[0]!r}"
    distinct = sorted({s for s in sizes if isinstance(s, int)})
    if len(distinct) < MIN_SIZES:
        return f"needs at least {MIN_SIZES} sizes, got {len(distinct)} ({_listed(distinct)})"
    span = distinct[-1] / distinct[0]
    if span < MIN_SPAN:
        return (
            f"sizes must span at least {MIN_SPAN:g}x, got {span:.3g}x "
            f"({distinct[0]} to {distinct[-1]})"
        )
    return None


def _listed(values: Sequence[object]) -> str:
    return ", ".join(str(v) for v in values)


@dataclass(frozen=True, slots=True)
class Fit:
    """One metric of one group."""

    sizes: tuple[int, ...]
    values: tuple[float, ...]
    """The centre of each size's samples (median)."""
    exponent: float
    """The log-log slope: 1 for linear, 2 for quadratic (lower at small n where a fixed cost
    weighs in)."""
    low: float
    high: float
    """The exponent's 95% interval, from the spread of each size's samples (zero width for
    exact counts)."""
    best: Complexity
    rms: float
    """The best class's RMS relative error (each size's error over its value)."""
    coefficient: float
    constant: float
    """value ~= constant + coefficient * best.f(n)."""

    @property
    def se(self) -> float:
        return (self.high - self.low) / (2 * Z95)

    @property
    def clear(self) -> bool:
        return self.rms <= CLEAR_RMS


def _centre_and_se(samples: Sequence[float]) -> tuple[float, float]:
    """Median of one size's samples and the standard error of its log."""
    centre = statistics.median(samples)
    if len(samples) < 2 or centre <= 0:
        return centre, 0.0
    logs = [math.log(s) for s in samples if s > 0]
    if len(logs) < 2:
        return centre, 0.0
    mid = statistics.median(logs)
    mad = statistics.median(abs(x - mid) for x in logs) * 1.4826
    sd = mad if mad > 0 else statistics.stdev(logs)
    return centre, 1.2533 * sd / math.sqrt(len(logs))  # the median's standard error


def _slope(xs: Sequence[float], ys: Sequence[float], ws: Sequence[float]) -> tuple[float, float]:
    """Weighted least-squares slope and its standard error given the weights are 1/var."""
    total = sum(ws)
    mx = sum(w * x for w, x in zip(ws, xs, strict=True)) / total
    my = sum(w * y for w, y in zip(ws, ys, strict=True)) / total
    sxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs, strict=True))
    sxy = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs, ys, strict=True))
    return sxy / sxx, math.sqrt(1.0 / sxx)


def _class_fit(
    c: Complexity, sizes: Sequence[int], ys: Sequence[float]
) -> tuple[float, float, float]:
    """(rms, coefficient, constant) of y = a + b f(n) with a, b >= 0, fitted to relative errors
    (each size weighs the same whatever its value; sizes span decades). rms is the root mean
    square of those relative errors."""
    fs = [c.f(n) for n in sizes]
    sw = swf = swy = swff = swfy = 0.0
    for f, y in zip(fs, ys, strict=True):
        w = 1.0 / (y * y) if y > 0 else 0.0
        sw += w
        swf += w * f
        swy += w * y
        swff += w * f * f
        swfy += w * f * y
    candidates = [(swy / sw, 0.0)]  # a constant
    if swff > 0:
        candidates.append((0.0, swfy / swff))  # through the origin
    det = sw * swff - swf * swf
    if det > 1e-12 * sw * swff:
        b = (sw * swfy - swf * swy) / det
        a = (swy - b * swf) / sw
        if a >= 0 and b >= 0:
            candidates.append((a, b))
    best = (math.inf, 0.0, 0.0)
    for a, b in candidates:
        sq = 0.0
        for f, y in zip(fs, ys, strict=True):
            if y > 0:
                sq += ((y - a - b * f) / y) ** 2
        if sq < best[0]:
            best = (sq, b, a)
    sq, b, a = best
    return math.sqrt(sq / len(ys)), b, a


def fit(sizes: Sequence[int], samples: Sequence[Sequence[float]]) -> Fit | str:
    """The fit of one metric over a group: each size's samples (per-round values, or one exact
    count). A string says why it cannot be fitted (a size measured nothing, or zero at some
    sizes only)."""
    if len(sizes) != len(samples) or len(sizes) < 2:
        raise ValueError("fit() needs one sample list per size, two sizes or more")
    order = sorted(range(len(sizes)), key=lambda i: sizes[i])
    ns = [sizes[i] for i in order]
    stats = []
    for i in order:
        if not samples[i]:
            return f"nothing measured at n={sizes[i]}"
        stats.append(_centre_and_se(samples[i]))
    ys = [c for c, _ in stats]
    if all(y == 0 for y in ys):
        one = CLASSES[0]
        return Fit(tuple(ns), tuple(ys), 0.0, 0.0, 0.0, one, 0.0, 0.0, 0.0)
    zero = [n for n, y in zip(ns, ys, strict=True) if y <= 0]
    if zero:
        return f"zero at n={_listed(zero)} and not at every size: no exponent"
    xs = [math.log(n) for n in ns]
    logs = [math.log(y) for y in ys]
    ses = [se for _, se in stats]
    if any(se > 0 for se in ses):
        floor = min(se for se in ses if se > 0) * 0.1
        weights = [1.0 / max(se, floor) ** 2 for se in ses]
        exponent, se_b = _slope(xs, logs, weights)
    else:  # exact values: an ordinary fit, no interval
        exponent, se_b = _slope(xs, logs, [1.0] * len(xs))[0], 0.0
    # A class counts only where its term carries at least half the value at the largest size
    # (a constant cost with a slight drift is O(1), not a + b log n with a tiny b). And data
    # clearly steeper than 1 or n is not that class but its log sibling: a constant term can
    # only flatten a class's slope (sorting at n^1.16 is n log n, though a + b n fits within
    # 2%). Higher powers are not ruled out so: effects that start at some size (CPython's cached
    # small ints) steepen n^2 data to n^2.3 over small sizes.
    low = exponent - Z95 * se_b
    candidates = [
        (c, rms, b, a)
        for c in CLASSES
        for rms, b, a in [_class_fit(c, ns, ys)]
        if c is CLASSES[0] or b * c.f(ns[-1]) >= a
    ]
    fits = [
        f
        for f in candidates
        if f[0].name not in ("1", "n") or local_exponent(f[0], ns) >= low - STEEPER
    ] or candidates
    best_rms = min(rms for _, rms, _, _ in fits)
    # Among the classes that fit about as well as the best (noise can favour a richer model, and
    # a constant term lets neighbours mimic each other), the one whose own slope over these
    # sizes is nearest the data's exponent.
    margin = max(0.01, 0.25 * best_rms, statistics.fmean(ses))
    close = [f for f in fits if f[1] <= best_rms + margin]
    c, rms, b, a = min(close, key=lambda f: abs(local_exponent(f[0], ns) - exponent))
    return Fit(tuple(ns), tuple(ys), exponent, low, exponent + Z95 * se_b, c, rms, b, a)


class ScalingVerdict(enum.Enum):
    UNCHANGED = "unchanged"
    REGRESSED = "regressed"
    IMPROVED = "improved"


def compare_fits(base: Fit, head: Fit, tolerance: float) -> tuple[ScalingVerdict, str]:
    """Regressed when the exponent grew by more than `tolerance` with the interval of the
    growth clear of it, or when the class rose a full power with both fits clear."""
    delta = head.exponent - base.exponent
    se = math.hypot(base.se, head.se)
    low, high = delta - Z95 * se, delta + Z95 * se
    said = (
        f"exponent {base.exponent:.2f} -> {head.exponent:.2f} "
        f"({delta:+.2f} [{low:+.2f}, {high:+.2f}]), "
        f"class O({base.best.name}) -> O({head.best.name})"
    )
    rose = head.best.power > base.best.power and base.clear and head.clear
    if low > tolerance or (rose and delta > 0):
        return ScalingVerdict.REGRESSED, said
    fell = head.best.power < base.best.power and base.clear and head.clear
    if high < -tolerance or (fell and delta < 0):
        return ScalingVerdict.IMPROVED, said
    return ScalingVerdict.UNCHANGED, said


def local_exponent(c: Complexity, sizes: Sequence[int]) -> float:
    """The log-log slope of the class itself over these sizes (n log n over 1e3..1e5: 1.17)."""
    return _local_exponent(c, tuple(sizes))


@functools.lru_cache(maxsize=256)
def _local_exponent(c: Complexity, sizes: tuple[int, ...]) -> float:
    if c.name == "1":
        return 0.0
    xs = [math.log(n) for n in sizes]
    ys = [math.log(max(c.f(n), 1e-300)) for n in sizes]
    return _slope(xs, ys, [1.0] * len(xs))[0]


def over_limit(f: Fit, limit: Complexity, tolerance: float) -> str | None:
    """Why the group grows faster than `limit_scaling` allows, or None: the exponent's interval
    lies above the class's own slope over these sizes by more than `tolerance`."""
    allowed = local_exponent(limit, f.sizes)
    if f.low > allowed + tolerance:
        return (
            f"grows as n^{f.exponent:.2f} [{f.low:.2f}, {f.high:.2f}] (best fit O({f.best.name})), "
            f"beyond limit_scaling O({limit.name}) (n^{allowed:.2f} over these sizes, "
            f"+{tolerance:g} allowed)"
        )
    return None
