"""The checks of a baseline's parsed values: tables, known keys, types and ranges."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from pytest_perfguard.metrics import METRICS, MetricKind
from pytest_perfguard.store.codec import from_isoformat
from pytest_perfguard.store.keypaths import key as key_in
from pytest_perfguard.store.limits import (
    MAX_COUNT,
    MAX_CPUS,
    MAX_ITERATIONS,
    MAX_NS,
    MAX_RATIO,
    MAX_SAMPLES,
    MAX_STRING,
    MAX_THREADS,
    MIN_NS,
    MIN_RATIO,
)

LIMITS: dict[str, tuple[float, float]] = {
    **{m.field: (MIN_NS, MAX_NS) if m.kind is MetricKind.TIME else (0, MAX_COUNT) for m in METRICS},
    "ref_ratio": (MIN_RATIO, MAX_RATIO),
    "reference_ns": (MIN_NS, MAX_NS),
    "rounds": (1, MAX_ITERATIONS),
    "loops": (1, MAX_ITERATIONS),
    "samples_ns": (MIN_NS, MAX_NS),
    "ref_ratios": (MIN_RATIO, MAX_RATIO),
    "cpu_count": (1, MAX_CPUS),
    "bytes_processed": (1, MAX_COUNT),
    "items_processed": (1, MAX_COUNT),
    "threads": (1, MAX_THREADS),
    "sweep": (1, MAX_THREADS),
    "ops_per_s": (1 / MAX_NS, 1e9 * MAX_THREADS / MIN_NS),
    "efficiency": (MIN_RATIO, MAX_RATIO),
    "efficiency_rounds": (MIN_RATIO, MAX_RATIO),
}
"""(lowest, highest) value of each numeric field, inclusive; the writer checks them too."""
_EXPECTED = {
    "string": "a string",
    "integer": "an integer",
    "number": "a finite number",
    "numbers": "an array of finite numbers",
    "integers": "an array of integers",
    "timestamp": "an ISO 8601 date-time with a UTC offset",
}


class Invalid(Exception):
    """A problem at a key path, before the file name is known."""

    def __init__(
        self, key: str, problem: str, line: int | None = None, path: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(problem)
        self.key, self.problem, self.line, self.path = key, problem, line, path


def field_value(table: Mapping[str, Any], name: str, kind: str, where: str) -> Any:
    """The field `name` of the table at `where`, checked to be of `kind` and in its range;
    Invalid when it is missing or is not."""
    key = f"{where}.{name}" if where else name
    if name not in table:
        raise Invalid(key, f"missing, expected {_EXPECTED[kind]}")
    value, limits = table[name], LIMITS.get(name)
    if kind in ("numbers", "integers") and isinstance(value, list):
        if len(value) > MAX_SAMPLES:
            raise Invalid(key, f"{len(value)} values, more than the {MAX_SAMPLES} allowed")
        one = kind.removesuffix("s")
        return tuple(_convert(v, one, f"{key}[{i}]", limits) for i, v in enumerate(value))
    return _convert(value, kind, key, limits)


def optional_field(table: Mapping[str, Any], name: str, kind: str, where: str) -> Any:
    """Like `field_value`, but None when the table has no field `name`."""
    return field_value(table, name, kind, where) if name in table else None


def _convert(value: object, kind: str, key: str, limits: tuple[float, float] | None = None) -> Any:
    if kind == "timestamp" and isinstance(value, datetime):
        value = value.isoformat()  # a hand-written TOML date-time reads as well as a string
    if kind == "timestamp" and isinstance(value, str) and _is_timestamp(value):
        return value
    if kind == "string" and isinstance(value, str):
        if len(value) > MAX_STRING:
            raise Invalid(key, f"a string of {len(value)} characters (at most {MAX_STRING})")
        return value
    number: int | float | None = None
    if kind in ("integer", "number") and type(value) is int:  # bool is an int: excluded
        number = value if kind == "integer" else float(value)
    elif kind == "number" and type(value) is float and math.isfinite(value):
        number = value
    if number is None:
        raise Invalid(key, f"expected {_EXPECTED[kind]}, got {show(value)}")
    if limits is not None and not limits[0] <= number <= limits[1]:
        low, high = limits
        raise Invalid(
            key, f"expected {_EXPECTED[kind]} from {low:g} to {high:g}, got {show(value)}"
        )
    return number


def as_table(value: object, where: str) -> Mapping[str, Any]:
    """`value` if it is a table, else Invalid at `where`."""
    if not isinstance(value, dict):
        raise Invalid(where, f"expected a table, got {show(value)}")
    return value


def check_keys(table: Mapping[str, Any], where: str, known: set[str]) -> None:
    """Invalid at the first key of `table` that is not one of `known`."""
    for name in table:
        if name not in known:
            raise Invalid(key_in(where, name), f"unknown key (known: {', '.join(sorted(known))})")


def _is_timestamp(text: str) -> bool:
    if len(text) > 64:
        return False
    try:
        stamp = from_isoformat(text)
        # Timestamps are compared and sorted across offsets: they must exist in UTC too.
        return stamp.tzinfo is not None and stamp.astimezone(timezone.utc) is not None
    except (ValueError, OverflowError):
        return False


def show(value: object) -> str:
    """A value as a message names it: its kind for a table or array, else its short repr."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
