"""Render comparisons and measurements as Markdown for a PR comment or a job summary (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.judge.scaling_groups import GroupResult
from pytest_perfguard.metrics import BY_NAME, METRICS, MetricSpec, shown
from pytest_perfguard.model import BenchResult, Comparison, Measurement, Verdict
from pytest_perfguard.report.extras import extra_columns
from pytest_perfguard.report.gfm import code, table
from pytest_perfguard.report.mdscaling import scaling_markdown
from pytest_perfguard.report.parallel import parallel_lines
from pytest_perfguard.report.rules import rule_text
from pytest_perfguard.report.terminal import (
    describe_metric,
    format_change,
    format_metric,
    is_lower_bound,
    metric_name,
)
from pytest_perfguard.report.verdicts import comparison_verdict
from pytest_perfguard.report.where import where_lines
from pytest_perfguard.units import format_time, plural

__all__ = ["by_urgency", "code", "full_headline", "headline", "render_markdown"]

# Rows are ordered by how much a reviewer needs to see them: what fails the build first.
_RANK = {
    Verdict.REGRESSED: 1,  # rank 0 is a non-advisory regression, decided in _rank
    Verdict.IMPROVED: 2,
    Verdict.NOT_COMPARABLE: 3,
    Verdict.INCONCLUSIVE: 4,
    Verdict.UNCHANGED: 5,
    Verdict.NEW: 6,
    Verdict.MISSING: 7,
}
_ICONS = {
    Verdict.REGRESSED: "⚠️",  # only failing regressions get ❌, see _verdict_cell
    Verdict.IMPROVED: "✅",
    Verdict.NOT_COMPARABLE: "❔",
    Verdict.INCONCLUSIVE: "",
    Verdict.UNCHANGED: "",
    Verdict.NEW: "🆕",
    Verdict.MISSING: "",
}


def headline(
    comparisons: Sequence[Comparison], results: Sequence[BenchResult] = (), *, icons: bool = True
) -> str:
    """One line a reviewer reads first: failing regressions, out of how many benchmarks."""
    if not comparisons:
        if not results:
            return "no benchmarks measured"
        text = f"{plural(len(results), 'benchmark')} measured (not compared with a baseline)"
        return f"⏱️ {text}" if icons else text
    compared = [c for c in comparisons if c.verdict is not Verdict.MISSING]
    failing = sum(1 for c in comparisons if c.failing)
    advisory = sum(1 for c in comparisons if c.verdict is Verdict.REGRESSED and not c.failing)
    extras = [f"{advisory} advisory"] if advisory else []
    kinds = (
        Verdict.IMPROVED,
        Verdict.INCONCLUSIVE,
        Verdict.NEW,
        Verdict.NOT_COMPARABLE,
        Verdict.MISSING,
    )
    for verdict in kinds:
        n = sum(1 for c in comparisons if c.verdict is verdict)
        if n:
            extras.append(f"{n} {verdict.value}")
    tail = f" ({', '.join(extras)})" if extras else ""
    total = plural(len(compared), "benchmark")
    if failing:
        text, icon = f"{plural(failing, 'regression')} in {total}{tail}", "❌ "
    else:
        text, icon = f"no regression in {total}{tail}", "✅ "
    return icon + text if icons else text


def full_headline(
    comparisons: Sequence[Comparison],
    results: Sequence[BenchResult],
    scaling: Sequence[GroupResult],
    *,
    icons: bool = True,
) -> str:
    """The headline, led by the scaling groups' failures when there are any (they fail the run
    though no benchmark's own comparison does)."""
    failed = sum(len(g.failures) for g in scaling)
    if not failed:
        return headline(comparisons, results, icons=icons)
    text = f"{plural(failed, 'scaling failure')}; {headline(comparisons, results, icons=False)}"
    return f"❌ {text}" if icons else text


def _rank(c: Comparison) -> int:
    return 0 if c.failing else _RANK[c.verdict]


def by_urgency(comparisons: Sequence[Comparison]) -> list[Comparison]:
    """Failing regressions first, then advisory ones, improvements ... (the HTML report's order)."""
    return sorted(comparisons, key=_rank)  # stable: same rank keeps the run's order


def _verdict_cell(c: Comparison) -> str:
    if c.failing:
        names = ", ".join(metric_name(m.metric) for m in c.failing)
        return f"❌ regressed: {names}"
    changed = [m for m in c.metrics if m.verdict is c.verdict]
    text = comparison_verdict(c)
    if changed and c.verdict in (Verdict.REGRESSED, Verdict.IMPROVED):
        text += ": " + ", ".join(metric_name(m.metric) for m in changed)
    if c.verdict is Verdict.REGRESSED:
        text += " (advisory)"
    return f"{_ICONS[c.verdict]} {text}".strip()


def _comparisontable(comparisons: Sequence[Comparison]) -> list[str]:
    header = ["benchmark", "baseline", "now", "change [95% CI]", "p", "verdict", "detects"]
    rows = []
    for c in comparisons:
        time = next((m for m in c.metrics if m.metric == "time"), None)
        figures = ["", "", "", ""]
        detects = ""
        if time is not None:
            p = "" if time.p_value is None else f"{time.p_value:.2g}"
            figures = [
                format_metric("time", time.baseline),
                format_metric("time", time.current),
                format_change(time),
                p,
            ]
            detects = "" if time.detectable is None else f">{time.detectable:.0%}"
        rows.append([code(c.nodeid), *figures, _verdict_cell(c), detects])
    return table(header, rows, "lrrrrlr")


def _other_metrics(comparisons: Sequence[Comparison]) -> list[str]:
    rows = []
    for c in comparisons:
        for m in c.metrics:
            if m.metric == "time" or m.verdict is Verdict.UNCHANGED:
                continue
            verdict = m.verdict.value
            if m.verdict is Verdict.REGRESSED:
                verdict = "⚠️ regressed (advisory)" if m.advisory else "❌ regressed"
            name = metric_name(m.metric)
            rows.append(
                [
                    code(c.nodeid),
                    name,
                    format_metric(m.metric, m.baseline),
                    format_metric(m.metric, m.current),
                    format_change(m),
                    verdict,
                ]
            )
    if not rows:
        return []
    header = ["benchmark", "metric", "baseline", "now", "change", "verdict"]
    return ["", "Other metrics that changed:", "", *table(header, rows, "llrrrl")]


def _rules(comparisons: Sequence[Comparison]) -> list[str]:
    lines = []
    for c in comparisons:
        for m in c.metrics:
            if m.verdict is Verdict.REGRESSED:
                # The rule is prose from the verdict; a pipe or backtick in it cannot break a list.
                lines.append(f"- {code(c.nodeid)}: {describe_metric(m)}: {rule_text(m)}")
    if not lines:
        return []
    return [
        "",
        "<details><summary>Why each regression was called</summary>",
        "",
        *lines,
        "",
        "</details>",
    ]


def _where(comparisons: Sequence[Comparison]) -> list[str]:
    lines = []
    for c in comparisons:
        if c.where is not None:
            lines += ["", f"{code(c.nodeid)}:", "", "```", *where_lines(c.where), "```"]
    if not lines:
        return []
    return [
        "",
        "<details><summary>Where each regression happened</summary>",
        *lines,
        "",
        "</details>",
    ]


_TIME = BY_NAME["time"]
_LISTED = tuple(spec for spec in METRICS if spec is not _TIME)


def _cell(spec: MetricSpec, m: Measurement) -> str:
    value = getattr(m, spec.field)
    text = format_metric(spec.name, value)
    # ≥: a lower bound (no kernel high-water mark on this platform)
    return "≥" + text if value is not None and is_lower_bound(spec, m) else text


def _measurements(results: Sequence[BenchResult]) -> list[str]:
    columns = shown(_LISTED, (r.measurement for r in results))
    extra = extra_columns(r.measurement for r in results)
    header = ["benchmark", _TIME.column, "spread", *(spec.column for spec in columns)]
    header += extra.headers
    rows = []
    for r in results:
        m = r.measurement
        spread = f"±{m.spread_ns / m.median_ns:.1%}" if m.median_ns > 0 else "n/a"
        rows.append(
            [
                code(r.nodeid),
                format_time(m.median_ns),
                spread,
                *(_cell(spec, m) for spec in columns),
                *extra.cells(m),
            ]
        )
    parallel = [f"- {line}" for line in parallel_lines(results)]
    return table(header, rows, "l" + "r" * (len(header) - 1)) + ["", *parallel] * bool(parallel)


def render_markdown(
    comparisons: Sequence[Comparison],
    results: Sequence[BenchResult],
    *,
    baseline_path: str | None,
    notes: Sequence[str] = (),
    ref: str | None = None,
    scaling: Sequence[GroupResult] = (),
) -> str:
    """A Markdown report: headline, comparison (failing first), the scaling groups' fits and
    verdicts, then every measurement.

    With comparisons, the measurements are collapsed under `<details>`; without (a plain run),
    they are the report.
    """
    lines = [f"### perfguard: {full_headline(comparisons, results, scaling)}", ""]
    if comparisons:
        where = code(baseline_path) if baseline_path else "the baseline"
        if ref is not None:
            where = f"{code(ref)}, measured in this run in paired rounds"
        lines += [f"Compared with {where}; the table shows time per op.", ""]
        ordered = sorted(comparisons, key=_rank)  # stable: same rank keeps the run's order
        lines += _comparisontable(ordered)
        lines += _other_metrics(ordered)
        lines += _rules(ordered)
        lines += _where(ordered)
    if scaling:
        lines += [*([""] if lines[-1] else []), *scaling_markdown(scaling), ""]
    if results:
        if comparisons:
            summary = f"All measurements ({plural(len(results), 'benchmark')})"
            lines += [
                "",
                f"<details><summary>{summary}</summary>",
                "",
                *_measurements(results),
                "",
                "</details>",
            ]
        else:
            lines += _measurements(results)
    if notes:
        lines += ["", *(f"- {note}" for note in notes)]
    return "\n".join(lines).rstrip("\n") + "\n"
