"""How much of the machine other processes (and the hypervisor) took while a benchmark was timed.

A benchmark's time depends on what else runs: another job on a 2-core runner takes the second
core from threaded code and memory bandwidth from everything, and no saved run shows that. The
kernel's CPU accounting tells it: the CPU time all CPUs were busy (steal included), minus this
process's own (all its threads), over the capacity of the interval.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CpuTimes", "Probe", "others_share", "read"]

MIN_WALL_S = 0.1
"""Shorter intervals are not judged: the kernel accounts CPU time in 10 ms ticks."""


@dataclass(frozen=True, slots=True)
class CpuTimes:
    wall_s: float
    busy_s: float
    """CPU-seconds all CPUs spent on anything but idling or waiting for I/O (steal included)."""
    own_s: float
    """CPU-seconds of this process, all threads."""
    cpus: int


Probe = Callable[[], "CpuTimes | None"]


def read(partners: tuple[int, ...] = ()) -> CpuTimes | None:
    """The machine's and this process's CPU times now; None where the system does not tell.
    The CPU time of `partners` (process ids: the base worker of an A/B run) counts as ours."""
    import psutil  # the accounting is the OS's; psutil reads it on every platform

    try:
        fields = psutil.cpu_times()._asdict()
        cpus = _cpu_count()
    except (OSError, RuntimeError, NotImplementedError):
        return None
    # On Linux guest time is already counted in user time.
    total = sum(fields.values()) - fields.get("guest", 0.0) - fields.get("guest_nice", 0.0)
    busy = total - fields.get("idle", 0.0) - fields.get("iowait", 0.0)
    own = os.times()
    own_s = own.user + own.system
    for pid in partners:
        try:
            times = psutil.Process(pid).cpu_times()
        except (psutil.Error, OSError):
            continue
        own_s += times.user + times.system
    return CpuTimes(time.monotonic(), busy, own_s, cpus)


@functools.cache
def _cpu_count() -> int:
    import psutil

    return psutil.cpu_count() or 1


def others_share(before: CpuTimes | None, after: CpuTimes | None) -> float | None:
    """Share (0..1) of all CPUs' time between two readings that went to other processes."""
    if before is None or after is None:
        return None
    wall = after.wall_s - before.wall_s
    if wall < MIN_WALL_S:
        return None
    others = (after.busy_s - before.busy_s) - (after.own_s - before.own_s)
    return min(1.0, max(0.0, others / (wall * after.cpus)))
