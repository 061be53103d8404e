"""What a measuring pass asks its driver to do, and the one driver for function targets.

Every pass (timing, allocations, peak memory, profile) is a generator that yields `Step`s and
returns its result. A driver runs each step's `n` calls and sends back the elapsed nanoseconds
(timed steps) or None (the others). The pass keeps its own state, so whoever drives it (a
function target, the user's `for _ in perf.loop()`, another process) can do so one round at a
time.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["NO_PAUSE", "Kind", "Pass", "Pause", "Step", "drive"]

Pause = AbstractContextManager[None]
"""What `with pause:` does around untimed work inside a step's calls."""


class _NoPause:
    __slots__ = ()

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        pass


NO_PAUSE: Pause = _NoPause()


class Kind(enum.Enum):
    WARMUP = "warmup"
    """Timed calls whose time is discarded (warm-up, calibration)."""
    BENCH = "bench"
    """A measured round of the benchmark."""
    REFERENCE = "reference"
    """A round of the built-in reference workload (the timing schedule's own; never a driver's)."""
    COUNT = "count"
    """Calls inside an allocation-counting window; work to leave out goes in `with step.pause:`."""
    PEAK = "peak"
    """One call whose peak memory is taken; `with step.pause:` leaves out untimed work."""
    PROFILE = "profile"
    """Calls under the profiler; `with step.pause:` leaves out untimed work."""


@dataclass(frozen=True, slots=True)
class Step:
    kind: Kind
    n: int
    """Calls to make."""
    pause: Pause = NO_PAUSE

    @property
    def timed(self) -> bool:
        return self.kind in (Kind.WARMUP, Kind.BENCH, Kind.REFERENCE)


T = TypeVar("T")
Pass = Generator[Step, "int | None", T]
"""A pass: yields steps, is sent each timed step's elapsed ns (None for the others), returns T."""


def drive(plan: Pass[T], run: Callable[[Step], int | None]) -> T:
    """Run every step of `plan` with `run(step)`, which makes step.n calls and returns the
    elapsed nanoseconds of a timed step (None otherwise); return the plan's result."""
    step = next(plan)
    while True:
        try:
            step = plan.send(run(step))
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
