"""`benchmark.stats`: pytest-benchmark's statistics over a perfguard measurement's rounds.

Figures are seconds per iteration (per call of the target), one value per round, with the
field names and definitions of pytest-benchmark's `Stats` (quartiles by Wikipedia's methods 2
and 3, Tukey fences at 1.5 IQR, ops = rounds / total), so code reading them keeps working.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pytest_perfguard.model import Measurement

__all__ = ["FIELDS", "Metadata", "NodeInfo", "Stats"]

FIELDS = (
    "min",
    "max",
    "mean",
    "stddev",
    "rounds",
    "median",
    "iqr",
    "q1",
    "q3",
    "iqr_outliers",
    "stddev_outliers",
    "outliers",
    "ld15iqr",
    "hd15iqr",
    "ops",
    "total",
)


class Stats:
    """pytest-benchmark's statistics over per-round seconds per iteration (`data`)."""

    fields = FIELDS

    def __init__(self, data: Sequence[float]) -> None:
        if not data:
            raise ValueError("Stats needs at least one round")
        self.data = list(data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    @cached_property
    def sorted_data(self) -> list[float]:
        return sorted(self.data)

    @cached_property
    def total(self) -> float:
        return sum(self.data)

    @cached_property
    def min(self) -> float:
        return min(self.data)

    @cached_property
    def max(self) -> float:
        return max(self.data)

    @cached_property
    def mean(self) -> float:
        return statistics.mean(self.data)

    @cached_property
    def stddev(self) -> float:
        return statistics.stdev(self.data) if len(self.data) > 1 else 0.0

    @cached_property
    def rounds(self) -> int:
        return len(self.data)

    @cached_property
    def median(self) -> float:
        return statistics.median(self.data)

    @cached_property
    def q1(self) -> float:
        data, n = self.sorted_data, len(self.data)
        if n == 1:
            return data[0]
        if n % 2 == 0:  # method 2: the median of the lower half
            return statistics.median(data[: n // 2])
        k, r = divmod(n, 4)  # method 3
        return (
            0.25 * data[k - 1] + 0.75 * data[k] if r == 1 else 0.75 * data[k] + 0.25 * data[k + 1]
        )

    @cached_property
    def q3(self) -> float:
        data, n = self.sorted_data, len(self.data)
        if n == 1:
            return data[0]
        if n % 2 == 0:
            return statistics.median(data[n // 2 :])
        k, r = divmod(n, 4)
        if r == 1:
            return 0.75 * data[3 * k] + 0.25 * data[3 * k + 1]
        return 0.25 * data[3 * k + 1] + 0.75 * data[3 * k + 2]

    @cached_property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def iqr_outliers(self) -> int:
        low, high = self.q1 - 1.5 * self.iqr, self.q3 + 1.5 * self.iqr
        return sum(1 for v in self.data if v < low or v > high)

    @property
    def stddev_outliers(self) -> int:
        low, high = self.mean - self.stddev, self.mean + self.stddev
        return sum(1 for v in self.data if v < low or v > high)

    @cached_property
    def outliers(self) -> str:
        return f"{self.stddev_outliers};{self.iqr_outliers}"

    @cached_property
    def ld15iqr(self) -> float:
        """The lowest datum within 1.5 IQR below Q1 (Tukey)."""
        if len(self.data) == 1:
            return self.data[0]
        return self.sorted_data[bisect_left(self.sorted_data, self.q1 - 1.5 * self.iqr)]

    @cached_property
    def hd15iqr(self) -> float:
        """The highest datum within 1.5 IQR above Q3 (Tukey)."""
        if len(self.data) == 1:
            return self.data[0]
        return self.sorted_data[bisect_right(self.sorted_data, self.q3 + 1.5 * self.iqr) - 1]

    @cached_property
    def ops(self) -> float:
        return self.rounds / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class NodeInfo:
    """What pytest-benchmark reports of the test: `name`, `fullname` (node id), `param`
    (the parametrize id) and `params` (argument name -> value), None when not parametrized."""

    name: str
    fullname: str
    param: str | None = None
    params: Mapping[str, object] | None = None


class Metadata:
    """`benchmark.stats`: the test's identity, `iterations`, `options` and `stats` (a Stats).

    `stats["median"]` and `stats.get("median")` read a statistic (or else an attribute), as in
    pytest-benchmark.
    """

    def __init__(
        self,
        info: NodeInfo,
        group: str | None,
        extra_info: dict[str, Any],
        measurement: Measurement,
        options: Mapping[str, Any],
    ) -> None:
        self.name = info.name
        self.fullname = info.fullname
        self.param = info.param
        self.params = None if info.params is None else dict(info.params)
        self.group = group
        self.extra_info = extra_info  # the fixture's own dict: later additions show here too
        self.iterations = measurement.loops
        self.options = dict(options)
        self.stats = Stats([ns / 1e9 for ns in measurement.samples_ns])
        self.measurement = measurement

    def __bool__(self) -> bool:
        return bool(self.stats)

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return getattr(self.stats, key)
        except AttributeError:
            return getattr(self, key, default)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self.stats, key)
        except AttributeError:
            return getattr(self, key)

    def as_dict(self, include_data: bool = True, flat: bool = False) -> dict[str, Any]:
        """pytest-benchmark's JSON entry for this benchmark."""
        result: dict[str, Any] = {
            "group": self.group,
            "name": self.name,
            "fullname": self.fullname,
            "params": self.params,
            "param": self.param,
            "extra_info": self.extra_info,
            "options": self.options,
        }
        stats = self.stats.as_dict()
        if include_data:
            stats["data"] = list(self.stats.data)
        stats["iterations"] = self.iterations
        if flat:
            result.update(stats)
        else:
            result["stats"] = stats
        return result
