"""Absolute budgets (limit_time, limit_memory, limit_allocs): pure checks, no baseline needed."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_perfguard.model import BenchSettings, Measurement
from pytest_perfguard.units import format_bytes, format_time


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    failures: tuple[str, ...]
    """One message per exceeded budget: the budget, the measured value, the pass."""
    unchecked: tuple[str, ...]
    """Budgets that could not be checked because their figure is n/a."""


def check_budgets(m: Measurement, settings: BenchSettings) -> BudgetCheck:
    failures: list[str] = []
    unchecked: list[str] = []
    if settings.limit_time_ns is not None and m.median_ns > settings.limit_time_ns:
        failures.append(
            f"limit_time exceeded: median {format_time(m.median_ns)} per op > limit "
            f"{format_time(settings.limit_time_ns)} (timing pass, {m.rounds} rounds x "
            f"{m.loops} calls)"
        )
    if settings.limit_memory_bytes is not None:
        if m.peak_memory_bytes is None:
            unchecked.append("limit_memory not checked: peak memory was not measured")
        elif m.peak_memory_bytes > settings.limit_memory_bytes:
            bound = "" if m.peak_memory_exact else " (a lower bound)"
            failures.append(
                f"limit_memory exceeded: peak {format_bytes(m.peak_memory_bytes)}{bound} > "
                f"limit {format_bytes(settings.limit_memory_bytes)} (peak-memory pass, one call)"
            )
    if settings.limit_allocs is not None:
        if m.allocs_per_op is None:
            unchecked.append("limit_allocs not checked: allocs/op is n/a here")
        elif m.allocs_per_op > settings.limit_allocs:
            failures.append(
                f"limit_allocs exceeded: {m.allocs_per_op:g} allocs/op > limit "
                f"{settings.limit_allocs:g} (allocation pass, {m.loops} calls)"
            )
    return BudgetCheck(tuple(failures), tuple(unchecked))
