"""Word a "where"'s allocation sites (two site tables diffed) as lines of text (pure)."""

from __future__ import annotations

from pytest_perfguard.model import SiteChange, Where
from pytest_perfguard.units import format_bytes

__all__ = ["allocs_text", "bytes_text", "objects_text", "site_lines", "site_tables", "site_top"]


def _count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"


def allocs_text(c: SiteChange) -> str:
    delta = c.head_allocs - c.base_allocs
    sign = "+" if delta >= 0 else "-"
    return f"{sign}{_count(abs(delta))} allocs ({_count(c.base_allocs)} -> {_count(c.head_allocs)})"


def objects_text(c: SiteChange) -> str:
    base, head = c.base_objects or 0.0, c.head_objects or 0.0
    sign = "+" if head >= base else "-"
    return f"{sign}{_count(abs(head - base))} objects ({_count(base)} -> {_count(head)})"


def bytes_text(c: SiteChange) -> str:
    delta = c.head_bytes - c.base_bytes
    sign = "+" if delta >= 0 else "-"
    return (
        f"{sign}{format_bytes(abs(delta))} ({format_bytes(c.base_bytes)} -> "
        f"{format_bytes(c.head_bytes)})"
    )


def site_lines(where: Where, top: int = 10) -> list[str]:
    """The sites whose allocations, objects (3.13+), then bytes per op changed most (none: no
    lines)."""
    lines = []
    if where.sites_by_allocs:
        lines.append("  allocation sites, by allocs/op:")
        lines += [f"    {allocs_text(c)} {c.where}" for c in where.sites_by_allocs[:top]]
    if where.sites_by_objects:
        lines.append("  allocation sites, by objects/op:")
        lines += [f"    {objects_text(c)} {c.where}" for c in where.sites_by_objects[:top]]
    if where.sites_by_bytes:
        lines.append("  allocation sites, by B/op:")
        lines += [f"    {bytes_text(c)} {c.where}" for c in where.sites_by_bytes[:top]]
    return lines


def site_top(where: Where) -> list[str]:
    """The site most likely at fault, by allocations and by bytes, for one-line outputs."""
    parts = []
    if where.sites_by_allocs:
        c = where.sites_by_allocs[0]
        parts.append(f"most changed allocs/op: {allocs_text(c)} {c.where}")
    if where.sites_by_objects:
        c = where.sites_by_objects[0]
        parts.append(f"most changed objects/op: {objects_text(c)} {c.where}")
    if where.sites_by_bytes:
        c = where.sites_by_bytes[0]
        parts.append(f"most changed B/op: {bytes_text(c)} {c.where}")
    return parts


Table = tuple[list[str], list[list[str]]]
"""A header and rows of plain text cells (the page escapes and lays them out)."""


def site_tables(where: Where) -> list[Table]:
    """The sites whose allocations, then whose bytes per op changed most, as tables."""
    tables: list[Table] = []
    if where.sites_by_allocs:
        header = ["allocation site", "allocs/op base", "now", "change"]
        rows = [
            [c.where, _count(c.base_allocs), _count(c.head_allocs), allocs_text(c).split(" (")[0]]
            for c in where.sites_by_allocs
        ]
        tables.append((header, rows))
    if where.sites_by_objects:
        header = ["allocation site", "objects/op base", "now", "change"]
        rows = [
            [
                c.where,
                _count(c.base_objects or 0.0),
                _count(c.head_objects or 0.0),
                objects_text(c).split(" (")[0],
            ]
            for c in where.sites_by_objects
        ]
        tables.append((header, rows))
    if where.sites_by_bytes:
        header = ["allocation site", "B/op base", "now", "change"]
        rows = [
            [
                c.where,
                format_bytes(c.base_bytes),
                format_bytes(c.head_bytes),
                bytes_text(c).split(" (")[0],
            ]
            for c in where.sites_by_bytes
        ]
        tables.append((header, rows))
    return tables
