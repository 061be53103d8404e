"""Render measured benchmarks as the terminal summary table (pure: results in, lines out)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.model import BenchResult
from pytest_perfguard.units import format_bytes, format_time

def _count(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.2f}"


def _row(result: BenchResult, indent: str) -> list[str]:
    m = result.measurement
    spread = f"±{m.spread_ns / m.median_ns:.1%}" if m.median_ns > 0 else "±n/a"
    peak = "n/a"
    if m.peak_memory_bytes is not None:
        peak = ("" if m.peak_memory_exact else ">=") + format_bytes(m.peak_memory_bytes)
    return [
        indent + result.nodeid,
        format_time(m.median_ns),
        spread,
        f"{m.rounds} x {m.loops}",
        f"{m.gc_collections_per_op:.2g}",
        _count(m.allocs_per_op),
        "n/a" if m.bytes_per_op is None else format_bytes(m.bytes_per_op),
        peak,
    ]


HEADER = [
    "benchmark",
    "time/op",
    "spread",
    "rounds x loops",
    "gc/op",
    "allocs/op",
    "B/op",
    "peak mem",
]


def render_results(results: Sequence[BenchResult]) -> list[str]:
    """The summary table: one row per benchmark, grouped by `group`, then the notes."""
    if not results:
        return []
    rows: list[list[str] | str] = []
    ungrouped = [r for r in results if r.group is None]
    rows.extend(_row(r, "") for r in ungrouped)
    for group in sorted({r.group for r in results if r.group is not None}):
        rows.append(f"group {group}:")
        rows.extend(_row(r, "  ") for r in results if r.group == group)

    table = [r for r in rows if isinstance(r, list)]
    widths = [max(len(cells[i]) for cells in [HEADER, *table]) for i in range(len(HEADER))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    lines = [line(HEADER)]
    lines.extend(line(r) if isinstance(r, list) else r for r in rows)
    by_note: dict[str, list[str]] = {}
    for result in results:
        for note in result.measurement.notes:
            by_note.setdefault(note, []).append(result.nodeid)
    for note, nodeids in by_note.items():
        who = nodeids[0] if len(nodeids) == 1 else f"{len(nodeids)} benchmarks"
        lines.append(f"note: {who}: {note}")
    return lines
