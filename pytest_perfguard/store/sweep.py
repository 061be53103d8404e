"""perf.parallel's figures as JSON values: each thread count's rounds, with its ops/s and,
after the first count, its efficiency against one thread and that estimate's interval."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from pytest_perfguard.judge.efficiency import sweep_estimates
from pytest_perfguard.model import Measurement, ThreadRounds

__all__ = ["parallel_figures", "sweep_from_list"]


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


def sweep_from_list(raw: Iterable[Mapping[str, Any]]) -> tuple[ThreadRounds, ...]:
    return tuple(ThreadRounds(t["threads"], tuple(t["samples_ns"])) for t in raw)
