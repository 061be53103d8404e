"""The scaling table of the summary and the `scaling` section of the JSON results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pytest_perfguard.judge.scaling import Fit
from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.metrics import BY_NAME
from pytest_perfguard.report.terminal import align_columns, format_metric
from pytest_perfguard.units import format_time

__all__ = [
    "HEADER",
    "exponent_text",
    "metric_failures",
    "per_size_text",
    "scaling_document",
    "scaling_lines",
    "scaling_row",
    "verdict_text",
]

HEADER = ["group", "metric", "sizes", "exponent [95% CI]", "class", "rms", "base", "verdict"]


def exponent_text(f: Fit | str | None) -> str:
    """The exponent and its 95% interval ("1.98 [1.91, 2.05]"), or why there is none."""
    if f is None:
        return ""
    if isinstance(f, str):
        return f"n/a: {f}"
    if f.low == f.high:
        return f"{f.exponent:.2f}"
    return f"{f.exponent:.2f} [{f.low:.2f}, {f.high:.2f}]"


def metric_failures(g: GroupResult, name: str) -> list[str]:
    """The group's failures that are about metric `name` (each reads "group: name ...")."""
    return [f for f in g.failures if f.startswith(f"{g.group}: {name} ")]


def verdict_text(g: GroupResult, name: str) -> str:
    """What the gate said of one metric of a group: the comparison with the base's fit, and
    "over limit_scaling" where the budget failed it; "" when neither applies."""
    said = [] if name not in g.verdicts else [g.verdicts[name][0].value]
    if any("limit_scaling" in f for f in metric_failures(g, name)):
        said.append("over limit_scaling")
    return ", ".join(said)


def scaling_row(g: GroupResult, name: str) -> list[str]:
    """One row of the scaling table, as every report shows it (HEADER's columns)."""
    now = g.fits[name]
    return [
        g.group,
        BY_NAME[name].column,
        f"{g.sizes[0]}..{g.sizes[-1]} ({len(g.sizes)})",
        exponent_text(now),
        f"O({now.best.name})" if isinstance(now, Fit) else "",
        f"{now.rms:.1%}" if isinstance(now, Fit) else "",
        exponent_text(g.base.get(name)),
        verdict_text(g, name),
    ]


def per_size_text(g: GroupResult) -> str:
    """Each size's time per op and allocs/op: "n=16: 1.20 us 17 allocs/op, n=32: ..."."""
    allocs = BY_NAME["allocs"]
    return ", ".join(
        f"n={n}: {format_time(m.median_ns)}"
        + (
            f" {format_metric(allocs.name, v)} {allocs.column}"
            if (v := getattr(m, allocs.field)) is not None
            else ""
        )
        for n, m in zip(g.sizes, g.per_size, strict=True)
    )


def scaling_lines(groups: Sequence[GroupResult]) -> list[str]:
    """One row per group and fitted metric, the per-size figures, then the failures."""
    rows: list[list[str] | str] = [scaling_row(g, name) for g in groups for name in g.fits]
    lines = align_columns(HEADER, rows)
    lines.extend(f"{g.group}: {per_size_text(g)}" for g in groups)
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
            "members": dict(zip(g.nodeids, g.sizes, strict=True)),
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
