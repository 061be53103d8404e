"""One benchmark's section of the HTML report, part by part, and the cells the page shares.

Each part is a function of the benchmark (and the plotter) returning HTML lines; PARTS lists
them in page order, so a new part (a profile diff) is one function and one entry.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from pytest_perfguard.metrics import MetricKind, MetricSpec, Output, listed_in
from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Measurement,
    MetricComparison,
    PairedRun,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.parallel import parallel_line
from pytest_perfguard.report.plotter import Plotter
from pytest_perfguard.report.rules import comparison_notes, rule_text
from pytest_perfguard.report.sitewords import site_tables
from pytest_perfguard.report.terminal import format_change, format_metric, metric_name
from pytest_perfguard.report.verdicts import comparison_verdict, metric_verdict
from pytest_perfguard.report.where import base_text, signed_count, signed_time
from pytest_perfguard.store.history import SAMPLES_KEPT, SAMPLES_UNTIL_RUNS
from pytest_perfguard.units import format_time

__all__ = [
    "PARTS",
    "Bench",
    "Plotter",
    "badge",
    "change_cell",
    "code",
    "count",
    "metric_cell",
    "section",
    "table",
    "value",
]


@dataclass(frozen=True, slots=True)
class Bench:
    """One benchmark's section: what its parts draw from."""

    anchor: str
    result: BenchResult
    comparison: Comparison | None
    history: Sequence[RunSummary]
    paired: PairedRun | None
    min_effect: float
    """The time bar it was judged against (A/B: marked on the ratios)."""
    failed: bool = False
    """Its test failed, for any reason."""
    baseline_path: str | None = None


def badge(c: Comparison | None, failed: bool) -> str:
    if c is None:
        return '<span class="badge fail">test failed</span>' if failed else ""
    if c.failing:
        names = ", ".join(metric_name(m.metric) for m in c.failing)
        return f'<span class="badge fail">regressed: {escape(names)}</span>'
    kind = {Verdict.REGRESSED: "warn", Verdict.IMPROVED: "good", Verdict.NEW: "info"}
    text = comparison_verdict(c) + (" (advisory)" if c.verdict is Verdict.REGRESSED else "")
    return f'<span class="badge {kind.get(c.verdict, "plain")}">{escape(text)}</span>'


def run_labels(runs: Sequence[RunSummary]) -> list[tuple[str, str]]:
    """(day, time) for each saved run, told apart: '11-30', '18:59'; the time to the second
    when two runs share a minute; numbered from the oldest (#1) when two share a second too."""
    for end in (16, 19):  # '2026-11-30T18:59:57+00:00'[5:end]
        labels = [r.timestamp[5:end].partition("T")[::2] for r in runs]
        if len(set(labels)) == len(labels):
            return labels
    return [(f"#{i} {day}", time) for i, (day, time) in enumerate(labels, 1)]


_TEXT_COLUMNS = frozenset({"benchmark", "group", "verdict", "run", "metric", "function"})
"""Left-aligned; every other column holds figures, right-aligned so their digits line up."""


def table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> list[str]:
    """Cells are HTML already."""
    kinds = [' class="t"' if h in _TEXT_COLUMNS else "" for h in header]
    head = "".join(f"<th{k}>{escape(h)}</th>" for h, k in zip(header, kinds, strict=True))
    body = [
        "<tr>" + "".join(f"<td{k}>{c}</td>" for c, k in zip(row, kinds, strict=True)) + "</tr>"
        for row in rows
    ]
    return [
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>',
        *body,
        "</tbody></table>",
    ]


def count(value: float | None) -> str:
    """Allocations per op for people: '117,700', '4', '0.25' (never '1.177e+05')."""
    if value is None:
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def value(metric: str, number: float | None) -> str:
    """A metric's value as the tables show it: counts whole, times and sizes with units."""
    return count(number) if metric == "allocs" else format_metric(metric, number)


def code(text: str) -> str:
    """Escaped; a long node id breaks only after a `/` or `::`, never inside a name."""
    parts = re.split(r"(?<=/)|(?<=::)", text)
    return (
        "<code>" + "<wbr>".join(f'<span class="nb">{escape(p)}</span>' for p in parts) + "</code>"
    )


def change_cell(m: MetricComparison) -> str:
    """The change, its interval in small print below: the table stays narrow."""
    text = escape(format_change(m))
    return text.replace(" [", "<br><small>[", 1) + "</small>" if m.interval is not None else text


def _plots_part(b: Bench, plotter: Plotter | None) -> list[str]:
    """The distribution (A/B: of the paired ratios) and the trend, or say how to get them."""
    m = b.result.measurement
    saved = b.history[-1] if b.history else None
    figures = []
    if plotter is not None:
        time = (
            None
            if b.comparison is None
            else next((x for x in b.comparison.metrics if x.metric == "time"), None)
        )
        if b.paired is not None and len(b.paired.ratios) >= 2:
            interval = (
                None
                if time is None or time.interval is None
                else (1 + time.interval[0], 1 + time.interval[1])
            )
            figures.append(plotter.ratios(b.paired.ratios, interval, b.min_effect, b.paired.ref))
        elif m.samples_ns:
            old = saved.samples_ns if saved is not None and saved.samples_ns else ()
            label = f"saved run {' '.join(run_labels(b.history)[-1])}" if saved and old else ""
            figures.append(plotter.distribution(m.samples_ns, old, label))
        if b.history:
            regressed = time is not None and time.verdict is Verdict.REGRESSED
            labels = [f"{day}\n{time}" for day, time in run_labels(b.history)]
            medians = [r.median_ns for r in b.history]
            figures.append(plotter.trend(labels, medians, m.median_ns, regressed))
    lines = []
    if figures:
        lines += ['<div class="plots">', *(f"<figure>{svg}</figure>" for svg in figures), "</div>"]
    lines += _rounds_table(b)
    if not b.history:
        where = code(b.baseline_path) if b.baseline_path else "the baseline"
        lines.append(f'<p class="note">No saved runs in {where}: no trend to show.</p>')
    return lines


NO_ROUNDS = ("n/a", "n/a")
ROUNDS_NOTE = (
    "min and max: the fastest and slowest round. A saved run keeps its rounds only while its "
    f"benchmark has fewer than {SAMPLES_UNTIL_RUNS} saved runs, and only the newest (a sample of "
    f"{SAMPLES_KEPT} at most): n/a where the baseline kept none."
)

_RUN_METRICS = tuple(
    spec for spec in listed_in(Output.RUNS_TABLE) if spec.kind is not MetricKind.TIME
)


def metric_cell(spec: MetricSpec, number: float | None) -> str:
    """A measured metric in a table cell: sizes with units, counts whole."""
    return format_metric(spec.name, number) if spec.is_bytes else count(number)


def _run_row(label: str, run: Measurement | RunSummary) -> list[str]:
    samples = run.samples_ns
    low, high = (format_time(min(samples)), format_time(max(samples))) if samples else NO_ROUNDS
    return [
        label,
        f"{run.rounds} x {run.loops}",
        low,
        format_time(run.median_ns),
        high,
        *(metric_cell(spec, getattr(run, spec.field)) for spec in _RUN_METRICS),
    ]


def _rounds_table(b: Bench) -> list[str]:
    """The saved runs and this run as figures: the tables behind the plots (per-round min and
    max where the rounds were kept: the baseline keeps them for its newest run only)."""
    header = [
        "run",
        "rounds x loops",
        "min",
        "median",
        "max",
        *(spec.column for spec in _RUN_METRICS),
    ]
    labels = run_labels(b.history)
    rows = [
        _run_row(f"saved {escape(' '.join(label))}", r)
        for label, r in zip(labels, b.history, strict=True)
    ]
    rows.append(_run_row("<b>this run</b>", b.result.measurement))
    if b.paired is not None and b.paired.ratios:
        r = b.paired.ratios  # head's time over base's, per pair of rounds
        rows.append(
            [
                "head / base ratio",
                f"{len(r)} pairs",
                f"{min(r):.3f}",
                f"{statistics.median(r):.3f}",
                f"{max(r):.3f}",
                *("" for _ in _RUN_METRICS),
            ]
        )
    lines = table(header, rows, "runs")
    if any(not r.samples_ns for r in b.history):
        lines.append(f'<p class="note">{escape(ROUNDS_NOTE)}</p>')
    return lines


def _verdict_part(b: Bench, plotter: Plotter | None) -> list[str]:
    """Each metric's comparison and the rule that decided it."""
    c = b.comparison
    if c is None:
        return [
            '<p class="note">Not compared: run with --perf-compare (against the baseline) '
            "or --perf-compare-ref REF for a verdict.</p>"
        ]
    lines = [f'<p class="note">{escape(note)}</p>' for note in comparison_notes(c)]
    if not c.metrics:
        return lines
    header = ["metric", "baseline", "now", "change [95% CI]", "p", "verdict"]
    rows = []
    for m in c.metrics:
        verdict = metric_verdict(m, advisory=True)
        if m.verdict is Verdict.REGRESSED and not m.advisory:
            verdict = f'<b class="bad">{verdict}</b>'
        rows.append(
            [
                metric_name(m.metric),
                escape(value(m.metric, m.baseline)),
                escape(value(m.metric, m.current)),
                escape(format_change(m)),
                "" if m.p_value is None else f"{m.p_value:.2g}",
                verdict,
            ]
        )
    lines += table(header, rows, "metrics")
    lines.append('<dl class="rules">')
    for m in c.metrics:
        lines.append(f"<dt>{escape(metric_name(m.metric))}</dt><dd>{escape(rule_text(m))}</dd>")
    lines.append("</dl>")
    return lines


def _where_part(b: Bench, plotter: Plotter | None) -> list[str]:
    """For a regression: the functions whose own time and calls per op changed most."""
    where = None if b.comparison is None else b.comparison.where
    if where is None:
        return []
    lines = [
        "<h3>Where: the profile, base against this run</h3>",
        f'<p class="note">Per op, from the profiling pass (the profiler inflates both sides '
        f"alike); base: {escape(base_text(where))}.</p>",
    ]
    header = ["function", "own time base", "now", "change", "calls/op base", "now"]
    rows = [
        [
            code(c.where),
            escape(format_time(c.base_own_ns)),
            escape(format_time(c.head_own_ns)),
            escape(signed_time(c.head_own_ns - c.base_own_ns)),
            count(c.base_calls),
            count(c.head_calls),
        ]
        for c in where.by_time
    ]
    lines += table(header, rows, "where") if rows else []
    if where.by_calls:
        header = ["function", "calls/op base", "now", "change"]
        rows = [
            [
                code(c.where),
                count(c.base_calls),
                count(c.head_calls),
                escape(signed_count(c.head_calls - c.base_calls)),
            ]
            for c in where.by_calls
        ]
        lines += table(header, rows, "where")
    for header, rows in site_tables(where):  # an allocation regression's sites
        lines += table(header, [[code(r[0]), *map(escape, r[1:])] for r in rows], "where")
    return lines


def _notes_part(b: Bench, plotter: Plotter | None) -> list[str]:
    line = parallel_line(b.result.measurement)
    notes = (*([line] if line else []), *b.result.measurement.notes)
    if not notes:
        return []
    return ['<ul class="notes">', *(f"<li>{escape(n)}</li>" for n in notes), "</ul>"]


Part = Callable[[Bench, "Plotter | None"], list[str]]
PARTS: tuple[Part, ...] = (_plots_part, _verdict_part, _where_part, _notes_part)
"""A benchmark's section, part by part: add a part here to extend every section."""


def section(b: Bench, plotter: Plotter | None) -> list[str]:
    failed = b.failed
    group = f' <span class="group">group {escape(b.result.group)}</span>' if b.result.group else ""
    title = f"{code(b.result.nodeid)} {badge(b.comparison, failed)}{group}"
    nodeid = escape(b.result.nodeid)  # quotes too: safe in an attribute
    lines = [f'<section class="bench" id="{b.anchor}" data-nodeid="{nodeid}">', f"<h2>{title}</h2>"]
    for part in PARTS:
        lines += part(b, plotter)
    return [*lines, "</section>"]
