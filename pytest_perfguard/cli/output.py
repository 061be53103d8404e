"""What the `perfguard` commands print: the environment, a baseline's table, the rules."""

from __future__ import annotations

from collections.abc import Sequence

from pytest_perfguard.metrics import BY_NAME, Output, listed_in, shown
from pytest_perfguard.model import Baseline, Comparison, Fingerprint, Verdict
from pytest_perfguard.report.extras import extra_columns
from pytest_perfguard.report.rules import rule_text
from pytest_perfguard.report.terminal import align_columns, describe_metric, format_metric
from pytest_perfguard.report.where import where_lines
from pytest_perfguard.units import format_time

__all__ = ["baseline_lines", "describe_env", "details"]


def describe_env(fingerprint: Fingerprint | None) -> str:
    """The environment a file was measured in, on one line."""
    if fingerprint is None:
        return "environment: not recorded"
    f = fingerprint
    hosted = f" (a {f.hosted} job)" if f.hosted else ""
    return (
        f"environment: {f.python_implementation} {f.python_version} on {f.os} {f.arch}, "
        f"{f.cpu_model} ({f.cpu_count} CPUs), perfguard {f.perfguard_version}; "
        f"machine {f.machine or 'unknown'}{hosted}"
    )


_TIME = BY_NAME["time"]
_LISTED = tuple(spec for spec in listed_in(Output.BASELINE_TABLE) if spec is not _TIME)


def baseline_lines(baseline: Baseline) -> list[str]:
    """A baseline's newest run of each benchmark, grouped, with the spread of its saved runs."""
    columns = shown(_LISTED, (e.runs[-1] for e in baseline.entries.values()))
    extra = extra_columns(e.runs[-1] for e in baseline.entries.values())
    header = [
        "benchmark",
        "runs",
        "newest run",
        "machine",
        _TIME.column,
        "run spread",
        "ref ratio",
        *(spec.column for spec in columns),
        *extra.headers,
    ]
    rows: list[list[str] | str] = []
    entries = sorted(baseline.entries.values(), key=lambda e: (e.group is not None, e.group or ""))
    group: str | None = None
    for entry in entries:
        if entry.group is not None and entry.group != group:
            group = entry.group
            rows.append(f"group {group}:")
        newest, medians = entry.runs[-1], sorted(r.median_ns for r in entry.runs)
        middle = medians[len(medians) // 2]
        spread = f"{(medians[-1] - medians[0]) / middle:.1%}" if len(medians) > 1 else "n/a"
        rows.append(
            [
                ("  " if entry.group else "") + entry.nodeid,
                str(len(entry.runs)),
                newest.timestamp,
                entry.machine or "unknown",
                format_time(newest.median_ns),
                spread,
                format_metric("ratio", newest.ref_ratio),
                *(format_metric(spec.name, getattr(newest, spec.field)) for spec in columns),
                *extra.cells(newest),
            ]
        )
    notes = (
        "run spread: (slowest - fastest) / median time/op of the saved runs; machine: where "
        "they were measured (all of a benchmark's runs come from one machine)"
    )
    return [*align_columns(header, rows), notes] if rows else ["no benchmarks"]


def details(comparisons: Sequence[Comparison]) -> list[str]:
    """Each regression (failing, then advisory) with the rule that called it, then where it
    happened when both sides have a profile (once per benchmark)."""
    lines: list[str] = []
    placed: set[str] = set()
    for title, advisory in (("regressions", False), ("advisory regressions (not failing)", True)):
        found = [
            (c, m)
            for c in comparisons
            for m in c.metrics
            if m.verdict is Verdict.REGRESSED and m.advisory is advisory
        ]
        if found:
            lines += ["", f"{title}:"]
        for i, (c, m) in enumerate(found):
            lines += [f"  {c.nodeid}", f"    {describe_metric(m)}", f"      rule: {rule_text(m)}"]
            last = i + 1 == len(found) or found[i + 1][0] is not c
            if c.where is not None and last and c.nodeid not in placed:
                placed.add(c.nodeid)
                lines += [f"    {line}" for line in where_lines(c.where)]
    return lines
