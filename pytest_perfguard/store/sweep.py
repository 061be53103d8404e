"""perf.parallel's figures as JSON values: each thread count's rounds, with its ops/s and,
after the first count, its efficiency against one thread and that estimate's interval."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_perfguard.judge.efficiency import sweep_estimates
from pytest_perfguard.model import Measurement, ThreadRounds

__all__ = ["parallel_figures", "sweep_from_list", "threads_from"]


def parallel_figures(m: Measurement) -> dict[str, Any]:
    """The keys a parallel measurement's JSON adds: all threads' ops/s and the sweep's
    counts (read back: "threads", "samples_ns"; for reading: the others)."""
    if m.threads is None:
        return {}
    sweep: list[dict[str, Any]] = [
        {"threads": t.threads, "samples_ns": list(t.samples_ns), "ops_per_s": t.ops_per_s}
        for t in m.sweep
    ]
    for count, e in zip(sweep[1:], sweep_estimates(m), strict=False):
        # Too few rounds for an interval give an unbounded one: JSON has no infinity.
        interval = list(e.interval) if all(map(math.isfinite, e.interval)) else None
        count["efficiency"], count["efficiency_interval"] = e.efficiency, interval
    return {"sweep": sweep, "ops_per_s": m.ops_per_s}


def threads_from(value: object) -> int | None:
    """A measurement's `threads` as read back: None or a whole number >= 1; ValueError."""
    if value is not None and (type(value) is not int or value < 1):
        raise ValueError(f"threads: expected a whole number >= 1, got {value!r}")
    return value


def sweep_from_list(raw: Iterable[Mapping[str, Any]]) -> tuple[ThreadRounds, ...]:
    """A sweep as read back; ValueError (or KeyError, TypeError) when it is not one."""
    sweep = []
    for t in raw:
        samples = tuple(t["samples_ns"])
        if not all(type(v) in (int, float) and math.isfinite(v) and v > 0 for v in samples):
            raise ValueError(f"sweep: samples_ns of {t['threads']!r} threads: not times in ns")
        sweep.append(ThreadRounds(threads_from(t["threads"]) or 1, samples))
    return tuple(sweep)
