"""The columns of what benchmarks report about themselves: throughput (MB/s or items/s, from
time/op and `bytes=`/`items=`) and each custom metric (`perf.report`), for every table of
measurements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pytest_perfguard.model import Measurement, RunSummary
from pytest_perfguard.usermetrics import custom_names, throughput, value_of

Figures = Measurement | RunSummary
"""A measurement, or a saved run (`perfguard show`)."""

__all__ = ["ExtraColumns", "extra_columns"]


@dataclass(frozen=True, slots=True)
class ExtraColumns:
    """The headers a table adds after the metrics', and each row's cells under them."""

    headers: tuple[str, ...]
    names: tuple[str, ...]
    """The custom metrics' names, in header order (after "throughput" when shown)."""
    rate: bool

    def cells(self, m: Figures) -> list[str]:
        """One measurement's cells: "" where it has no such figure."""
        out = [throughput(m.median_ns, m.bytes_processed, m.items_processed) or ""]
        out = out if self.rate else []
        for name in self.names:
            value = value_of(m.custom, name)
            out.append("" if value is None else f"{value:.4g}")
        return out


def extra_columns(measurements: Iterable[Figures]) -> ExtraColumns:
    """The extra columns a table of `measurements` shows: throughput when any has `bytes=` or
    `items=`, and each custom metric any reported."""
    ms = list(measurements)
    rate = any(m.bytes_processed is not None or m.items_processed is not None for m in ms)
    custom = custom_names(m.custom for m in ms)
    headers = (*(("throughput",) if rate else ()), *(c.column for c in custom))
    return ExtraColumns(headers, tuple(c.name for c in custom), rate)
