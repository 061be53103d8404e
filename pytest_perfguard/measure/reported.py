"""What a test reports about its benchmark beside the measurement: the work one op processes
(`bytes=`/`items=`, `perf.set_bytes`) and custom metrics (`perf.report`), checked and applied to
the measurement whenever it is recorded."""

from __future__ import annotations

import inspect
import math
from dataclasses import replace
from typing import final

from pytest_perfguard.config.settings import parse_fraction
from pytest_perfguard.errors import PerfguardError
from pytest_perfguard.metrics import METRICS
from pytest_perfguard.model import BenchSettings, Measurement
from pytest_perfguard.usermetrics import BETTER, CustomMetric

__all__ = ["AMOUNTS", "ReportError", "Reported", "refuse_shadowed"]

AMOUNTS = ("bytes", "items")
"""perf()'s keywords for the work one call processes: perfguard's, never passed to fn."""

_RESERVED = frozenset(
    name for spec in METRICS for name in (spec.name, spec.field, spec.column, spec.label) if name
) | frozenset({"throughput", "MB/s", "items/s"})
"""Names a custom metric may not take: every built-in metric's, as any output names it."""


class ReportError(PerfguardError):
    """A figure a test reported cannot be kept: a bad name, value, direction or tolerance."""


def _amount(test: str, keyword: str, value: object) -> int:
    if type(value) is not int or value <= 0:
        raise ReportError(
            f"{test}: {keyword}= must be a positive int (what one op processes), got {value!r}"
        )
    return value


def refuse_shadowed(test: str, fn: object, keyword: str) -> None:
    """perf(fn, bytes=...) where fn itself takes `bytes`: the keyword is perfguard's, so say
    how to pass fn's own."""
    try:
        parameters = inspect.signature(fn).parameters  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return  # a built-in without a signature takes no keywords we could shadow
    parameter = parameters.get(keyword)
    if parameter is not None and parameter.kind not in (
        parameter.POSITIONAL_ONLY,
        parameter.VAR_POSITIONAL,
    ):
        raise ReportError(
            f"{test}: perf(..., {keyword}=) is perfguard's ({keyword} one call processes, for "
            f"throughput), but the function also takes an argument named {keyword!r}: pass "
            f"that one bound, e.g. perf(functools.partial(fn, {keyword}=...), "
            f"{keyword}=<per op>)"
        )


def _custom(
    test: str,
    name: object,
    value: object,
    unit: object,
    better: object,
    exact: object,
    tolerance: object,
) -> CustomMetric:
    where = f"{test}: perf.report({name!r})"
    if not isinstance(name, str) or not name.isidentifier():
        raise ReportError(f"{where}: the name must be an identifier like 'hit_rate'")
    if name in _RESERVED:
        raise ReportError(
            f"{where}: {name!r} is a built-in metric's name; choose another (e.g. 'my_{name}')"
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ReportError(f"{where}: the value must be a number, got {value!r}")
    if not math.isfinite(value):
        raise ReportError(f"{where}: the value must be finite, got {value!r}")
    if not isinstance(unit, str):
        raise ReportError(f"{where}: unit must be a string, got {unit!r}")
    if better not in BETTER:
        raise ReportError(f"{where}: better must be 'lower' or 'higher', got {better!r}")
    if not isinstance(exact, bool):
        raise ReportError(f"{where}: exact must be True or False, got {exact!r}")
    share = None
    if tolerance is not None:
        if exact:
            raise ReportError(f"{where}: an exact metric takes no tolerance")
        try:
            share = parse_fraction(tolerance)
        except ValueError as exc:
            raise ReportError(f"{where}: bad tolerance {tolerance!r}: {exc}") from None
    return CustomMetric(name, float(value), unit, str(better), exact, share)


@final
class Reported:
    """The figures one test reported so far."""

    __slots__ = ("_amounts", "_custom", "_test")

    def __init__(self, test: str, settings: BenchSettings) -> None:
        self._test = test
        self._amounts: dict[str, int] = {}
        self._custom: dict[str, CustomMetric] = {}
        for keyword, amount in (
            ("bytes", settings.bytes_processed),
            ("items", settings.items_processed),
        ):
            if amount is not None:  # the marker's bytes=/items=
                self.set_amount(keyword, amount)

    def set_amount(self, keyword: str, value: object) -> None:
        """bytes= or items=: what one op processes (one of the two)."""
        amount = _amount(self._test, keyword, value)
        other = next((k for k in self._amounts if k != keyword), None)
        if other is not None:
            raise ReportError(
                f"{self._test}: both bytes and items set: a benchmark reports one throughput"
            )
        self._amounts[keyword] = amount

    def add(
        self,
        name: object,
        value: object,
        unit: object,
        better: object,
        exact: object,
        tolerance: object,
    ) -> None:
        metric = _custom(self._test, name, value, unit, better, exact, tolerance)
        self._custom[metric.name] = metric  # reported again: the last value counts

    def __bool__(self) -> bool:
        return bool(self._amounts or self._custom)

    def applied(self, m: Measurement) -> Measurement:
        """`m` with the reported figures."""
        if not self:
            return m
        return replace(
            m,
            bytes_processed=self._amounts.get("bytes"),
            items_processed=self._amounts.get("items"),
            custom=tuple(self._custom.values()),
        )
