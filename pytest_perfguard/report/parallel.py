"""The figures of parallel benchmarks in words: threads and the Python build, ops/s, time per
op per thread, and for a sweep each count's speedup and efficiency with its interval."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_perfguard.judge.efficiency import sweep_estimates
from pytest_perfguard.model import BenchResult, Decision, Measurement, MetricComparison, Verdict
from pytest_perfguard.units import format_time

__all__ = [
    "efficiency_rule",
    "efficiency_sentence",
    "format_rate",
    "parallel_line",
    "parallel_lines",
]


def format_rate(per_s: float) -> str:
    """Operations per second with a k/M/G prefix: '1.23 kops/s'."""
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_s >= scale:
            return f"{per_s / scale:.3g} {prefix}ops/s"
    return f"{per_s:.3g} ops/s"


def parallel_line(m: Measurement) -> str | None:
    """One parallel measurement's figures in a line, or None for one that is not parallel."""
    if m.threads is None or m.ops_per_s is None:
        return None
    build = m.python_build or "unknown"
    threads = f"{m.threads} thread{'s' if m.threads > 1 else ''}"
    line = f"{threads} ({build} build): {format_rate(m.ops_per_s)}, "
    line += f"{format_time(m.median_ns)}/op per thread"
    for e in sweep_estimates(m):
        lo, hi = e.interval
        line += (
            f"; at {e.threads}: speedup {e.speedup:.2f}x, "
            f"efficiency {e.efficiency:.2f} [{lo:.2f}, {hi:.2f}]"
        )
    return line


def parallel_lines(results: Sequence[BenchResult]) -> list[str]:
    """'parallel: <node id>: <figures>' for each parallel benchmark, for the summary."""
    lines = []
    for r in results:
        line = parallel_line(r.measurement)
        if line is not None:
            lines.append(f"parallel: {r.nodeid}: {line}")
    return lines


def efficiency_sentence(m: MetricComparison) -> str:
    """The plain sentence of a sweep's efficiency verdict (judge/efficiency.py)."""
    size = f"{abs(m.change) * 100:.1f}%"
    if m.verdict is Verdict.REGRESSED:
        return f"Efficiency fell by {size}: the threads scale worse than in the saved runs."
    if m.verdict is Verdict.IMPROVED:
        return f"Efficiency rose by {size}: the threads scale better than in the saved runs."
    return f"Efficiency {m.change * 100:+.1f}%, not clearly different from the saved runs."


def efficiency_rule(m: MetricComparison, d: Decision) -> str:
    """How a sweep's efficiency was judged: as the time verdict judges tN / t1."""
    runs = int(d.numbers.get("runs", 0))
    p = "no p-value" if m.p_value is None else f"p = {m.p_value:.3g}"
    lo, hi = m.interval or (math.nan, math.nan)
    return (
        f"{m.metric} {m.verdict.value} {m.change * 100:+.1f}% [{lo * 100:+.1f}%, "
        f"{hi * 100:+.1f}%] (one thread's time per op over each thread's at this count, t1/tN, "
        f"per round, against {runs} saved run(s) of the same sweep, judged as time is: fails "
        f"beyond the minimum effect with the interval clear, whatever the machine's speed; "
        f"here {p})"
    )
