"""The figures of parallel benchmarks in words: threads and the Python build, ops/s, time per
op per thread, and for a sweep each count's speedup and efficiency with its interval."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.judge.efficiency import sweep_estimates
from pytest_perfguard.model import BenchResult, Measurement
from pytest_perfguard.units import format_time

__all__ = ["format_rate", "parallel_line", "parallel_lines"]


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
