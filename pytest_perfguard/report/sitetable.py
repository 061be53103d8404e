"""A benchmark's allocation sites as a flat text table (--perf-profile): readable with nothing
but a pager, diffable with `diff`, and greppable by file or function (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.model import AllocSite

__all__ = ["site_table"]


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.6g}"


def site_table(nodeid: str, sites: Sequence[AllocSite], side: str = "") -> str:
    """One line per site, by allocs/op (largest first): allocs/op, B/op, objects/op where
    counted (3.13+), share of all allocations, then file:line(function) (`<no Python frame>`:
    no frame of the benchmark's)."""
    total = sum(s.allocs for s in sites) or 1.0
    objects = any(s.objects is not None for s in sites)
    head = f"allocation sites of {nodeid}{side}, per op (the sites pass, by allocs/op)"
    column = f" {'objects/op':>12}" if objects else ""
    lines = [head, f"{'allocs/op':>12} {'B/op':>14}{column} {'share':>6}  site"]
    for s in sites:
        share = f"{s.allocs / total:.1%}"
        cell = f" {_number(s.objects or 0.0):>12}" if objects else ""
        lines.append(f"{_number(s.allocs):>12} {_number(s.nbytes):>14}{cell} {share:>6}  {s.where}")
    return "\n".join(lines) + "\n"
