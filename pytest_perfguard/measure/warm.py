"""CPython 3.10: run perfguard's own per-op code past the interpreter's opcache threshold once
per process, before any benchmark's allocations are counted.

3.10 gives a code object its opcode cache (two allocations) at its 1024th frame entry, and a
generator's frame is entered again at every resume. perfguard's per-op code (the `perf.loop()`
generators, `perf.paused()`, the counting pass's pause) is shared by every benchmark of the
process, so its 1024th entry lands in whichever benchmark's counting window is running then:
that benchmark read 1.06 allocs/op for 1 in CI, about one run in three. 3.11 and later
specialize in place and allocate nothing there.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from pytest_perfguard.measure.context import MeasureContext
from pytest_perfguard.measure.perf import Perf
from pytest_perfguard.model import BenchSettings, Measurement

if TYPE_CHECKING:
    from pytest_perfguard.measure.engine import Engine, Warmth
    from pytest_perfguard.measure.steps import Pass

__all__ = ["OPCACHE_ENTRIES", "NoTiming", "needs_warming", "warm_opcache"]

OPCACHE_ENTRIES = 1024
"""Frame entries after which CPython 3.10 allocates a code object's opcode cache."""


def needs_warming(version: tuple[int, int] = sys.version_info[:2]) -> bool:
    return version == (3, 10)


class NoTiming:
    """A timing pass that times nothing and sets the calls per counting window: every call of
    the warm-up is a counting pass call."""

    sides = 1

    def __init__(self, loops: int = OPCACHE_ENTRIES) -> None:
        self.loops = loops

    def __call__(
        self,
        engine: Engine,
        settings: BenchSettings,
        deadline: int,
        first_ns: int | None,
        warmth: Warmth,
    ) -> Pass[Measurement]:
        return Measurement(
            median_ns=1.0,
            spread_ns=0.0,
            rounds=1,
            loops=self.loops,  # the counting pass makes two windows of this many calls
            samples_ns=(1.0,),
            ref_ratios=(),
            reference_ns=0.0,
            gc_collections_per_op=0.0,
        )
        yield  # a generator, as the engine drives it


def _nothing(*args: object) -> None:
    pass


def _unrecorded(measurement: Measurement) -> None:
    pass


def warm_opcache(engine: Engine) -> None:
    """On 3.10, every form's per-op path through `engine`'s counting pass, past the threshold
    (a few ms, once per process); elsewhere nothing."""
    if not needs_warming():
        return
    settings = BenchSettings(memory=False, profile=False, allocations=True)

    def perf() -> Perf:
        return Perf(
            MeasureContext(engine, settings, "perfguard warm-up", _unrecorded, True, NoTiming())
        )

    looped = perf()
    for _ in looped.loop():
        with looped.paused():
            pass
    perf()(_nothing, setup=_nothing, teardown=_nothing)
