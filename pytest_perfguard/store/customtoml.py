"""A saved run's custom metrics as the baseline file holds them: a table per name."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pytest_perfguard.store.checks import Invalid, as_table, check_keys, field_value, show
from pytest_perfguard.store.keypaths import key
from pytest_perfguard.store.limits import MAX_PROFILE
from pytest_perfguard.usermetrics import BETTER, CustomMetric, custom_to_dict

__all__ = ["custom_tables", "parse_custom"]

_KEYS = {"value", "unit", "better", "exact", "tolerance"}


def custom_tables(metrics: Sequence[CustomMetric], where: str) -> dict[str, Any]:
    """Each metric under its name, its value to 7 significant digits (as counts)."""
    out = {}
    for m in metrics:
        if not math.isfinite(m.value):
            raise ValueError(f"{where}.custom.{m.name} is not finite: {m.value!r}")
        table = custom_to_dict(m)
        table["value"] = float(f"{m.value:.7g}")
        out[m.name] = table
    return out


def parse_custom(raw: object, where: str) -> tuple[CustomMetric, ...]:
    """The custom metrics of a run's `custom` table, every key checked."""
    tables = as_table(raw, where)
    if len(tables) > MAX_PROFILE:
        raise Invalid(where, f"more than {MAX_PROFILE} custom metrics")
    out = []
    for name, value in tables.items():
        at = key(where, name)
        table = as_table(value, at)
        check_keys(table, at, _KEYS)
        number = field_value(table, "value", "number", at)
        unit = field_value(table, "unit", "string", at) if "unit" in table else ""
        better = field_value(table, "better", "string", at) if "better" in table else "lower"
        if better not in BETTER:
            raise Invalid(f"{at}.better", f"expected 'lower' or 'higher', got {show(better)}")
        exact = table.get("exact", False)
        if not isinstance(exact, bool):
            raise Invalid(f"{at}.exact", f"expected true or false, got {show(exact)}")
        tolerance = None
        if "tolerance" in table:
            tolerance = field_value(table, "tolerance", "number", at)
            if tolerance < 0:
                raise Invalid(f"{at}.tolerance", f"expected 0 or more, got {show(tolerance)}")
        out.append(CustomMetric(name, number, unit, better, exact, tolerance))
    return tuple(out)
