"""The peak-memory pass: highest resident memory during one call above what it was before."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class PeakMemory:
    """Highest resident memory during one call above the resident memory just before it."""

    bytes: int
    exact: bool
    """False when `bytes` is a lower bound (RSS after minus before: a freed spike is missed)."""
    note: str | None = None


class HighWaterMark(Protocol):
    """A resettable resident-memory high-water mark (Linux procfs); tests pass a fake."""

    def reset(self) -> bool:
        """Reset the mark to the current resident memory; False if this is not possible."""
        ...

    def read(self) -> tuple[int, int]:
        """(resident bytes now, high-water mark bytes since the last reset)."""
        ...


class Procfs:
    """VmRSS/VmHWM from /proc/self/status; writing "5" to clear_refs resets VmHWM."""

    # Sanity margin: right after a reset the mark must be close to the resident size, else the
    # kernel accepted the write but ignored it and VmHWM would be the process-wide peak.
    RESET_SLACK = 4 << 20

    def __init__(self, root: str = "/proc/self") -> None:
        self.root = root

    def reset(self) -> bool:
        try:
            with open(os.path.join(self.root, "clear_refs"), "w") as f:
                f.write("5")
            rss, hwm = self.read()
        except (OSError, ValueError):
            return False
        return hwm - rss <= self.RESET_SLACK

    def read(self) -> tuple[int, int]:
        values: dict[str, int] = {}
        with open(os.path.join(self.root, "status")) as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0]) * 1024  # the kernel reports kB
        return values["VmRSS"], values["VmHWM"]


def psutil_rss() -> int:
    """Resident bytes now, on any platform psutil supports."""
    import psutil  # imported late: only the fallback needs it

    return int(psutil.Process().memory_info().rss)


PROCFS = Procfs()
LOWER_BOUND_NOTE = "peak memory is a lower bound: no resettable high-water mark (procfs clear_refs)"


class PeakTracker:
    """Peak memory of the code between `start()` and `finish()`; usable across a yield.

    `with tracker.paused():` leaves out the work inside it: the peak is the highest of the
    segments outside pauses, each above the resident memory at its own start.
    """

    __slots__ = ("_before", "_best", "_exact", "_hwm", "_pause", "_rss")

    def __init__(
        self, *, hwm: HighWaterMark | None = PROCFS, rss: Callable[[], int] = psutil_rss
    ) -> None:
        self._hwm = hwm
        self._rss = rss
        self._exact = False
        self._before = 0
        self._best = 0
        self._pause = _PeakPause(self)

    def start(self) -> None:
        self._best = 0
        self._begin()

    def _begin(self) -> None:
        self._exact = self._hwm is not None and self._hwm.reset()
        if self._hwm is not None and self._exact:
            self._before = self._hwm.read()[0]
        else:
            self._before = self._rss()

    def _segment(self) -> int:
        """The growth of the segment that ends now."""
        if self._hwm is not None and self._exact:
            return max(0, self._hwm.read()[1] - self._before)
        return max(0, self._rss() - self._before)

    def paused(self) -> _PeakPause:
        return self._pause

    def finish(self) -> PeakMemory:
        peak = max(self._best, self._segment())
        if self._hwm is not None and self._exact:
            return PeakMemory(peak, exact=True)
        return PeakMemory(peak, exact=False, note=LOWER_BOUND_NOTE)


class _PeakPause:
    """Ends the current segment on entry and starts a new one on exit."""

    __slots__ = ("_tracker",)

    def __init__(self, tracker: PeakTracker) -> None:
        self._tracker = tracker

    def __enter__(self) -> None:
        tracker = self._tracker
        tracker._best = max(tracker._best, tracker._segment())

    def __exit__(self, *exc: object) -> None:
        self._tracker._begin()


def peak_memory(
    call: Callable[[], object],
    *,
    hwm: HighWaterMark | None = PROCFS,
    rss: Callable[[], int] = psutil_rss,
) -> PeakMemory:
    """Peak-memory pass over one call of `call()`."""
    tracker = PeakTracker(hwm=hwm, rss=rss)
    tracker.start()
    call()
    return tracker.finish()
