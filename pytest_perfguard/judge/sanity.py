"""Saved runs that cannot be right: one run's time far from its siblings' (a hand-edited file)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from pytest_perfguard.model import BaselineEntry

__all__ = ["OUTLIER_FACTOR", "OutlyingRun", "outlying_runs"]

OUTLIER_FACTOR = 5.0
"""A saved run this many times faster or slower than its siblings' median is suspect: run-to-run
drift measured on shared hosts reaches 2x, never 5x."""


@dataclass(frozen=True, slots=True)
class OutlyingRun:
    """One saved run whose median_ns is far from the median of the entry's other runs."""

    nodeid: str
    timestamp: str
    median_ns: float
    siblings_ns: float
    """Median of median_ns over the entry's runs (this one included: with 3 runs, the median
    of the other two is their mean, which one bad run would drag along)."""
    siblings: int
    """Runs of the entry, this one included."""

    @property
    def factor(self) -> float:
        """How many times slower (> 1) or faster (< 1) than its siblings."""
        return self.median_ns / self.siblings_ns


def outlying_runs(
    entries: Iterable[BaselineEntry], factor: float = OUTLIER_FACTOR
) -> list[OutlyingRun]:
    """Runs more than `factor` times from the median median_ns of their entry's runs, in
    entries with at least 3 runs (with 2, which one is off cannot be told)."""
    found = []
    for entry in entries:
        runs = [r for r in entry.runs if r.median_ns > 0]
        if len(runs) < 3:
            continue
        middle = statistics.median(r.median_ns for r in runs)
        found += [
            OutlyingRun(entry.nodeid, r.timestamp, r.median_ns, middle, len(runs))
            for r in runs
            if not 1 / factor <= r.median_ns / middle <= factor
        ]
    return found
