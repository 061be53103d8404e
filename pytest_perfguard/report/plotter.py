"""What the HTML report asks of a plotter (report/plots.py draws with matplotlib; the tests
pass a fake), and the values it hands over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Plotter", "ScalingSeries"]


@dataclass(frozen=True, slots=True)
class ScalingSeries:
    """One metric of a scaling group as its log-log plot draws it, each value relative to the
    measured value at the smallest size (the metrics' units differ; growth is what compares)."""

    label: str
    sizes: tuple[int, ...]
    measured: tuple[float, ...]
    curve: tuple[tuple[float, float], ...]
    """The fitted class, (n, value) from the smallest size to the largest."""
    saved_curve: tuple[tuple[float, float], ...] = ()
    """The base's fit (saved runs, or REF in A/B) the same way, relative to its own value at
    the smallest size, when compared (empty otherwise)."""


class Plotter(Protocol):
    """Draws one plot as an inline `<svg>` element (report/plots.py; a fake in tests)."""

    def distribution(
        self, samples_ns: Sequence[float], saved_ns: Sequence[float], saved_label: str
    ) -> str: ...

    def ratios(
        self,
        ratios: Sequence[float],
        interval: tuple[float, float] | None,
        min_effect: float,
        ref: str,
    ) -> str: ...

    def trend(
        self, labels: Sequence[str], medians_ns: Sequence[float], today_ns: float, regressed: bool
    ) -> str: ...

    def scaling(self, title: str, series: Sequence[ScalingSeries]) -> str: ...
