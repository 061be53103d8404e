"""Render a run as one self-contained HTML page: headline, regressions, a table of every
benchmark, then a section per benchmark (htmlbench.py) with its plots (pure: values in, text
out; plots from a Plotter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.metrics import BY_NAME, METRICS, MetricSpec, shown
from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Measurement,
    PairedRun,
    RunSummary,
    Verdict,
)
from pytest_perfguard.report.extras import extra_columns
from pytest_perfguard.report.htmlbench import (
    Bench,
    Plotter,
    badge,
    change_cell,
    code,
    metric_cell,
    section,
    table,
    value,
)
from pytest_perfguard.report.htmlscaling import scaling_section
from pytest_perfguard.report.htmlstyle import CSS
from pytest_perfguard.report.markdown import by_urgency, full_headline
from pytest_perfguard.report.terminal import (
    format_change,
    is_lower_bound,
    metric_name,
)
from pytest_perfguard.units import format_time

__all__ = ["PLOTS_MISSING", "HtmlReport", "Plotter", "load_plotter", "render_html"]

PLOTS_MISSING = (
    "Plots are not drawn: matplotlib is not installed. Install the extra to get them: "
    "pip install 'perfguard[html]'"
)


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
    scaling: Sequence[GroupResult] = ()
    """The scaling groups fitted in this run, with their verdicts."""


def _head(report: HtmlReport, ordered: Sequence[Comparison]) -> list[str]:
    results = report.results
    scaling_failed = any(g.failures for g in report.scaling)
    failing = any(c.failing for c in ordered) or bool(report.failed) or scaling_failed
    state = "fail" if failing else ("pass" if ordered else "info")
    word = {"fail": "FAIL", "pass": "PASS", "info": "MEASURED"}[state]
    line = full_headline(ordered, results, report.scaling, icons=False)
    where = ""
    if report.ref is not None:
        where = f"Compared with {code(report.ref)}, measured in this run in paired rounds. "
    elif ordered and report.baseline_path:
        where = f"Compared with the baseline {code(report.baseline_path)}. "
    lines = [
        f'<header class="{state}"><span class="verdict">{word}</span>',
        f"<h1>perfguard: {escape(line)}</h1></header>",
    ]
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
            f"{metric_name(m.metric)} {value(m.metric, m.baseline)} → "
            f"{value(m.metric, m.current)} ({format_change(m)})"
            + (" (advisory)" if m.advisory and c.failing else "")  # else the badge says it
            for m in which
        )
        items.append(
            f'<li>{badge(c, False)} <a href="#{b.anchor}">{code(c.nodeid)}</a>: {escape(what)}</li>'
        )
    if not items:
        return []
    return ['<section class="regressions"><h2>Regressions</h2><ul>', *items, "</ul></section>"]


_TIME = BY_NAME["time"]
_LISTED = tuple(spec for spec in METRICS if spec is not _TIME)


def _cell(spec: MetricSpec, m: Measurement) -> str:
    number = getattr(m, spec.field)
    text = metric_cell(spec, number)
    return escape("≥" + text if number is not None and is_lower_bound(spec, m) else text)


def _overview(benches: Sequence[Bench], compared: bool) -> list[str]:
    columns = shown(_LISTED, (b.result.measurement for b in benches))
    extra = extra_columns(b.result.measurement for b in benches)
    header = ["benchmark", "group", _TIME.column, "spread", *(spec.column for spec in columns)]
    header += extra.headers
    if compared:
        header[4:4] = ["change [95% CI]", "verdict"]
    rows = []
    for b in benches:
        m = b.result.measurement
        spread = f"±{m.spread_ns / m.median_ns:.1%}" if m.median_ns > 0 else "n/a"
        row = [
            f'<a href="#{b.anchor}">{code(b.result.nodeid)}</a>',
            escape(b.result.group or ""),
            format_time(m.median_ns),
            spread,
            *(_cell(spec, m) for spec in columns),
            *map(escape, extra.cells(m)),
        ]
        if compared:
            c = b.comparison
            time = None if c is None else next((x for x in c.metrics if x.metric == "time"), None)
            row[4:4] = ["" if time is None else change_cell(time), badge(c, b.failed)]
        rows.append(row)
    title = f"All benchmarks ({len(benches)})"
    return [f"<section><h2>{title}</h2>", *table(header, rows, "overview"), "</section>"]


def _benches(report: HtmlReport) -> list[Bench]:
    """Every benchmark once, in the order of urgency (failing regressions first)."""
    by_id = {r.nodeid: r for r in report.results}
    ordered = [
        by_id[c.nodeid]
        for c in by_urgency(
            [report.comparisons[r.nodeid] for r in report.results if r.nodeid in report.comparisons]
        )
    ]
    ordered += [r for r in report.results if r.nodeid not in report.comparisons]
    return [
        Bench(
            f"b{i}",
            r,
            report.comparisons.get(r.nodeid),
            report.history.get(r.nodeid, ()),
            report.paired.get(r.nodeid),
            report.min_effects.get(r.nodeid, 0.0),
            r.nodeid in report.failed,
            report.baseline_path,
        )
        for i, r in enumerate(ordered, 1)
    ]


def render_html(report: HtmlReport, plotter: Plotter | None) -> str:
    """The page: headline and regressions on the first screen, the table of every benchmark,
    then one section per benchmark. Without a plotter, every table and a note on the plots."""
    benches = _benches(report)
    compared = [b.comparison for b in benches if b.comparison is not None]
    body = _head(report, compared)
    if plotter is None and benches:
        body.append(f'<p class="note plots-missing">{escape(PLOTS_MISSING)}</p>')
    body += _regressions(benches)
    scaling = scaling_section(report.scaling, plotter)
    failing = any(g.failures for g in report.scaling)
    if failing:  # a failure on the first screen
        body += scaling
    if benches:
        body += _overview(benches, bool(compared))
    if not failing:
        body += scaling
    for bench in benches:
        body += section(bench, plotter)
    title = escape(
        f"perfguard: {full_headline(compared, report.results, report.scaling, icons=False)}"
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{title}</title>",
            f"<style>{CSS}</style></head><body><main>",
            *body,
            "</main></body></html>",
            "",
        ]
    )
