"""The scaling table of the summary and the `scaling` section of the JSON results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_perfguard.judge.scaling import Fit
from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.metrics import BY_NAME
from pytest_perfguard.report.terminal import align_columns, format_metric
from pytest_perfguard.units import format_time

__all__ = ["scaling_document", "scaling_lines"]

HEADER = ["group", "metric", "sizes", "exponent [95% CI]", "class", "rms", "saved", "verdict"]


def _exponent(f: Fit | str | None) -> str:
    if f is None:
        return ""
    if isinstance(f, str):
        return f"n/a: {f}"
    if f.low == f.high:
        return f"{f.exponent:.2f}"
    return f"{f.exponent:.2f} [{f.low:.2f}, {f.high:.2f}]"


def scaling_lines(groups: Sequence[GroupResult]) -> list[str]:
    """One row per group and fitted metric, the per-size figures, then the failures."""
    rows: list[list[str] | str] = []
    for g in groups:
        sizes = f"{g.sizes[0]}..{g.sizes[-1]} ({len(g.sizes)})"
        for name, now in g.fits.items():
            base = g.base.get(name)
            verdict = g.verdicts.get(name)
            rows.append(
                [
                    g.group,
                    BY_NAME[name].column,
                    sizes,
                    _exponent(now),
                    f"O({now.best.name})" if isinstance(now, Fit) else "",
                    f"{now.rms:.1%}" if isinstance(now, Fit) else "",
                    _exponent(base),
                    "" if verdict is None else verdict[0].value,
                ]
            )
    lines = align_columns(HEADER, rows)
    for g in groups:
        allocs = BY_NAME["allocs"]
        per_size = ", ".join(
            f"n={n}: {format_time(m.median_ns)}"
            + (f" {format_metric(allocs.name, v)} {allocs.column}"
               if (v := getattr(m, allocs.field)) is not None else "")
            for n, m in zip(g.sizes, g.per_size, strict=True)
        )  # fmt: skip
        lines.append(f"{g.group}: {per_size}")
    lines.extend(f"FAILED {failure}" for g in groups for failure in g.failures)
    return lines


def _fit_doc(f: Fit | str) -> dict[str, Any]:
    if isinstance(f, str):
        return {"fitted": False, "why": f}
    return {
        "fitted": True,
        "exponent": f.exponent,
        "interval": [f.low, f.high],
        "class": f.best.name,
        "rms": f.rms,
        "coefficient": f.coefficient,
        "constant": f.constant,
    }


def scaling_document(groups: Sequence[GroupResult]) -> list[dict[str, Any]]:
    """The JSON `scaling` section: each group's sizes, fits, saved fits and verdicts."""
    return [
        {
            "group": g.group,
            "sizes": list(g.sizes),
            "metrics": {
                name: {
                    **_fit_doc(now),
                    "saved": None if name not in g.base else _fit_doc(g.base[name]),
                    "verdict": None if name not in g.verdicts else g.verdicts[name][0].value,
                }
                for name, now in g.fits.items()
            },
            "failures": list(g.failures),
        }
        for g in groups
    ]
