"""Draw the HTML report's plots with matplotlib, each as an inline SVG string (the html extra).

Imported only when an HTML report is written; importing it without matplotlib raises
ImportError, which the report turns into a note on how to get the plots. Figures are drawn
through matplotlib's object API (`Figure`, never pyplot) inside an `rc_context`, so a user's
pyplot state, backend and rcParams are left as they were.
"""

from __future__ import annotations

import io
import math
import re
import statistics
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from pytest_perfguard.report.plotter import ScalingSeries
from pytest_perfguard.units import format_time

__all__ = ["MatplotlibPlotter"]

_STYLE: dict[Any, Any] = {  # matplotlib types the keys as Literals
    "svg.fonttype": "none",  # text stays text: smaller files, crisp in any zoom
    "font.family": "sans-serif",
    "font.size": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#888888",
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.fontsize": 7.5,
    "legend.frameon": True,  # readable where it must overlap the data
    "legend.framealpha": 0.85,
    "legend.edgecolor": "#e2e8f0",
}
_SIZE = (5.4, 2.3)  # inches: two plots side by side fill a laptop-wide page
TODAY, SAVED, BAD, GOOD, BAND = "#2b6cb0", "#9aa5b1", "#c53030", "#2f855a", "#f6ad55"

_SERIES = (TODAY, "#dd6b20", GOOD, "#805ad5", "#718096", "#b83280")
"""One colour per metric of a scaling plot."""

_REFERENCE = re.compile(r'\bid="|url\(#|href="#')
"""Where an SVG id is defined or referred to."""
_UNITS = ((1e9, "s"), (1e6, "ms"), (1e3, "us"), (1.0, "ns"))


def _unit(ns: float) -> tuple[float, str]:
    """The time unit in which `ns` reads as 1 or more: (ns per unit, name)."""
    return next(((scale, name) for scale, name in _UNITS if ns >= scale), _UNITS[-1])


def _view(values: Sequence[float]) -> tuple[float, float]:
    """The range a histogram shows: the values, less outliers beyond 8 robust standard
    deviations of the median (one 1 ms round among 50 us ones would squeeze the rest into a
    single bar); the legend counts what is left out."""
    median = statistics.median(values)
    sd = 1.4826 * statistics.median(abs(v - median) for v in values)
    if sd == 0:
        return min(values), max(values)
    inside = [v for v in values if abs(v - median) <= 8 * sd]
    return min(inside), max(inside)


def _off_scale(values: Sequence[float], view: tuple[float, float]) -> str:
    out = sum(1 for v in values if not view[0] <= v <= view[1])
    return f", {out} off-scale" if out else ""


def _bins(view: tuple[float, float], n: int) -> list[float]:
    """Shared bin edges for every series of one plot, so their heights compare."""
    lo, hi = view
    count = max(6, min(30, int(2 * math.sqrt(n))))
    if hi <= lo:  # one value: a narrow bar around it
        lo, hi = lo * 0.99 or -1.0, hi * 1.01 or 1.0
    step = (hi - lo) / count
    return [lo + i * step for i in range(count + 1)]


def _figure() -> tuple[Figure, Axes]:
    # Fixed margins: a tight bounding box would draw every figure twice (half the cost).
    figure = Figure(figsize=_SIZE)
    figure.subplots_adjust(left=0.11, right=0.98, top=0.88, bottom=0.2)
    return figure, figure.add_subplot()


def _hist(ax: Axes, values: Sequence[float], edges: Sequence[float], **style: Any) -> None:
    """A filled histogram in one path (`hist` draws a patch per bar, several times slower);
    values outside the edges are left out."""
    counts, _ = numpy.histogram(values, bins=edges)
    ax.stairs(counts, edges, fill=True, **style)


class MatplotlibPlotter:
    """Draws each plot as a standalone `<svg>` element; one instance per report."""

    def __init__(self) -> None:
        self._count = 0

    def _svg(self, figure: Figure) -> str:
        self._count += 1
        buffer = io.StringIO()
        # A salt per figure keeps matplotlib's element ids unique within the one page that
        # holds every figure, and the output reproducible.
        with matplotlib.rc_context({"svg.hashsalt": f"perfguard-{self._count}"}):
            figure.savefig(buffer, format="svg", metadata={"Date": None})
        text = buffer.getvalue()
        text = text[text.index("<svg") :]  # inline: no XML declaration or doctype
        # matplotlib numbers its elements per figure (figure_1, patch_1...): prefix every id
        # and every reference to one, so the figures of one page never share an id.
        return _REFERENCE.sub(rf"\g<0>f{self._count}-", text)

    def distribution(
        self, samples_ns: Sequence[float], saved_ns: Sequence[float], saved_label: str
    ) -> str:
        """Histogram of this run's per-round time per op, over the newest saved run's."""
        with matplotlib.rc_context(_STYLE):
            scale, unit = _unit(min([*samples_ns, *saved_ns]))
            today = [s / scale for s in samples_ns]
            saved = [s / scale for s in saved_ns]
            view = _view(today + saved)
            edges = _bins(view, len(today) + len(saved))
            figure, ax = _figure()
            if saved:
                label = f"{saved_label} ({len(saved)} rounds{_off_scale(saved, view)})"
                _hist(ax, saved, edges, color=SAVED, alpha=0.55, label=label)
            label = f"this run ({len(today)} rounds{_off_scale(today, view)})"
            _hist(ax, today, edges, color=TODAY, alpha=0.8, label=label)
            median = sorted(samples_ns)[len(samples_ns) // 2]
            ax.axvline(median / scale, color="#1a202c", linewidth=1, linestyle="--")
            ax.set_title(f"Time per op, each round (median {format_time(median)})")
            ax.set_xlabel(f"time per op ({unit})")
            ax.set_ylabel("rounds")
            ax.legend(loc="best")
            return self._svg(figure)

    def ratios(
        self,
        ratios: Sequence[float],
        interval: tuple[float, float] | None,
        min_effect: float,
        ref: str,
    ) -> str:
        """Histogram of the paired head/base ratios, with the verdict's interval (of the
        ratio) and the minimum effect on either side of 1 marked."""
        with matplotlib.rc_context(_STYLE):
            marks = [1.0, 1.0 + min_effect, 1.0 - min_effect, *(interval or ())]
            view = _view(ratios)
            edges = _bins(view, len(ratios))
            figure, ax = _figure()
            if interval is not None:
                ax.axvspan(*interval, color=BAND, alpha=0.35, label="95% interval", linewidth=0)
            label = f"pairs ({len(ratios)}{_off_scale(ratios, view)})"
            _hist(ax, ratios, edges, color=TODAY, alpha=0.8, label=label)
            ax.axvline(1.0, color="#1a202c", linewidth=1, label="no change")
            # The minimum effect on either side: only a significant change beyond it is called.
            for side, colour, bar in ((1, BAD, "regression"), (-1, GOOD, "improvement")):
                at = 1.0 + side * min_effect
                label = f"{at:.2f} {bar} bar ({side * min_effect:+.0%} min effect)"
                ax.axvline(at, color=colour, linestyle="--", linewidth=1, label=label)
            lo, hi = min(view[0], *marks), max(view[1], *marks)
            pad = (hi - lo) * 0.05
            ax.set_xlim(lo - pad, hi + pad)
            ax.set_title(f"Head / base ({_short(ref)}) time per op, each pair of rounds")
            ax.set_xlabel("ratio (above 1: head is slower)")
            ax.set_ylabel("pairs")
            ax.legend(loc="best")
            return self._svg(figure)

    def trend(
        self,
        labels: Sequence[str],
        medians_ns: Sequence[float],
        today_ns: float,
        regressed: bool,
    ) -> str:
        """The saved runs' median time per op, oldest first, then this run's."""
        with matplotlib.rc_context(_STYLE):
            scale, unit = _unit(min([*medians_ns, today_ns]))
            xs = list(range(len(medians_ns)))
            figure, ax = _figure()
            ax.plot(
                xs, [m / scale for m in medians_ns], marker="o", color=SAVED, label="saved runs"
            )
            colour = BAD if regressed else TODAY
            now = len(medians_ns)
            if medians_ns:
                ax.plot(
                    [now - 1, now],
                    [medians_ns[-1] / scale, today_ns / scale],
                    color=colour,
                    linestyle=":",
                )
            ax.plot(
                [now],
                [today_ns / scale],
                marker="D",
                markersize=7,
                color=colour,
                linestyle="",
                label="this run",
            )
            ax.set_xticks([*xs, now], [*labels, "now"])
            ax.margins(x=0.08)
            ax.set_ylim(0, ax.get_ylim()[1] * 1.15)  # from zero: a 2% wobble looks like one
            ax.set_title("Median time per op, run by run")
            ax.set_ylabel(f"time per op ({unit})")
            ax.legend(loc="lower left")  # the points sit high: the axis starts at 0
            return self._svg(figure)

    def scaling(self, title: str, series: Sequence[ScalingSeries]) -> str:
        """One scaling group on log-log axes: each metric's measured points and its fitted
        class as a line (the base's fit dotted, when compared), every value relative to
        its own at the smallest size."""
        with matplotlib.rc_context(_STYLE):
            figure, ax = _figure()
            for i, s in enumerate(series):
                colour = _SERIES[i % len(_SERIES)]
                ax.plot(*zip(*s.curve, strict=True), color=colour, linewidth=1.2, linestyle="--")
                ax.plot(s.sizes, s.measured, marker="o", linestyle="", color=colour, label=s.label)
                if s.saved_curve:
                    ax.plot(
                        *zip(*s.saved_curve, strict=True),
                        color=colour,
                        linewidth=1.4,
                        linestyle=":",
                    )
            # Keys for the line styles, drawn in grey: the colours are the metrics'.
            ax.plot([], [], color=SAVED, linestyle="--", label="fitted class")
            if any(s.saved_curve for s in series):
                ax.plot([], [], color=SAVED, linestyle=":", linewidth=1.4, label="base's fit")
            ax.set_xscale("log")
            ax.set_yscale("log")
            sizes = sorted({n for s in series for n in s.sizes})
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.minorticks_off()
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 10, not 10^1
            ax.set_title(f"{title}: cost by input size n (log-log)")
            ax.set_xlabel("n (log scale)")
            ax.set_ylabel(f"relative to n={sizes[0]}" if sizes else "")
            ax.legend(loc="upper left")
            return self._svg(figure)


def _short(ref: str) -> str:
    """A revision label short enough for a plot title: 'main (1a2b3c4d5e6f)' -> 'main'."""
    return ref.split(" (")[0][:24]
