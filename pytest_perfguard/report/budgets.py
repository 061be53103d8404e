"""Word an exceeded or unchecked budget (limit_time, limit_memory, limit_allocs)."""

from __future__ import annotations

from pytest_perfguard.judge.budgets import Budget, BudgetBreach
from pytest_perfguard.units import format_bytes, format_time

__all__ = ["budget_text", "unchecked_text"]


def budget_text(breach: BudgetBreach) -> str:
    """An exceeded budget: the budget, the measured value and the pass that measured it."""
    if breach.budget is Budget.TIME:
        return (
            f"limit_time exceeded: median {format_time(breach.measured)} per op > limit "
            f"{format_time(breach.limit)} (timing pass, {breach.rounds} rounds x "
            f"{breach.loops} calls)"
        )
    if breach.budget is Budget.MEMORY:
        bound = "" if breach.exact else " (a lower bound)"
        return (
            f"limit_memory exceeded: peak {format_bytes(breach.measured)}{bound} > "
            f"limit {format_bytes(breach.limit)} (peak-memory pass, one call)"
        )
    return (
        f"limit_allocs exceeded: {breach.measured:g} allocs/op > limit {breach.limit:g} "
        f"(allocation pass, {breach.loops} calls)"
    )


def unchecked_text(budget: Budget) -> str:
    """A budget that could not be checked: its figure was not measured."""
    if budget is Budget.MEMORY:
        return "limit_memory not checked: peak memory was not measured"
    if budget is Budget.ALLOCS:
        return "limit_allocs not checked: allocs/op is n/a here"
    return "limit_time not checked: time was not measured"
