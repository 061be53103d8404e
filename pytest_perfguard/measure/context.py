"""What one benchmark is measured with, made by the session for whichever fixture a test uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_perfguard.model import BenchSettings, Measurement

if TYPE_CHECKING:
    from pytest_perfguard.measure.engine import Engine, TimingPass

__all__ = ["MeasureContext"]


def _nobody(reason: str) -> None:
    """Where `MeasureContext.unpaired` goes when no timing pass was offered."""


@dataclass(frozen=True, slots=True)
class MeasureContext:
    """One benchmark's engine, settings, timing pass and record, the same for the `perf`
    fixture, the marker-only form and pytest-benchmark's `benchmark` fixture: a form of test
    cannot miss what the session gives the others (same-job A/B's paired timing pass)."""

    engine: Engine
    settings: BenchSettings
    test: str
    """The node id, for messages."""
    record: Callable[[Measurement], None]
    """Takes the finished measurement (once per test)."""
    enabled: bool = True
    """False with --perf-off: the test body runs once, unmeasured."""
    timing: TimingPass | None = None
    """Replaces the engine's timing pass (same-job A/B pairs rounds with the base revision)."""
    unpaired: Callable[[str], None] = _nobody
    """Told why, by a measurement that cannot take the `timing` pass it was offered (a fixed
    schedule of calls): the benchmark is then "not paired", never "new"."""

    def decline_timing(self, reason: str) -> None:
        """Measure without the offered timing pass, saying why (nothing when none was offered)."""
        if self.timing is not None:
            self.unpaired(reason)
