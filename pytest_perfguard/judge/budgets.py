"""Absolute budgets (limit_time, limit_memory, limit_allocs): pure checks, no baseline needed."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pytest_perfguard.model import BenchSettings, Measurement

__all__ = ["Budget", "BudgetBreach", "BudgetCheck", "check_budgets"]


class Budget(enum.Enum):
    """An absolute budget, named as its marker keyword."""

    TIME = "limit_time"
    MEMORY = "limit_memory"
    ALLOCS = "limit_allocs"


@dataclass(frozen=True, slots=True)
class BudgetBreach:
    """A budget exceeded: the measured value against the limit, and the pass that measured it."""

    budget: Budget
    measured: float
    """ns per op (time), bytes (memory) or allocs per op."""
    limit: float
    rounds: int
    loops: int
    exact: bool = True
    """False when the measured peak memory is a lower bound."""


@dataclass(frozen=True, slots=True)
class BudgetCheck:
    failures: tuple[BudgetBreach, ...]
    """One breach per exceeded budget; report/rules.py words them."""
    unchecked: tuple[Budget, ...]
    """Budgets that could not be checked because their figure is n/a."""


def check_budgets(m: Measurement, settings: BenchSettings) -> BudgetCheck:
    failures: list[BudgetBreach] = []
    unchecked: list[Budget] = []
    if settings.limit_time_ns is not None and m.median_ns > settings.limit_time_ns:
        failures.append(
            BudgetBreach(Budget.TIME, m.median_ns, settings.limit_time_ns, m.rounds, m.loops)
        )
    if settings.limit_memory_bytes is not None:
        if m.peak_memory_bytes is None:
            unchecked.append(Budget.MEMORY)
        elif m.peak_memory_bytes > settings.limit_memory_bytes:
            failures.append(
                BudgetBreach(
                    Budget.MEMORY,
                    m.peak_memory_bytes,
                    settings.limit_memory_bytes,
                    m.rounds,
                    m.loops,
                    m.peak_memory_exact,
                )
            )
    if settings.limit_allocs is not None:
        if m.allocs_per_op is None:
            unchecked.append(Budget.ALLOCS)
        elif m.allocs_per_op > settings.limit_allocs:
            failures.append(
                BudgetBreach(
                    Budget.ALLOCS, m.allocs_per_op, settings.limit_allocs, m.rounds, m.loops
                )
            )
    return BudgetCheck(tuple(failures), tuple(unchecked))
