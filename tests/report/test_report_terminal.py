"""The terminal summary table."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pytest_perfguard.model import (
    BenchResult,
    Decision,
    Measurement,
    MetricComparison,
    Rule,
    Verdict,
)
from pytest_perfguard.report.terminal import FREE_LIST_NOTE, format_change, render_results
from pytest_perfguard.units import format_bytes, format_time


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (57.14, "57.1 ns"),
        (20_000, "20.0 us"),
        (999.96, "1.00 us"),
        (1.234e6, "1.23 ms"),
        (3e9, "3.00 s"),
        (0.5, "0.500 ns"),
    ],
)
def test_times_are_scaled_to_three_digits(ns: float, text: str) -> None:
    assert format_time(ns) == text


@pytest.mark.parametrize(
    ("size", "text"), [(100, "100 B"), (1536, "1.50 KiB"), (50 * 1024**2, "50.0 MiB")]
)
def test_sizes_are_scaled(size: float, text: str) -> None:
    assert format_bytes(size) == text


def result(
    nodeid: str, group: str | None, median: float, notes: tuple[str, ...] = ()
) -> BenchResult:
    m = Measurement(
        median_ns=median,
        spread_ns=median / 100,
        rounds=10,
        loops=4,
        samples_ns=(median,),
        ref_ratios=(),
        reference_ns=1.0,
        gc_collections_per_op=0.0,
        allocs_per_op=3,
        bytes_per_op=2048,
        peak_memory_bytes=5 * 1024**2,
        peak_memory_exact=False,
        notes=notes,
    )
    return BenchResult(nodeid=nodeid, group=group, measurement=m)


def test_rows_are_grouped_with_ungrouped_first_and_notes_deduplicated() -> None:
    lines = render_results(
        [
            result("t.py::b", "sort", 1500.0, ("tracer active",)),
            result("t.py::a", None, 2e6, ("tracer active",)),
            result("t.py::c", "sort", 10.0, ("too fast",)),
        ]
    )
    assert lines[0].split()[:3] == ["benchmark", "time/op", "spread"]
    assert lines[1].startswith("t.py::a ")
    assert "2.00 ms" in lines[1] and "±1.0%" in lines[1] and "10 x 4" in lines[1]
    assert "3" in lines[1].split() and "2.00 KiB" in lines[1] and ">=5.00 MiB" in lines[1]
    assert lines[2] == "group sort:"
    assert lines[3].startswith("  t.py::b ") and lines[4].startswith("  t.py::c ")
    assert lines[5:7] == ["note: 2 benchmarks: tracer active", "note: t.py::c: too fast"]


def test_free_lists_are_named_once_where_objects_were_not_counted() -> None:
    counted = result("t.py::a", None, 2e6, ())
    older = render_results([counted])  # allocs/op counted, objects/op not (before 3.13)
    assert older[-1] == f"note: {FREE_LIST_NOTE}"
    assert "`tag = []`" in FREE_LIST_NOTE and "objects/op" in FREE_LIST_NOTE
    newer = replace(counted, measurement=replace(counted.measurement, objects_per_op=4.0))
    assert all("free lists" not in line for line in render_results([newer]))
    assert "objects/op" in render_results([newer])[0]


def test_nothing_to_render_without_results() -> None:
    assert render_results([]) == []


@pytest.mark.parametrize(
    ("base", "now", "said"),
    [
        (117730.0, 117726.0, "-0.0034%"),  # 4 allocations fewer: not "-0.0%"
        (100.0, 112.0, "+12.0%"),
        (100.0, 100.0, "+0.0%"),
    ],
)
def test_a_change_too_small_for_one_decimal_keeps_its_digits(
    base: float, now: float, said: str
) -> None:
    verdict = Verdict.IMPROVED if now < base else Verdict.UNCHANGED
    m = MetricComparison("allocs", base, now, now / base - 1, None, None, verdict,
                         Decision(Rule.COUNT_EXACT))  # fmt: skip
    assert format_change(m) == said
