"""The rule for a benchmark's custom metrics (`perf.report`): registry entries made at run time,
judged beside the built-in ones by judge/evidence.py."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from pytest_perfguard.model import Decision, MetricComparison, Rule, Verdict
from pytest_perfguard.usermetrics import CustomMetric, value_of

__all__ = ["CUSTOM_PRECISION", "custom_metrics"]

CUSTOM_PRECISION = 1e-6
"""Relative: the baseline file keeps a custom value to 7 significant digits."""


def _verdict(worse: float, limit: float) -> Verdict:
    if worse > limit:
        return Verdict.REGRESSED
    if worse < -limit:
        return Verdict.IMPROVED
    return Verdict.UNCHANGED


def custom_metric(
    metric: CustomMetric, seen: Sequence[float], base_name: str, live: bool
) -> MetricComparison:
    """`metric` (now) against its values in the base's runs, oldest first (never empty).

    Exact: a value worse than every run's (beyond the file's rounding) regressed, one better
    than every run's improved. With a tolerance: against the runs' median, a move in the worse
    direction beyond that share of it regressed. With neither: the same with no tolerance, but
    advisory (shown, never failing)."""
    sign = 1.0 if metric.better == "lower" else -1.0
    now = metric.value
    if metric.exact:
        worst = max(seen, key=lambda v: sign * v)
        best = min(seen, key=lambda v: sign * v)
        base = seen[-1]
        slack = CUSTOM_PRECISION * max(abs(worst), abs(best))
        verdict = _verdict(sign * (now - worst), slack)
        if verdict is not Verdict.REGRESSED:
            verdict = _verdict(sign * (now - best), slack)
            verdict = Verdict.UNCHANGED if verdict is Verdict.REGRESSED else verdict
        limit = worst
    else:
        base = statistics.median(seen)
        share = metric.tolerance or 0.0
        slack = share * abs(base) + CUSTOM_PRECISION * abs(base)
        verdict = _verdict(sign * (now - base), slack)
        limit = base + sign * slack
    numbers = {"runs": float(len(seen)), "limit": limit}
    if metric.tolerance is not None:
        numbers["tolerance"] = metric.tolerance
    texts = {"unit": metric.unit, "better": metric.better, "base": base_name}
    texts["how"] = "exact" if metric.exact else "tolerance" if metric.tolerance is not None else ""
    if live:
        texts["ref"] = base_name
    delta = now - base
    change = delta / abs(base) if base else (0.0 if delta == 0 else float("inf"))
    return MetricComparison(
        metric.name,
        base,
        now,
        change,
        None,
        None,
        verdict,
        Decision(Rule.CUSTOM, numbers, texts),
        advisory=not metric.exact and metric.tolerance is None,
    )


def custom_metrics(
    runs: Sequence[object], now: object, base_name: str, live: bool
) -> list[MetricComparison]:
    """Each custom metric `now` reported that some base run has, in the order reported."""
    out = []
    for metric in getattr(now, "custom", ()):
        seen = [
            v for r in runs if (v := value_of(getattr(r, "custom", ()), metric.name)) is not None
        ]
        if seen:
            out.append(custom_metric(metric, seen, base_name, live))
    return out
