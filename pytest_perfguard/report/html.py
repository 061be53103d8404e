"""Render a run as one self-contained HTML page: headline, regressions, table, a section per
benchmark with its plots and verdict (pure: values in, text out; plots from a Plotter)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Protocol

from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    MetricComparison,
    PairedRun,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.htmlstyle import CSS
from pytest_perfguard.report.markdown import by_urgency, headline
from pytest_perfguard.report.terminal import format_change, format_metric, metric_name
from pytest_perfguard.units import format_time

__all__ = ["PLOTS_MISSING", "HtmlReport", "Plotter", "load_plotter", "render_html"]

PLOTS_MISSING = (
    "Plots are not drawn: matplotlib is not installed. Install the extra to get them: "
    "pip install 'pytest-perfguard[html]'"
)


class Plotter(Protocol):
    """Draws one plot as an inline `<svg>` element (report/plots.py; a fake in tests)."""

    def distribution(
        self, samples_ns: Sequence[float], saved_ns: Sequence[float], saved_label: str
    ) -> str: ...

    def ratios(
        self,
        ratios: Sequence[float],
        interval: tuple[float, float] | None,
        min_effect: float,
        ref: str,
    ) -> str: ...

    def trend(
        self, labels: Sequence[str], medians_ns: Sequence[float], today_ns: float, regressed: bool
    ) -> str: ...


def load_plotter() -> Plotter | None:
    """matplotlib's plotter, or None when the html extra is not installed."""
    try:
        from pytest_perfguard.report.plots import MatplotlibPlotter
    except ImportError:
        return None
    return MatplotlibPlotter()


@dataclass(frozen=True, slots=True)
class HtmlReport:
    """Everything the page shows, gathered by the run."""

    results: Sequence[BenchResult]
    comparisons: Mapping[str, Comparison]
    generated: str
    """When the run ended (ISO 8601)."""
    baseline_path: str | None = None
    ref: str | None = None
    """Same-job A/B: REF and its commit, measured in this run."""
    history: Mapping[str, Sequence[RunSummary]] = field(default_factory=dict)
    """The saved runs of each benchmark, oldest first."""
    paired: Mapping[str, PairedRun] = field(default_factory=dict)
    min_effects: Mapping[str, float] = field(default_factory=dict)
    """The time bar each benchmark was judged against."""
    failed: frozenset[str] = frozenset()
    """Benchmarks whose test failed, for any reason (a budget, a regression, an assertion)."""
    notes: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Bench:
    """One benchmark's section: what its parts draw from."""

    anchor: str
    result: BenchResult
    comparison: Comparison | None
    history: Sequence[RunSummary]
    paired: PairedRun | None
    min_effect: float
    report: HtmlReport


def _badge(c: Comparison | None, failed: bool) -> str:
    if c is None:
        return '<span class="badge fail">test failed</span>' if failed else ""
    if c.failing:
        names = ", ".join(metric_name(m.metric) for m in c.failing)
        return f'<span class="badge fail">regressed: {escape(names)}</span>'
    kind = {Verdict.REGRESSED: "warn", Verdict.IMPROVED: "good", Verdict.NEW: "info"}
    text = c.verdict.value + (" (advisory)" if c.verdict is Verdict.REGRESSED else "")
    return f'<span class="badge {kind.get(c.verdict, "plain")}">{escape(text)}</span>'


def _stamp(run: RunSummary) -> str:
    """'2026-11-30T18:59:57+00:00' -> '11-30 18:59'."""
    return run.timestamp[5:16].replace("T", " ")


_TEXT_COLUMNS = frozenset({"benchmark", "group", "verdict", "run", "metric"})
"""Left-aligned; every other column holds figures, right-aligned so their digits line up."""


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> list[str]:
    """Cells are HTML already."""
    kinds = [' class="t"' if h in _TEXT_COLUMNS else "" for h in header]
    head = "".join(f"<th{k}>{escape(h)}</th>" for h, k in zip(header, kinds, strict=True))
    body = [
        "<tr>" + "".join(f"<td{k}>{c}</td>" for c, k in zip(row, kinds, strict=True)) + "</tr>"
        for row in rows
    ]
    return [f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>', *body, "</tbody>"
            "</table>"]  # fmt: skip


def _count(value: float | None) -> str:
    """Allocations per op for people: '117,700', '4', '0.25' (never '1.177e+05')."""
    if value is None:
        return "n/a"
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _code(text: str) -> str:
    """Escaped; a long node id breaks only after a `/` or `::`, never inside a name."""
    parts = re.split(r"(?<=/)|(?<=::)", text)
    return (
        "<code>" + "<wbr>".join(f'<span class="nb">{escape(p)}</span>' for p in parts) + "</code>"
    )


def _head(report: HtmlReport, ordered: Sequence[Comparison]) -> list[str]:
    results = report.results
    failing = any(c.failing for c in ordered) or bool(report.failed)
    state = "fail" if failing else ("pass" if ordered else "info")
    word = {"fail": "FAIL", "pass": "PASS", "info": "MEASURED"}[state]
    line = headline(ordered, results, icons=False)
    where = ""
    if report.ref is not None:
        where = f"Compared with {_code(report.ref)}, measured in this run in paired rounds. "
    elif ordered and report.baseline_path:
        where = f"Compared with the baseline {_code(report.baseline_path)}. "
    lines = [f'<header class="{state}"><span class="verdict">{word}</span>',
             f"<h1>perfguard: {escape(line)}</h1></header>"]  # fmt: skip
    tests = f"{len(report.failed)} perf test(s) failed. " if report.failed else ""
    lines.append(f'<p class="sub">{where}{tests}Run ended {escape(report.generated)}.</p>')
    lines += [f'<p class="note">{escape(note)}</p>' for note in report.notes]
    return lines


def _regressions(benches: Sequence[Bench]) -> list[str]:
    items = []
    for b in benches:
        c = b.comparison
        if c is None or c.verdict is not Verdict.REGRESSED:
            continue
        which = [m for m in c.metrics if m.verdict is Verdict.REGRESSED]
        what = "; ".join(
            f"{metric_name(m.metric)} {format_metric(m.metric, m.baseline)} → "
            f"{format_metric(m.metric, m.current)} ({format_change(m)})"
            + (" (advisory)" if m.advisory else "")
            for m in which
        )
        items.append(
            f'<li>{_badge(c, False)} <a href="#{b.anchor}">{_code(c.nodeid)}</a>: {escape(what)}'
            "</li>"
        )
    if not items:
        return []
    return ['<section class="regressions"><h2>Regressions</h2><ul>', *items, "</ul></section>"]


def _change(m: MetricComparison) -> str:
    """The change, its interval in small print below: the table stays narrow."""
    text = escape(format_change(m))
    return text.replace(" [", "<br><small>[", 1) + "</small>" if m.interval is not None else text


def _overview(benches: Sequence[Bench], compared: bool) -> list[str]:
    header = ["benchmark", "group", "time/op", "spread", "allocs/op", "B/op", "peak mem"]
    if compared:
        header[4:4] = ["change [95% CI]", "verdict"]
    rows = []
    for b in benches:
        m = b.result.measurement
        spread = f"±{m.spread_ns / m.median_ns:.1%}" if m.median_ns > 0 else "n/a"
        peak = format_metric("memory", m.peak_memory_bytes)
        if m.peak_memory_bytes is not None and not m.peak_memory_exact:
            peak = "≥" + peak
        row = [f'<a href="#{b.anchor}">{_code(b.result.nodeid)}</a>',
               escape(b.result.group or ""), format_time(m.median_ns), spread,
               _count(m.allocs_per_op), format_metric("bytes", m.bytes_per_op),
               escape(peak)]  # fmt: skip
        if compared:
            c = b.comparison
            time = None if c is None else next((x for x in c.metrics if x.metric == "time"), None)
            change = "" if time is None else _change(time)
            failed = b.result.nodeid in b.report.failed
            row[4:4] = [change, _badge(c, failed) or ("test failed" if failed else "")]
        rows.append(row)
    title = f"All benchmarks ({len(benches)})"
    return [f"<section><h2>{title}</h2>", *_table(header, rows, "overview"), "</section>"]


def _plots_part(b: Bench, plotter: Plotter | None) -> list[str]:
    """The distribution (A/B: of the paired ratios) and the trend, or say how to get them."""
    m = b.result.measurement
    saved = b.history[-1] if b.history else None
    figures = []
    if plotter is not None:
        time = None if b.comparison is None else next(
            (x for x in b.comparison.metrics if x.metric == "time"), None
        )  # fmt: skip
        if b.paired is not None and len(b.paired.ratios) >= 2:
            interval = None if time is None or time.interval is None else (
                1 + time.interval[0], 1 + time.interval[1]
            )  # fmt: skip
            figures.append(plotter.ratios(b.paired.ratios, interval, b.min_effect, b.paired.ref))
        elif m.samples_ns:
            old = saved.samples_ns if saved is not None and saved.samples_ns else ()
            label = f"saved run {_stamp(saved)}" if saved and old else ""
            figures.append(plotter.distribution(m.samples_ns, old, label))
        if b.history:
            regressed = time is not None and time.verdict is Verdict.REGRESSED
            labels = [_stamp(r).replace(" ", "\n") for r in b.history]
            medians = [r.median_ns for r in b.history]
            figures.append(plotter.trend(labels, medians, m.median_ns, regressed))
    lines = []
    if figures:
        lines += ['<div class="plots">', *(f"<figure>{svg}</figure>" for svg in figures), "</div>"]
    lines += _rounds_table(b)
    if not b.history:
        where = _code(b.report.baseline_path) if b.report.baseline_path else "the baseline"
        lines.append(f'<p class="note">No saved runs in {where}: no trend to show.</p>')
    return lines


def _run_row(
    label: str,
    rounds: int,
    loops: int,
    median_ns: float,
    samples: Sequence[float] | None,
    allocs: float | None,
    peak: int | None,
) -> list[str]:
    low, high = (format_time(min(samples)), format_time(max(samples))) if samples else ("", "")
    return [label, f"{rounds} x {loops}", low, format_time(median_ns), high, _count(allocs),
            format_metric("memory", peak)]  # fmt: skip


def _rounds_table(b: Bench) -> list[str]:
    """The saved runs and this run as figures: the tables behind the plots (per-round min and
    max where the rounds were kept: the baseline keeps them for its newest run only)."""
    header = ["run", "rounds x loops", "min", "median", "max", "allocs/op", "peak mem"]
    rows = [_run_row(f"saved {escape(_stamp(r))}", r.rounds, r.loops, r.median_ns, r.samples_ns,
                     r.allocs_per_op, r.peak_memory_bytes) for r in b.history]  # fmt: skip
    m = b.result.measurement
    rows.append(_run_row("<b>this run</b>", m.rounds, m.loops, m.median_ns, m.samples_ns,
                         m.allocs_per_op, m.peak_memory_bytes))  # fmt: skip
    if b.paired is not None and b.paired.ratios:
        r = b.paired.ratios  # head's time over base's, per pair of rounds
        rows.append(["head / base ratio", f"{len(r)} pairs", f"{min(r):.3f}",
                     f"{statistics.median(r):.3f}", f"{max(r):.3f}", "", ""])  # fmt: skip
    return _table(header, rows, "runs")


def _verdict_part(b: Bench, plotter: Plotter | None) -> list[str]:
    """Each metric's comparison and the rule that decided it."""
    c = b.comparison
    if c is None:
        return ['<p class="note">Not compared: run with --perf-compare (against the baseline) '
                "or --perf-compare-ref REF for a verdict.</p>"]  # fmt: skip
    lines = [f'<p class="note">{escape(note)}</p>' for note in c.notes]
    if not c.metrics:
        return lines
    header = ["metric", "baseline", "now", "change [95% CI]", "p", "verdict"]
    rows = []
    for m in c.metrics:
        verdict = m.verdict.value + (" (advisory)" if m.advisory else "")
        if m.verdict is Verdict.REGRESSED and not m.advisory:
            verdict = f'<b class="bad">{verdict}</b>'
        rows.append([metric_name(m.metric), escape(format_metric(m.metric, m.baseline)),
                     escape(format_metric(m.metric, m.current)), escape(format_change(m)),
                     "" if m.p_value is None else f"{m.p_value:.2g}", verdict])  # fmt: skip
    lines += _table(header, rows, "metrics")
    lines.append('<dl class="rules">')
    for m in c.metrics:
        lines.append(f"<dt>{escape(metric_name(m.metric))}</dt><dd>{escape(m.rule)}</dd>")
    lines.append("</dl>")
    return lines


def _notes_part(b: Bench, plotter: Plotter | None) -> list[str]:
    notes = b.result.measurement.notes
    if not notes:
        return []
    return ['<ul class="notes">', *(f"<li>{escape(n)}</li>" for n in notes), "</ul>"]


Part = Callable[[Bench, "Plotter | None"], list[str]]
PARTS: tuple[Part, ...] = (_plots_part, _verdict_part, _notes_part)
"""A benchmark's section, part by part: add a part here to extend every section."""


def _section(b: Bench, plotter: Plotter | None) -> list[str]:
    failed = b.result.nodeid in b.report.failed
    group = f' <span class="group">group {escape(b.result.group)}</span>' if b.result.group else ""
    title = f"{_code(b.result.nodeid)} {_badge(b.comparison, failed)}{group}"
    nodeid = escape(b.result.nodeid)  # quotes too: safe in an attribute
    lines = [f'<section class="bench" id="{b.anchor}" data-nodeid="{nodeid}">', f"<h2>{title}</h2>"]
    for part in PARTS:
        lines += part(b, plotter)
    return [*lines, "</section>"]


def _benches(report: HtmlReport) -> list[Bench]:
    """Every benchmark once, in the order of urgency (failing regressions first)."""
    by_id = {r.nodeid: r for r in report.results}
    ordered = [by_id[c.nodeid] for c in by_urgency(
        [report.comparisons[r.nodeid] for r in report.results if r.nodeid in report.comparisons]
    )]  # fmt: skip
    ordered += [r for r in report.results if r.nodeid not in report.comparisons]
    return [
        Bench(f"b{i}", r, report.comparisons.get(r.nodeid), report.history.get(r.nodeid, ()),
              report.paired.get(r.nodeid), report.min_effects.get(r.nodeid, 0.0), report)
        for i, r in enumerate(ordered, 1)
    ]  # fmt: skip


def render_html(report: HtmlReport, plotter: Plotter | None) -> str:
    """The page: headline and regressions on the first screen, the table of every benchmark,
    then one section per benchmark. Without a plotter, every table and a note on the plots."""
    benches = _benches(report)
    compared = [b.comparison for b in benches if b.comparison is not None]
    body = _head(report, compared)
    if plotter is None and benches:
        body.append(f'<p class="note plots-missing">{escape(PLOTS_MISSING)}</p>')
    body += _regressions(benches)
    if benches:
        body += _overview(benches, bool(compared))
    for bench in benches:
        body += _section(bench, plotter)
    title = escape(f"perfguard: {headline(compared, report.results, icons=False)}")
    return "\n".join(
        ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         f"<title>{title}</title>", f"<style>{CSS}</style></head><body><main>", *body,
         "</main></body></html>", ""]
    )  # fmt: skip
