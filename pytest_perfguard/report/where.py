"""Word a regression's "where" (two profiles diffed) as lines of text (pure)."""

from __future__ import annotations

from pytest_perfguard.model import FunctionChange, Where
from pytest_perfguard.report.sitewords import site_lines, site_top
from pytest_perfguard.units import format_time

__all__ = ["base_text", "signed_count", "signed_time", "top_line", "where_lines"]


def _count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"


def signed_count(delta: float) -> str:
    return ("+" if delta >= 0 else "-") + _count(abs(delta))


def signed_time(ns: float) -> str:
    return ("+" if ns >= 0 else "-") + format_time(abs(ns))


def base_text(where: Where) -> str:
    """Which base the head's profile was diffed against."""
    return f"{where.base}, measured in this run" if where.live else f"the saved run of {where.base}"


def _time_line(c: FunctionChange) -> str:
    change = signed_time(c.head_own_ns - c.base_own_ns)
    return (
        f"{change} {c.where}: {format_time(c.base_own_ns)} -> {format_time(c.head_own_ns)} own, "
        f"{_count(c.base_calls)} -> {_count(c.head_calls)} calls"
    )


def _calls_line(c: FunctionChange) -> str:
    return f"{signed_count(c.head_calls - c.base_calls)} {c.where}: " + (
        f"{_count(c.base_calls)} -> {_count(c.head_calls)} calls"
    )


def where_lines(where: Where, top: int = 10) -> list[str]:
    """Where the time and the calls per op went, largest change first (profiled times are
    inflated by the profiler alike on both sides); then the allocation sites whose
    allocations and bytes per op changed most, where an allocation metric regressed."""
    lines = [f"where (per op, profiled; base: {base_text(where)}):"]
    if where.by_time:
        lines.append("  own time:")
        lines += [f"    {_time_line(c)}" for c in where.by_time[:top]]
    if where.by_calls:
        lines.append("  calls:")
        lines += [f"    {_calls_line(c)}" for c in where.by_calls[:top]]
    return lines + site_lines(where, top)


def top_line(where: Where) -> str:
    """The one function most likely at fault, for one-line outputs (annotations)."""
    parts = site_top(where)
    if where.by_calls:
        parts.append(f"most changed calls/op: {_calls_line(where.by_calls[0])}")
    if where.by_time:
        parts.append(f"most changed own time/op: {_time_line(where.by_time[0])}")
    return "; ".join(parts)
