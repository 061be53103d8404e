"""Render measured benchmarks as the terminal summary table (pure: results in, lines out)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_perfguard.metrics import BY_NAME, METRICS, MetricKind, MetricSpec, shown
from pytest_perfguard.model import (
    BenchResult,
    Comparison,
    Measurement,
    MetricComparison,
    Verdict,
)
from pytest_perfguard.report.extras import extra_columns
from pytest_perfguard.report.parallel import parallel_lines
from pytest_perfguard.report.rules import comparison_notes, rule_text
from pytest_perfguard.report.verdicts import comparison_verdict, metric_verdict
from pytest_perfguard.units import format_bytes, format_time, plural


def _count(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}" if value == int(value) or abs(value) >= 100 else f"{value:.2f}"


def is_lower_bound(spec: MetricSpec, m: Measurement) -> bool:
    """Whether the measured value of the metric is only a lower bound (a peak without the
    kernel's high-water mark)."""
    return spec.exact_field is not None and not getattr(m, spec.exact_field)


def _cell(spec: MetricSpec, m: Measurement) -> str:
    value = getattr(m, spec.field)
    if value is None:
        return "n/a"
    if not spec.is_bytes:
        return _count(value)
    return (">=" if is_lower_bound(spec, m) else "") + format_bytes(value)


_TIME = BY_NAME["time"]
_OTHERS = tuple(spec for spec in METRICS if spec is not _TIME)


def _row(result: BenchResult, indent: str, columns: Sequence[MetricSpec]) -> list[str]:
    m = result.measurement
    spread = f"±{m.spread_ns / m.median_ns:.1%}" if m.median_ns > 0 else "±n/a"
    return [
        indent + result.nodeid,
        format_time(m.median_ns),
        spread,
        f"{m.rounds} x {m.loops}",
        f"{m.gc_collections_per_op:.2g}",
        *(_cell(spec, m) for spec in columns),
    ]


HEADER = ["benchmark", _TIME.column, "spread", "rounds x loops", "gc/op"]
"""The summary table's first columns; the metrics' follow."""

_ALLOCS, _OBJECTS = BY_NAME["allocs"], BY_NAME["objects"]
FREE_LIST_NOTE = (
    "allocs/op counts allocator calls: lists, dicts, tuples, floats and other objects that "
    "CPython reuses from its free lists make none (a `tag = []` added per call leaves allocs/op "
    "unchanged); Python 3.13+ also counts objects created, free-list reuse included "
    "(objects/op)"
)
"""Said once when allocations were counted but objects could not be (before Python 3.13)."""


def align_columns(header: Sequence[str], rows: Sequence[Sequence[str] | str]) -> list[str]:
    """Text columns: the first left-aligned, figures right-aligned; str rows are headings."""
    cells = [header, *(r for r in rows if not isinstance(r, str))]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        rest = (cell.rjust(w) for cell, w in zip(row[1:], widths[1:], strict=True))
        return "  ".join([row[0].ljust(widths[0]), *rest]).rstrip()

    return [line(header), *(r if isinstance(r, str) else line(r) for r in rows)]


def render_results(results: Sequence[BenchResult]) -> list[str]:
    """The summary table: one row per benchmark, grouped by `group`, then the notes."""
    if not results:
        return []
    columns = shown(_OTHERS, (r.measurement for r in results))
    extra = extra_columns(r.measurement for r in results)
    rows: list[list[str] | str] = []
    ungrouped = [r for r in results if r.group is None]
    rows.extend([*_row(r, "", columns), *extra.cells(r.measurement)] for r in ungrouped)
    for group in sorted({r.group for r in results if r.group is not None}):
        rows.append(f"group {group}:")
        rows.extend(
            [*_row(r, "  ", columns), *extra.cells(r.measurement)]
            for r in results
            if r.group == group
        )

    lines = align_columns([*HEADER, *(spec.column for spec in columns), *extra.headers], rows)
    lines += parallel_lines(results)
    by_note: dict[str, list[str]] = {}
    for result in results:
        for note in result.measurement.notes:
            by_note.setdefault(note, []).append(result.nodeid)
    for note, nodeids in by_note.items():
        who = nodeids[0] if len(nodeids) == 1 else plural(len(nodeids), "benchmark")
        lines.append(f"note: {who}: {note}")
    if any(
        getattr(r.measurement, _ALLOCS.field) is not None
        and getattr(r.measurement, _OBJECTS.field) is None
        for r in results
    ):
        lines.append(f"note: {FREE_LIST_NOTE}")
    return lines


def format_metric(metric: str, value: float | None) -> str:
    """A metric's value with its unit (time, bytes) or 4 significant digits; n/a when unknown."""
    if value is None or math.isnan(value):
        return "n/a"
    spec = BY_NAME.get(metric)
    if spec is not None and spec.kind is MetricKind.TIME:
        return format_time(value)
    if spec is not None and spec.is_bytes:
        return format_bytes(value)
    return f"{value:.4g}"


def format_change(m: MetricComparison) -> str:
    """The relative change and its interval, e.g. '+12.0% [+8.1%, +16.2%]'."""
    if math.isnan(m.change):
        return "n/a"
    if math.isinf(m.change):
        return "from zero"  # a percentage of nothing says nothing
    text = f"{m.change:+.1%}"
    if m.change and text in ("+0.0%", "-0.0%"):  # a few allocations of 100,000: say how few
        text = f"{m.change * 100:+.2g}%"
    if m.interval is not None:
        text += f" [{m.interval[0]:+.1%}, {m.interval[1]:+.1%}]"
    return text


_METRIC_NAMES = {spec.name: spec.column for spec in METRICS}


def metric_name(metric: str) -> str:
    """A metric as table headers name it: 'time/op', 'allocs/op', 'B/op', 'peak mem'."""
    return _METRIC_NAMES.get(metric, metric)


def describe_metric(m: MetricComparison) -> str:
    """One metric's comparison in a sentence: what, baseline -> now, change, interval, p."""
    p = "" if m.p_value is None else f", p={m.p_value:.2g}"
    return (
        f"{metric_name(m.metric)} {metric_verdict(m, advisory=True)}: "
        f"{format_metric(m.metric, m.baseline)} -> {format_metric(m.metric, m.current)} "
        f"({format_change(m)}{p})"
    )


def failure_message(comparison: Comparison, baseline_path: str, ref: str | None = None) -> str:
    """Why a benchmark's test failed, and how to accept the change if it was intended (with
    `ref`: compared with that revision, measured in this run)."""
    against = f" compared with {ref} in this run" if ref else ""
    lines = [f"{comparison.nodeid}: performance regression{against}"]
    for m in comparison.failing:
        lines.append(f"  {describe_metric(m)}")
        lines.append(f"    rule: {rule_text(m)}")
    if comparison.where is not None:
        from pytest_perfguard.report.where import where_lines

        lines += [f"  {line}" for line in where_lines(comparison.where)]
    if ref:
        lines.append("  If this change is intended, it stands once merged: REF moves with it.")
    else:
        lines.append(
            f"  If this change is intended, accept it: rerun with --perf-save and commit "
            f"{baseline_path}."
        )
    return "\n".join(lines)


COMPARISON_HEADER = ["benchmark", "baseline", "now", "change [95% CI]", "p", "verdict", "detects"]


def render_comparisons(comparisons: Sequence[Comparison]) -> list[str]:
    """A benchstat-like table of time per op, then every other metric that changed."""
    if not comparisons:
        return []
    rows = []
    others: list[str] = []
    why_not: list[str] = []
    for c in comparisons:
        time = next((m for m in c.metrics if m.metric == "time"), None)
        if time is None:
            rows.append([c.nodeid, "", "", "", "", comparison_verdict(c), ""])
            notes = comparison_notes(c)
            if c.verdict is Verdict.NOT_COMPARABLE and notes:
                why_not.append(f"  {c.nodeid}: {'; '.join(notes)}")
        else:
            verdict = metric_verdict(time, advisory=True)
            rows.append(
                [
                    c.nodeid,
                    format_metric("time", time.baseline),
                    format_metric("time", time.current),
                    format_change(time),
                    "" if time.p_value is None else f"{time.p_value:.2g}",
                    verdict,
                    "" if time.detectable is None else f">{time.detectable:.0%}",
                ]
            )
        others.extend(
            f"  {c.nodeid}: {describe_metric(m)}"
            for m in c.metrics
            if m.metric != "time" and m.verdict is not Verdict.UNCHANGED
        )
    widths = [max(len(r[i]) for r in [COMPARISON_HEADER, *rows]) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [COMPARISON_HEADER, *rows]
    ]
    if others:
        lines.append("other metrics that changed:")
        lines.extend(others)
    if why_not:
        lines.append("not comparable:")
        lines.extend(why_not)
    return lines


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the end-of-run summary shows, gathered by the plugin."""

    results: Sequence[BenchResult]
    comparisons: Sequence[Comparison]
    compare: bool
    baseline_path: str
    baseline_found: bool
    missing: Sequence[str] = ()
    workers: int = 0
    save_message: str = ""
    errors: Sequence[str] = ()
    """End-of-run problems that fail the run (an output that could not be written)."""
    annotations: Sequence[str] = ()
    warnings: Sequence[str] = ()
    """Problems worth a look that fail nothing (a saved run far from its siblings)."""
    ab: str | None = None
    """Same-job A/B: REF and its commit, compared with in this run."""
    ab_removed: Sequence[str] = ()
    machine_note: str = ""
    """Stored time is advisory machine-wise (report/machine.py); "" on the recording machine."""


def render_summary(s: Summary) -> list[tuple[str | None, list[str]]]:
    """Sections of the summary: (separator title or None, lines). Empty when nothing ran."""
    sections: list[tuple[str | None, list[str]]] = []
    if s.results:
        lines = render_results(s.results)
        if s.workers > 1:
            lines.append(
                f"warning: measured in {s.workers} parallel workers that share this machine's "
                "cores: figures are slower and noisier; for baselines, run perf tests serially "
                "(-p no:xdist, or -n 0 with --perf-only)"
            )
        sections.append((f"perfguard: {plural(len(s.results), 'benchmark')}", lines))
    if s.ab is not None:
        lines = render_comparisons(s.comparisons)
        if s.ab_removed:
            lines.append(
                f"removed: {len(s.ab_removed)} perf test(s) of {s.ab} not in this tree, "
                f"e.g. {s.ab_removed[0]}"
            )
        sections.append((f"perfguard: comparison with {s.ab}, measured in this run", lines))
    elif s.compare and not s.baseline_found:
        sections.append(
            (
                None,
                [
                    f"perfguard: no baseline at {s.baseline_path}: every benchmark is new. "
                    "Record one with --perf-save."
                ],
            )
        )
    elif s.compare:
        lines = [f"note: {s.machine_note}"] if s.machine_note else []
        lines += render_comparisons(s.comparisons)
        if s.missing:
            lines.append(
                f"missing: {len(s.missing)} baseline benchmark(s) not measured in this run, "
                f"e.g. {s.missing[0]}"
            )
        sections.append((f"perfguard: comparison with {s.baseline_path}", lines))
    tail = list(s.annotations)
    tail.extend(f"perfguard: warning: {warning}" for warning in s.warnings)
    tail.extend(f"perfguard: error: {error}" for error in s.errors)
    if s.save_message:
        tail.append(f"perfguard: {s.save_message}")
    if tail:
        sections.append((None, tail))
    return sections
