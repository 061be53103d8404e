"""The HTML report's scaling section: the summary's table of fits and verdicts, the failures,
and a log-log plot per group of the measured points and the fitted class (pure)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from pytest_perfguard.judge.scaling import Fit
from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.metrics import BY_NAME
from pytest_perfguard.report.htmlbench import code, table
from pytest_perfguard.report.plotter import Plotter, ScalingSeries
from pytest_perfguard.report.scaling import (
    HEADER,
    metric_failures,
    per_size_text,
    scaling_row,
)

__all__ = ["CURVE_POINTS", "scaling_section", "scaling_series"]

CURVE_POINTS = 40
"""Points of each fitted curve, evenly spaced in log n: a + b f(n) bends where a weighs in."""


def _curve(f: Fit, scale: float) -> tuple[tuple[float, float], ...]:
    lo, hi = math.log(f.sizes[0]), math.log(f.sizes[-1])
    ns = [math.exp(lo + (hi - lo) * i / (CURVE_POINTS - 1)) for i in range(CURVE_POINTS)]
    return tuple((n, (f.constant + f.coefficient * f.best.f(n)) / scale) for n in ns)


def scaling_series(g: GroupResult) -> list[ScalingSeries]:
    """Each metric of the group that has an exponent and is not zero, relative to its value at
    the smallest size; the curves are the fits the verdicts used, evaluated (never fitted
    again): this run's, and the saved runs' where compared."""
    series = []
    for name, f in g.fits.items():
        if not isinstance(f, Fit) or not f.values or f.values[0] <= 0:
            continue  # no exponent, or zero everywhere: nothing to draw on log axes
        scale = f.values[0]
        label = f"{BY_NAME[name].column}: O({f.best.name}), n^{f.exponent:.2f}"
        measured = tuple(v / scale for v in f.values)
        base = g.base.get(name)
        saved: tuple[tuple[float, float], ...] = ()
        if isinstance(base, Fit) and base.values and base.values[0] > 0:
            saved = _curve(base, base.values[0])
        series.append(ScalingSeries(label, f.sizes, measured, _curve(f, scale), saved))
    return series


def _rows(groups: Sequence[GroupResult]) -> list[list[str]]:
    rows = []
    for g in groups:
        for name in g.fits:
            cells = [escape(cell) for cell in scaling_row(g, name)]
            cells[0] = code(g.group)
            if metric_failures(g, name):
                cells[-1] = f'<b class="bad">{cells[-1]}</b>'
            rows.append(cells)
    return rows


def _group_title(g: GroupResult) -> str:
    """The test's name without its file: plots are narrow."""
    return g.group.split("::", 1)[-1]


def scaling_section(groups: Sequence[GroupResult], plotter: Plotter | None) -> list[str]:
    """The section, or nothing when the run had no scaling group."""
    if not groups:
        return []
    lines = [
        '<section class="scaling" id="scaling"><h2>Scaling: how each group\'s cost grows '
        "with n</h2>",
        *table(HEADER, _rows(groups), "scaling"),
    ]
    failures = [
        f"<li>{code(g.group)}: {escape(f.removeprefix(g.group + ': '))}</li>"
        for g in groups
        for f in g.failures
    ]
    if failures:
        lines += ['<ul class="bad">', *failures, "</ul>"]
    figures = []
    for g in groups:
        series = scaling_series(g)
        if plotter is not None and series:
            figures.append(f"<figure>{plotter.scaling(_group_title(g), series)}</figure>")
    if figures:
        lines += ['<div class="plots">', *figures, "</div>"]
    lines += [f'<p class="note">{code(g.group)}: {escape(per_size_text(g))}</p>' for g in groups]
    return [*lines, "</section>"]
