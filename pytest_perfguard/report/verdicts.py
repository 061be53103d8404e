"""How a verdict reads in every renderer: one word, and what an inconclusive change can detect."""

from __future__ import annotations

from pytest_perfguard.model import Comparison, MetricComparison, Verdict

__all__ = ["comparison_verdict", "metric_verdict"]


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
