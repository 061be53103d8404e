"""How a verdict reads in every renderer (one word, and what an inconclusive change can
detect), and the warning that a saved run cannot be right."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_perfguard.model import Comparison, MetricComparison, Verdict
from pytest_perfguard.units import format_time

if TYPE_CHECKING:
    from pytest_perfguard.judge.sanity import OutlyingRun

__all__ = ["comparison_verdict", "metric_verdict", "outlier_text"]


def metric_verdict(m: MetricComparison, *, advisory: bool = False) -> str:
    """The verdict of one metric: its word, "inconclusive (detects > 39%)" for a change whose
    interval excludes zero that the rule cannot call; with `advisory`, "(advisory)" where the
    metric is advisory ("unchanged (advisory)", "inconclusive (advisory, detects > 39%)")."""
    tags = ["advisory"] if advisory and m.advisory else []
    if m.verdict is Verdict.INCONCLUSIVE and m.detectable is not None:
        tags.append(f"detects > {m.detectable:.0%}")
    return m.verdict.value + (f" ({', '.join(tags)})" if tags else "")


def comparison_verdict(c: Comparison) -> str:
    """A benchmark's verdict in words: an inconclusive one says what its time can detect."""
    time = next((m for m in c.metrics if m.verdict is Verdict.INCONCLUSIVE), None)
    if c.verdict is Verdict.INCONCLUSIVE and time is not None:
        return metric_verdict(time)
    return c.verdict.value


def outlier_text(o: OutlyingRun) -> str:
    """A saved run far from its siblings, named by entry and run."""
    how = f"{o.factor:.1f}x slower" if o.factor > 1 else f"{1 / o.factor:.1f}x faster"
    return (
        f"baseline entry {o.nodeid}: its saved run of {o.timestamp} is {how} than the median "
        f"of its {o.siblings} saved runs ({format_time(o.median_ns)} against "
        f"{format_time(o.siblings_ns)}); a hand-edited file? Time verdicts against it are "
        "unreliable until that run is fixed or removed"
    )
